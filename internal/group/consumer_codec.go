package group

import (
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kbin"
)

// KIP-848 consumer group records in __consumer_offsets, in Kafka's own
// schemas (group-coordinator/src/main/resources/common/message/
// ConsumerGroup*.json). kmsg has no codec for them, so this file is one.
// A key is its version (int16) and the non-flexible key struct; a value
// is its version (int16, always 0 here) and a flexible struct: compact
// strings and arrays, uuids as 16 bytes, tagged fields at the end of
// every struct (written empty, skipped when read).
const (
	keyConsumerGroupMetadata     = 3 // group → ConsumerGroupMetadataValue (group epoch)
	keyConsumerPartitionMetadata = 4 // group → ConsumerGroupPartitionMetadataValue (subscribed topics)
	keyConsumerMemberMetadata    = 5 // group, member → ConsumerGroupMemberMetadataValue (subscription)
	keyConsumerTargetMetadata    = 6 // group → ConsumerGroupTargetAssignmentMetadataValue (assignment epoch)
	keyConsumerTargetMember      = 7 // group, member → ConsumerGroupTargetAssignmentMemberValue
	keyConsumerCurrentAssignment = 8 // group, member → ConsumerGroupCurrentMemberAssignmentValue
)

// consumerKey is the key of a consumer group record; member is set for
// versions 5, 7 and 8.
type consumerKey struct {
	version int16
	group   string
	member  string
}

func hasMember(version int16) bool {
	return version == keyConsumerMemberMetadata || version == keyConsumerTargetMember || version == keyConsumerCurrentAssignment
}

func (k consumerKey) encode() []byte {
	b := kbin.AppendInt16(nil, k.version)
	b = kbin.AppendString(b, k.group)
	if hasMember(k.version) {
		b = kbin.AppendString(b, k.member)
	}
	return b
}

func decodeConsumerKey(b []byte) (consumerKey, error) {
	r := kbin.Reader{Src: b}
	k := consumerKey{version: r.Int16()}
	if k.version < keyConsumerGroupMetadata || k.version > keyConsumerCurrentAssignment {
		return consumerKey{}, fmt.Errorf("%w: consumer group key version %d", ErrCorruptRecord, k.version)
	}
	k.group = r.String()
	if hasMember(k.version) {
		k.member = r.String()
	}
	if err := r.Complete(); err != nil || len(r.Src) != 0 {
		return consumerKey{}, fmt.Errorf("%w: consumer group key v%d: %d bytes left, %v", ErrCorruptRecord, k.version, len(r.Src), err)
	}
	return k, nil
}

// cgMetadata is ConsumerGroupMetadataValue.
type cgMetadata struct{ Epoch int32 }

// cgTopic is one topic of ConsumerGroupPartitionMetadataValue (its
// deprecated per-partition racks are written empty and not kept).
type cgTopic struct {
	ID         TopicID
	Name       string
	Partitions int32
}

// cgPartitionMetadata is ConsumerGroupPartitionMetadataValue.
type cgPartitionMetadata struct{ Topics []cgTopic }

// cgMember is ConsumerGroupMemberMetadataValue (its tagged
// ClassicMemberMetadata, for classic members of a mixed group, is not
// written and skipped when read).
type cgMember struct {
	InstanceID           *string
	RackID               *string
	ClientID             string
	ClientHost           string
	SubscribedTopicNames []string
	SubscribedTopicRegex *string
	RebalanceTimeoutMs   int32
	ServerAssignor       *string
}

// cgTargetMetadata is ConsumerGroupTargetAssignmentMetadataValue.
type cgTargetMetadata struct{ AssignmentEpoch int32 }

// cgTargetMember is ConsumerGroupTargetAssignmentMemberValue.
type cgTargetMember struct{ Partitions Assignment }

