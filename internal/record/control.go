package record

import (
	"encoding/binary"
	"fmt"
)

// ControlType is the type of a control record, read from its key.
type ControlType int16

// Control record types that end a transaction.
const (
	ControlAbort  ControlType = 0
	ControlCommit ControlType = 1
)

// EndTxnMarker returns the control record that commits or aborts a
// transaction; put it alone in a batch built with Control and
// Transactional set and the producer's id and epoch.
func EndTxnMarker(commit bool, coordinatorEpoch int32, timestamp int64) Record {
	typ := ControlAbort
	if commit {
		typ = ControlCommit
	}
	key := binary.BigEndian.AppendUint16([]byte{0, 0}, uint16(typ)) // version 0, type
	value := binary.BigEndian.AppendUint32([]byte{0, 0}, uint32(coordinatorEpoch))
	return Record{Timestamp: timestamp, Key: key, Value: value}
}

// ParseControl reads a control record: its type and, for a transaction
// marker, the coordinator epoch (-1 for other types). It fails with
// ErrCorrupt when the key or a marker's value is too short.
func ParseControl(r Record) (ControlType, int32, error) {
	if len(r.Key) < 4 {
		return 0, -1, fmt.Errorf("%w: control record key of %d bytes", ErrCorrupt, len(r.Key))
	}
	typ := ControlType(binary.BigEndian.Uint16(r.Key[2:]))
	if typ != ControlAbort && typ != ControlCommit {
		return typ, -1, nil
	}
	if len(r.Value) < 6 {
		return typ, -1, fmt.Errorf("%w: transaction marker value of %d bytes", ErrCorrupt, len(r.Value))
	}
	return typ, int32(binary.BigEndian.Uint32(r.Value[2:])), nil
}
