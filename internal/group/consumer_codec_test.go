package group

import (
	"bytes"
	"reflect"
	"testing"
)

// TestConsumerRecordGolden pins the bytes of a few records, written out
// by hand from Kafka's ConsumerGroup*.json schemas.
func TestConsumerRecordGolden(t *testing.T) {
	inst := "i"
	cases := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"metadata key", consumerKey{version: 3, group: "g"}.encode(), []byte{0, 3, 0, 1, 'g'}},
		{"member key", consumerKey{version: 5, group: "g", member: "m"}.encode(), []byte{0, 5, 0, 1, 'g', 0, 1, 'm'}},
		{"current key", consumerKey{version: 8, group: "g", member: "m"}.encode(), []byte{0, 8, 0, 1, 'g', 0, 1, 'm'}},
		{"metadata value", encodeConsumerValue(&cgMetadata{Epoch: 5}), []byte{0, 0, 0, 0, 0, 5, 0}},
		{"target metadata value", encodeConsumerValue(&cgTargetMetadata{AssignmentEpoch: 7}), []byte{0, 0, 0, 0, 0, 7, 0}},
		{"current value", encodeConsumerValue(&cgCurrent{MemberEpoch: 3, PreviousMemberEpoch: 2, State: 1,
			Assigned: Assignment{topicA: {1, 0}}, PendingRevocation: Assignment{}}),
			append(append([]byte{0, 0, 0, 0, 0, 3, 0, 0, 0, 2, 1,
				2}, topicA[:]...), // one topic: uuid
				3, 0, 0, 0, 0, 0, 0, 0, 1, 0, // partitions [0 1], no tags
				1, // pending: empty array
				0, // no tags
			)},
		{"member value", encodeConsumerValue(&cgMember{InstanceID: &inst, ClientID: "c", ClientHost: "h",
			SubscribedTopicNames: []string{"a"}, RebalanceTimeoutMs: 1000}),
			[]byte{0, 0, 2, 'i', 0, 2, 'c', 2, 'h', 2, 2, 'a', 0, 0, 0, 0x03, 0xe8, 0, 0}},
		{"partition metadata value", encodeConsumerValue(&cgPartitionMetadata{Topics: []cgTopic{{ID: topicB, Name: "b", Partitions: 4}}}),
			append(append([]byte{0, 0, 2}, topicB[:]...), 2, 'b', 0, 0, 0, 4, 1, 0, 0)},
	}
	for _, c := range cases {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s:\n got % x\nwant % x", c.name, c.got, c.want)
		}
	}
}

func TestConsumerRecordsRoundTrip(t *testing.T) {
	inst, rack, re, asg := "inst", "rack", "a.*", "range"
	values := map[int16]any{
		keyConsumerGroupMetadata:     &cgMetadata{Epoch: 9},
		keyConsumerPartitionMetadata: &cgPartitionMetadata{Topics: []cgTopic{{ID: topicA, Name: "a", Partitions: 3}, {ID: topicB, Name: "b", Partitions: 1}}},
		keyConsumerMemberMetadata: &cgMember{InstanceID: &inst, RackID: &rack, ClientID: "client", ClientHost: "/127.0.0.1",
			SubscribedTopicNames: []string{"a", "b"}, SubscribedTopicRegex: &re, RebalanceTimeoutMs: 45000, ServerAssignor: &asg},
		keyConsumerTargetMetadata:    &cgTargetMetadata{AssignmentEpoch: 8},
		keyConsumerTargetMember:      &cgTargetMember{Partitions: Assignment{topicA: {0, 2}, topicB: {0}}},
		keyConsumerCurrentAssignment: &cgCurrent{MemberEpoch: 8, PreviousMemberEpoch: 7, State: 2, Assigned: Assignment{topicA: {0}}, PendingRevocation: Assignment{topicB: {0}}},
	}
	for version, v := range values {
		k := consumerKey{version: version, group: "grp"}
		if hasMember(version) {
			k.member = "member-1"
		}
		d, err := decodeRecord(k.encode(), encodeConsumerValue(v))
		if err != nil {
			t.Fatalf("key %d: %v", version, err)
		}
		if d.group != "grp" || d.cg == nil || d.cg.key != k || !reflect.DeepEqual(d.cg.value, v) {
			t.Errorf("key %d: decoded %+v (%+v), want %+v", version, d.cg, d.cg.value, v)
		}
		if d, err := decodeRecord(k.encode(), nil); err != nil || d.cg == nil || d.cg.value != nil {
			t.Errorf("key %d tombstone: %+v %v", version, d, err)
		}
	}
	// Empty optional fields come back as null, empty lists as empty.
	d, err := decodeConsumerValue(keyConsumerMemberMetadata, encodeConsumerValue(&cgMember{RebalanceTimeoutMs: -1}))
	if err != nil || !reflect.DeepEqual(d, &cgMember{SubscribedTopicNames: []string{}, RebalanceTimeoutMs: -1}) {
		t.Fatalf("empty member: %+v %v", d, err)
	}
}