// cgCurrent is ConsumerGroupCurrentMemberAssignmentValue.
type cgCurrent struct {
	MemberEpoch         int32
	PreviousMemberEpoch int32
	State               int8 // Kafka's MemberState: 0 stable, 1 unrevoked, 2 unreleased
	Assigned            Assignment
	PendingRevocation   Assignment
}

// encodeConsumerValue encodes one of the value types above, version 0.
func encodeConsumerValue(v any) []byte {
	b := kbin.AppendInt16(nil, 0)
	switch v := v.(type) {
	case *cgMetadata:
		b = kbin.AppendInt32(b, v.Epoch)
	case *cgPartitionMetadata:
		b = kbin.AppendCompactArrayLen(b, len(v.Topics))
		for _, t := range v.Topics {
			b = kbin.AppendUuid(b, t.ID)
			b = kbin.AppendCompactString(b, t.Name)
			b = kbin.AppendInt32(b, t.Partitions)
			b = kbin.AppendCompactArrayLen(b, 0) // PartitionMetadata (racks), unused since Kafka 4.0
			b = appendNoTags(b)
		}
	case *cgMember:
		b = kbin.AppendCompactNullableString(b, v.InstanceID)
		b = kbin.AppendCompactNullableString(b, v.RackID)
		b = kbin.AppendCompactString(b, v.ClientID)
		b = kbin.AppendCompactString(b, v.ClientHost)
		b = kbin.AppendCompactArrayLen(b, len(v.SubscribedTopicNames))
		for _, n := range v.SubscribedTopicNames {
			b = kbin.AppendCompactString(b, n)
		}
		b = kbin.AppendCompactNullableString(b, v.SubscribedTopicRegex)
		b = kbin.AppendInt32(b, v.RebalanceTimeoutMs)
		b = kbin.AppendCompactNullableString(b, v.ServerAssignor)
	case *cgTargetMetadata:
		b = kbin.AppendInt32(b, v.AssignmentEpoch)
	case *cgTargetMember:
		b = appendAssignment(b, v.Partitions)
	case *cgCurrent:
		b = kbin.AppendInt32(b, v.MemberEpoch)
		b = kbin.AppendInt32(b, v.PreviousMemberEpoch)
		b = kbin.AppendInt8(b, v.State)
		b = appendAssignment(b, v.Assigned)
		b = appendAssignment(b, v.PendingRevocation)
	default:
		panic(fmt.Sprintf("group: no consumer record codec for %T", v))
	}
	return appendNoTags(b)
}

func appendNoTags(b []byte) []byte { return kbin.AppendUvarint(b, 0) }

// appendAssignment writes []TopicPartitions sorted by topic id, so the
// same assignment always encodes to the same bytes.
func appendAssignment(b []byte, a Assignment) []byte {
	ids := make([]TopicID, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y TopicID) int { return slices.Compare(x[:], y[:]) })
	b = kbin.AppendCompactArrayLen(b, len(ids))
	for _, id := range ids {
		b = kbin.AppendUuid(b, id)
		ps := slices.Sorted(slices.Values(a[id]))
		b = kbin.AppendCompactArrayLen(b, len(ps))
		for _, p := range ps {
			b = kbin.AppendInt32(b, p)
		}
		b = appendNoTags(b)
	}
	return b
}

