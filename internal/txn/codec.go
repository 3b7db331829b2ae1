package txn

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrBadRecord marks a __transaction_state record that does not decode.
var ErrBadRecord = errors.New("txn: bad __transaction_state record")

// Record key and value versions written (Kafka reads both; value v0 is
// the non-flexible form every Kafka since 0.11 understands).
const (
	keyVersion   = 0
	valueVersion = 0
)

// encodeKey returns the TxnMetadataKey of id.
func encodeKey(id string) []byte {
	k := kmsg.NewTxnMetadataKey()
	k.Version, k.TransactionalID = keyVersion, id
	return k.AppendTo(nil)
}

// encodeValue returns the TxnMetadataValue of m.
func encodeValue(m Metadata) []byte {
	v := kmsg.NewTxnMetadataValue()
	v.Version = valueVersion
	v.ProducerID, v.ProducerEpoch, v.TimeoutMillis = m.ProducerID, m.ProducerEpoch, m.TimeoutMs
	v.State = kmsg.TransactionState(m.State)
	v.LastUpdateTimestamp, v.StartTimestamp = m.UpdateMs, m.StartMs
	for _, tp := range m.Partitions {
		if n := len(v.Topics); n > 0 && v.Topics[n-1].Topic == tp.Topic {
			v.Topics[n-1].Partitions = append(v.Topics[n-1].Partitions, tp.Partition)
			continue
		}
		t := kmsg.NewTxnMetadataValueTopic()
		t.Topic, t.Partitions = tp.Topic, []int32{tp.Partition}
		v.Topics = append(v.Topics, t)
	}
	return v.AppendTo(nil)
}

// decodeRecord decodes a __transaction_state record; a nil value (a
// tombstone) returns ok false.
func decodeRecord(key, value []byte) (id string, m Metadata, ok bool, err error) {
	if len(key) < 2 {
		return "", m, false, fmt.Errorf("%w: key of %d bytes", ErrBadRecord, len(key))
	}
	if kv := int16(binary.BigEndian.Uint16(key)); kv != 0 {
		return "", m, false, fmt.Errorf("%w: key version %d", ErrBadRecord, kv)
	}
	var k kmsg.TxnMetadataKey
	if err := k.ReadFrom(key); err != nil {
		return "", m, false, fmt.Errorf("%w: key: %w", ErrBadRecord, err)
	}
	if value == nil {
		return k.TransactionalID, m, false, nil
	}
	var v kmsg.TxnMetadataValue
	if err := v.ReadFrom(value); err != nil {
		return "", m, false, fmt.Errorf("%w: value: %w", ErrBadRecord, err)
	}
	m = Metadata{
		ID: k.TransactionalID, ProducerID: v.ProducerID, ProducerEpoch: v.ProducerEpoch,
		LastProducerID: -1, LastProducerEpoch: -1, TimeoutMs: v.TimeoutMillis,
		State: State(v.State), StartMs: v.StartTimestamp, UpdateMs: v.LastUpdateTimestamp,
	}
	if m.State < Empty || m.State > PrepareEpochFence {
		return "", m, false, fmt.Errorf("%w: state %d", ErrBadRecord, v.State)
	}
	var tps []TopicPartition
	for _, t := range v.Topics {
		for _, p := range t.Partitions {
			tps = append(tps, TopicPartition{t.Topic, p})
		}
	}
	m.Partitions = Metadata{}.withPartitions(tps)
	return k.TransactionalID, m, true, nil
}