// TestConsumerValueSkipsTaggedFields: values may carry tagged fields this
// version does not know (Kafka 4.1 adds MetadataHash to the group
// metadata as tag 0; members of mixed groups carry ClassicMemberMetadata).
func TestConsumerValueSkipsTaggedFields(t *testing.T) {
	v := []byte{0, 0, 0, 0, 0, 5, 1, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}
	d, err := decodeConsumerValue(keyConsumerGroupMetadata, v)
	if err != nil || d.(*cgMetadata).Epoch != 5 {
		t.Fatalf("%+v %v", d, err)
	}
	m := encodeConsumerValue(&cgMember{ClientID: "c"})
	m = append(m[:len(m)-1], 1, 0, 3, 0, 0, 1) // tag 0 of 3 bytes
	if d, err := decodeConsumerValue(keyConsumerMemberMetadata, m); err != nil || d.(*cgMember).ClientID != "c" {
		t.Fatalf("%+v %v", d, err)
	}
}

func TestConsumerRecordRejectsGarbage(t *testing.T) {
	good := encodeConsumerValue(&cgCurrent{Assigned: Assignment{topicA: {1}}})
	for name, c := range map[string]struct {
		key, value []byte
	}{
		"short key":         {[]byte{0, 3, 0, 5, 'g'}, nil},
		"key trailing":      {[]byte{0, 3, 0, 1, 'g', 'x'}, nil},
		"member key short":  {[]byte{0, 7, 0, 1, 'g'}, nil},
		"value version":     {consumerKey{version: 3, group: "g"}.encode(), []byte{0, 1, 0, 0, 0, 5, 0}},
		"value short":       {consumerKey{version: 3, group: "g"}.encode(), []byte{0, 0, 0, 0}},
		"value trailing":    {consumerKey{version: 3, group: "g"}.encode(), []byte{0, 0, 0, 0, 0, 5, 0, 9}},
		"truncated current": {consumerKey{version: 8, group: "g", member: "m"}.encode(), good[:len(good)-3]},
		"null array":        {consumerKey{version: 7, group: "g", member: "m"}.encode(), []byte{0, 0, 0, 0}},
		"huge array":        {consumerKey{version: 7, group: "g", member: "m"}.encode(), []byte{0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0}},
		"huge tag":          {consumerKey{version: 3, group: "g"}.encode(), []byte{0, 0, 0, 0, 0, 5, 1, 0, 0x7f}},
	} {
		if _, err := decodeRecord(c.key, c.value); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzDecodeConsumerRecord: any bytes either fail to decode or decode to
// a record that re-encodes to bytes decoding to the same value, and that
// a group can be restored from.
func FuzzDecodeConsumerRecord(f *testing.F) {
	inst := "i"
	f.Add(consumerKey{version: 3, group: "g"}.encode(), encodeConsumerValue(&cgMetadata{Epoch: 1}))
	f.Add(consumerKey{version: 4, group: "g"}.encode(), encodeConsumerValue(&cgPartitionMetadata{Topics: []cgTopic{{ID: topicA, Name: "a", Partitions: 2}}}))
	f.Add(consumerKey{version: 5, group: "g", member: "m"}.encode(), encodeConsumerValue(&cgMember{InstanceID: &inst, SubscribedTopicNames: []string{"a"}}))
	f.Add(consumerKey{version: 6, group: "g"}.encode(), encodeConsumerValue(&cgTargetMetadata{AssignmentEpoch: 1}))
	f.Add(consumerKey{version: 7, group: "g", member: "m"}.encode(), encodeConsumerValue(&cgTargetMember{Partitions: Assignment{topicA: {0, 1}}}))
	f.Add(consumerKey{version: 8, group: "g", member: "m"}.encode(), encodeConsumerValue(&cgCurrent{MemberEpoch: 1, Assigned: Assignment{topicA: {0}}}))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		d, err := decodeRecord(key, value)
		if err != nil || d.cg == nil {
			return
		}
		if d.cg.value == nil {
			return
		}
		again, err := decodeConsumerValue(d.cg.key.version, encodeConsumerValue(d.cg.value))
		if err != nil || !reflect.DeepEqual(again, d.cg.value) {
			t.Fatalf("re-encoded %+v decodes to %+v, %v", d.cg.value, again, err)
		}
		img := consumerImages{}
		img.replay(d)
		restoreConsumer(d.group, testConsumerLimits, img[d.group], t0)
	})
}