// decodeConsumerValue decodes the value of a record with key version
// keyVersion.
func decodeConsumerValue(keyVersion int16, b []byte) (any, error) {
	d := &valueReader{r: kbin.Reader{Src: b}}
	if v := d.r.Int16(); v != 0 {
		return nil, fmt.Errorf("%w: consumer group record %d: value version %d", ErrCorruptRecord, keyVersion, v)
	}
	var v any
	switch keyVersion {
	case keyConsumerGroupMetadata:
		v = &cgMetadata{Epoch: d.r.Int32()}
	case keyConsumerPartitionMetadata:
		v = d.partitionMetadata()
	case keyConsumerMemberMetadata:
		v = d.member()
	case keyConsumerTargetMetadata:
		v = &cgTargetMetadata{AssignmentEpoch: d.r.Int32()}
	case keyConsumerTargetMember:
		v = &cgTargetMember{Partitions: d.assignment()}
	case keyConsumerCurrentAssignment:
		v = &cgCurrent{MemberEpoch: d.r.Int32(), PreviousMemberEpoch: d.r.Int32(), State: d.r.Int8(), Assigned: d.assignment(), PendingRevocation: d.assignment()}
	default:
		return nil, fmt.Errorf("%w: consumer group key version %d", ErrCorruptRecord, keyVersion)
	}
	d.skipTags()
	if err := d.err(); err != nil {
		return nil, fmt.Errorf("%w: consumer group record %d: %v", ErrCorruptRecord, keyVersion, err)
	}
	if len(d.r.Src) != 0 {
		return nil, fmt.Errorf("%w: consumer group record %d: %d trailing bytes", ErrCorruptRecord, keyVersion, len(d.r.Src))
	}
	return v, nil
}

// valueReader reads a flexible value; the first problem sticks.
type valueReader struct {
	r   kbin.Reader
	bad error
}

func (d *valueReader) err() error {
	if d.bad != nil {
		return d.bad
	}
	return d.r.Complete()
}

// arrayLen reads a compact array length; null is refused (no array in
// these schemas is nullable).
func (d *valueReader) arrayLen() int {
	n := d.r.CompactArrayLen()
	if n < 0 && d.bad == nil {
		d.bad = fmt.Errorf("null array")
	}
	return max(int(n), 0)
}

func (d *valueReader) skipTags() {
	n := d.r.Uvarint()
	for i := uint32(0); i < n && d.r.Ok(); i++ {
		d.r.Uvarint() // tag
		size := d.r.Uvarint()
		if int64(size) > int64(len(d.r.Src)) {
			d.bad = fmt.Errorf("tagged field of %d bytes, %d left", size, len(d.r.Src))
			return
		}
		d.r.Span(int(size))
	}
}

func (d *valueReader) partitionMetadata() *cgPartitionMetadata {
	v := &cgPartitionMetadata{}
	n := d.arrayLen()
	for i := 0; i < n && d.r.Ok(); i++ {
		t := cgTopic{ID: d.r.Uuid(), Name: d.r.CompactString(), Partitions: d.r.Int32()}
		racks := d.arrayLen()
		for j := 0; j < racks && d.r.Ok(); j++ {
			d.r.Int32() // partition
			for k := d.arrayLen(); k > 0 && d.r.Ok(); k-- {
				d.r.CompactString()
			}
			d.skipTags()
		}
		d.skipTags()
		v.Topics = append(v.Topics, t)
	}
	return v
}

func (d *valueReader) member() *cgMember {
	v := &cgMember{
		InstanceID: d.r.CompactNullableString(),
		RackID:     d.r.CompactNullableString(),
		ClientID:   d.r.CompactString(),
		ClientHost: d.r.CompactString(),
	}
	n := d.arrayLen()
	v.SubscribedTopicNames = make([]string, 0, n)
	for i := 0; i < n && d.r.Ok(); i++ {
		v.SubscribedTopicNames = append(v.SubscribedTopicNames, d.r.CompactString())
	}
	v.SubscribedTopicRegex = d.r.CompactNullableString()
	v.RebalanceTimeoutMs = d.r.Int32()
	v.ServerAssignor = d.r.CompactNullableString()
	return v
}

func (d *valueReader) assignment() Assignment {
	a := Assignment{}
	n := d.arrayLen()
	for i := 0; i < n && d.r.Ok(); i++ {
		id := d.r.Uuid()
		m := d.arrayLen()
		ps := make([]int32, 0, m)
		for j := 0; j < m && d.r.Ok(); j++ {
			ps = append(ps, d.r.Int32())
		}
		d.skipTags()
		a[id] = append(a[id], ps...)
	}
	return a.normalize()
}
