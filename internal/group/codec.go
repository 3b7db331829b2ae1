package group

import (
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrCorruptRecord is a __consumer_offsets record that does not decode.
var ErrCorruptRecord = errors.New("group: corrupt __consumer_offsets record")

// Offset is a committed offset.
type Offset struct {
	Offset      int64
	LeaderEpoch int32
	Metadata    string
	CommitTime  time.Time
}

// Record key versions in __consumer_offsets, as Kafka writes them: 0 and
// 1 are offset commits, 2 is group metadata.
const (
	keyOffsetCommit  = 1
	keyGroupMetadata = 2
	// Value versions written: OffsetCommitValue v3 (leader epoch, no
	// expire timestamp), GroupMetadataValue v3 (static members).
	offsetValueVersion = 3
	groupValueVersion  = 3
)

func offsetKey(group, topic string, partition int32) []byte {
	k := kmsg.OffsetCommitKey{Version: keyOffsetCommit, Group: group, Topic: topic, Partition: partition}
	return k.AppendTo(nil)
}

func offsetValue(o Offset) []byte {
	v := kmsg.NewOffsetCommitValue()
	v.Version = offsetValueVersion
	v.Offset, v.LeaderEpoch, v.Metadata = o.Offset, o.LeaderEpoch, o.Metadata
	v.CommitTimestamp = o.CommitTime.UnixMilli()
	return v.AppendTo(nil)
}

func groupKey(group string) []byte {
	k := kmsg.GroupMetadataKey{Version: keyGroupMetadata, Group: group}
	return k.AppendTo(nil)
}

// groupValue encodes the group's metadata: each member with the metadata
// of the selected protocol and its assignment.
func groupValue(g *Classic) []byte {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVersion
	v.ProtocolType = g.protocolType
	v.Generation = g.generation
	if g.protocol != "" {
		p := g.protocol
		v.Protocol = &p
	}
	if g.leader != "" {
		l := g.leader
		v.Leader = &l
	}
	v.CurrentStateTimestamp = g.stateTime.UnixMilli()
	for _, m := range g.Members() {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID, vm.ClientID, vm.ClientHost = m.ID, m.ClientID, m.ClientHost
		if m.InstanceID != "" {
			id := m.InstanceID
			vm.InstanceID = &id
		}
		vm.RebalanceTimeoutMillis = int32(m.RebalanceTimeout / time.Millisecond)
		vm.SessionTimeoutMillis = int32(m.SessionTimeout / time.Millisecond)
		vm.Subscription = m.metadataFor(g.protocol)
		vm.Assignment = m.Assignment
		v.Members = append(v.Members, vm)
	}
	return v.AppendTo(nil)
}

// decoded is one __consumer_offsets record.
type decoded struct {
	group     string
	isOffset  bool
	topic     string
	partition int32
	offset    *Offset                  // nil: tombstone
	meta      *kmsg.GroupMetadataValue // nil: tombstone
	cg        *consumerRecord          // a KIP-848 consumer group record (key versions 3-8)
}

// decodeRecord decodes a record's key and value (nil value: tombstone).
func decodeRecord(key, value []byte) (decoded, error) {
	if len(key) < 2 {
		return decoded{}, fmt.Errorf("%w: key of %d bytes", ErrCorruptRecord, len(key))
	}
	version := int16(key[0])<<8 | int16(key[1])
	switch version {
	case 0, 1:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(key); err != nil {
			return decoded{}, fmt.Errorf("%w: offset key: %v", ErrCorruptRecord, err)
		}
		d := decoded{group: k.Group, isOffset: true, topic: k.Topic, partition: k.Partition}
		if value == nil {
			return d, nil
		}
		var v kmsg.OffsetCommitValue
		if err := v.ReadFrom(value); err != nil {
			return decoded{}, fmt.Errorf("%w: offset value: %v", ErrCorruptRecord, err)
		}
		epoch := v.LeaderEpoch
		if v.Version < 3 {
			epoch = -1
		}
		d.offset = &Offset{Offset: v.Offset, LeaderEpoch: epoch, Metadata: v.Metadata, CommitTime: time.UnixMilli(v.CommitTimestamp)}
		return d, nil
	case 2:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(key); err != nil {
			return decoded{}, fmt.Errorf("%w: group key: %v", ErrCorruptRecord, err)
		}
		d := decoded{group: k.Group}
		if value == nil {
			return d, nil
		}
		var v kmsg.GroupMetadataValue
		if err := v.ReadFrom(value); err != nil {
			return decoded{}, fmt.Errorf("%w: group value: %v", ErrCorruptRecord, err)
		}
		d.meta = &v
		return d, nil
	}
	if version >= keyConsumerGroupMetadata && version <= keyConsumerCurrentAssignment {
		return decodeConsumerRecord(key, value)
	}
	return decoded{}, fmt.Errorf("%w: unknown key version %d", ErrCorruptRecord, version)
}

// restoreClassic rebuilds a group from its stored metadata: Empty without
// members, else Stable in the stored generation with the stored
// assignments, every member's session starting now.
func restoreClassic(id string, limits Limits, v *kmsg.GroupMetadataValue, now time.Time) *Classic {
	g := NewClassic(id, limits, now)
	g.protocolType = v.ProtocolType
	g.generation = v.Generation
	if v.Protocol != nil {
		g.protocol = *v.Protocol
	}
	if v.Leader != nil {
		g.leader = *v.Leader
	}
	if v.CurrentStateTimestamp > 0 {
		g.stateTime = time.UnixMilli(v.CurrentStateTimestamp)
	}
	for _, vm := range v.Members {
		m := &Member{
			ID: vm.MemberID, ClientID: vm.ClientID, ClientHost: vm.ClientHost,
			SessionTimeout:   time.Duration(vm.SessionTimeoutMillis) * time.Millisecond,
			RebalanceTimeout: time.Duration(vm.RebalanceTimeoutMillis) * time.Millisecond,
			Protocols:        []Protocol{{Name: g.protocol, Metadata: vm.Subscription}},
			Assignment:       vm.Assignment,
		}
		if m.RebalanceTimeout <= 0 {
			m.RebalanceTimeout = m.SessionTimeout
		}
		m.deadline = now.Add(m.SessionTimeout)
		if vm.InstanceID != nil && *vm.InstanceID != "" {
			m.InstanceID = *vm.InstanceID
			g.static[m.InstanceID] = m.ID
		}
		g.members[m.ID] = m
	}
	if len(g.members) > 0 {
		g.state = Stable
		if g.members[g.leader] == nil {
			g.leader = g.Members()[0].ID
		}
	}
	return g
}

// javaStringHashCode is Java's String.hashCode over the UTF-16 code units
// of s, which Kafka uses to place a group in __consumer_offsets.
func javaStringHashCode(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// PartitionFor returns the __consumer_offsets partition of a group:
// abs(hashCode(group)) % partitions, with Kafka's abs (MinInt32 → 0).
func PartitionFor(group string, partitions int32) int32 {
	h := javaStringHashCode(group)
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % partitions
}
