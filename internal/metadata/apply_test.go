package metadata

import (
	"errors"
	"slices"
	"testing"
)

func tid(b byte) [16]byte { return [16]byte{15: b} }

func regRec(id int32) *record {
	return &record{Type: typeRegisterBroker, RegisterBroker: &BrokerRegistration{ID: id, Host: "h", Port: 9092}}
}

func topicRec(name string, id byte, parts int32, rf int16) *record {
	return &record{Type: typeCreateTopic, CreateTopic: &createTopicRecord{Name: name, ID: tid(id), NumPartitions: parts, ReplicationFactor: rf, Seed: 7}}
}

// threeBrokers is the record prefix of most cases.
var threeBrokers = []*record{regRec(1), regRec(2), regRec(3)}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		prefix  []*record // must all succeed
		rec     *record
		wantErr error
		check   func(t *testing.T, img *Image, res result)
	}{
		{
			name: "register broker sets epoch to index",
			rec:  regRec(5),
			check: func(t *testing.T, img *Image, _ result) {
				if b := img.Brokers[5]; b == nil || b.Epoch != 1 || b.Host != "h" {
					t.Fatalf("broker 5 = %+v", b)
				}
			},
		},
		{
			name:    "negative broker id",
			rec:     regRec(-1),
			wantErr: ErrInvalidRecord,
		},
		{
			name:   "create topic places replicas",
			prefix: threeBrokers,
			rec:    topicRec("a", 1, 6, 3),
			check: func(t *testing.T, img *Image, res result) {
				top := img.Topics["a"]
				if res.topic != top || img.TopicsByID[tid(1)] != top || len(top.Partitions) != 6 {
					t.Fatalf("topic %+v", top)
				}
				leaders := map[int32]int{}
				for i, p := range top.Partitions {
					if p.Index != int32(i) || len(p.Replicas) != 3 || p.Leader != p.Replicas[0] || !slices.Equal(p.ISR, p.Replicas) {
						t.Fatalf("partition %+v", p)
					}
					leaders[p.Leader]++
				}
				if leaders[1] != 2 || leaders[2] != 2 || leaders[3] != 2 {
					t.Fatalf("leaders not round robin: %v", leaders)
				}
			},
		},
		{
			name:    "topic exists",
			prefix:  append(slices.Clone(threeBrokers), topicRec("a", 1, 1, 1)),
			rec:     topicRec("a", 2, 1, 1),
			wantErr: ErrTopicExists,
		},
		{
			name:    "topic id reused",
			prefix:  append(slices.Clone(threeBrokers), topicRec("a", 1, 1, 1)),
			rec:     topicRec("b", 1, 1, 1),
			wantErr: ErrTopicExists,
		},
		{name: "zero topic id", prefix: threeBrokers, rec: topicRec("a", 0, 1, 1), wantErr: ErrInvalidRecord},
		{name: "zero partitions", prefix: threeBrokers, rec: topicRec("a", 1, 0, 1), wantErr: ErrInvalidPartitions},
		{name: "too many partitions", prefix: threeBrokers, rec: topicRec("a", 1, maxPartitions+1, 1), wantErr: ErrInvalidPartitions},
		{name: "rf above brokers", prefix: threeBrokers, rec: topicRec("a", 1, 1, 4), wantErr: ErrInvalidReplicationFactor},
		{name: "rf zero", prefix: threeBrokers, rec: topicRec("a", 1, 1, 0), wantErr: ErrInvalidReplicationFactor},
		{name: "no brokers", rec: topicRec("a", 1, 1, 1), wantErr: ErrInvalidReplicationFactor},
		{
			name:   "explicit assignments",
			prefix: threeBrokers,
			rec:    &record{Type: typeCreateTopic, CreateTopic: &createTopicRecord{Name: "a", ID: tid(1), Assignments: [][]int32{{3, 1}, {2, 3}}}},
			check: func(t *testing.T, img *Image, _ result) {
				ps := img.Topics["a"].Partitions
				if len(ps) != 2 || ps[0].Leader != 3 || ps[1].Leader != 2 || !slices.Equal(ps[1].Replicas, []int32{2, 3}) {
					t.Fatalf("partitions %+v", ps)
				}
			},
		},
		{
			name:    "assignment to unknown broker",
			prefix:  threeBrokers,
			rec:     &record{Type: typeCreateTopic, CreateTopic: &createTopicRecord{Name: "a", ID: tid(1), Assignments: [][]int32{{9}}}},
			wantErr: ErrInvalidReplicaAssignment,
		},
		{
			name:    "assignment repeats broker",
			prefix:  threeBrokers,
			rec:     &record{Type: typeCreateTopic, CreateTopic: &createTopicRecord{Name: "a", ID: tid(1), Assignments: [][]int32{{1, 1}}}},
			wantErr: ErrInvalidReplicaAssignment,
		},
		{
			name:    "assignments of different sizes",
			prefix:  threeBrokers,
			rec:     &record{Type: typeCreateTopic, CreateTopic: &createTopicRecord{Name: "a", ID: tid(1), Assignments: [][]int32{{1, 2}, {1}}}},
			wantErr: ErrInvalidReplicaAssignment,
		},
		{
			name:   "delete topic",
			prefix: append(slices.Clone(threeBrokers), topicRec("a", 1, 1, 1)),
			rec:    &record{Type: typeDeleteTopic, DeleteTopic: &deleteTopicRecord{Name: "a"}},
			check: func(t *testing.T, img *Image, _ result) {
				if len(img.Topics) != 0 || len(img.TopicsByID) != 0 {
					t.Fatalf("topics left: %v", img.Topics)
				}
			},
		},
		{name: "delete unknown", rec: &record{Type: typeDeleteTopic, DeleteTopic: &deleteTopicRecord{Name: "a"}}, wantErr: ErrUnknownTopic},
		{
			name:   "create partitions keeps rf",
			prefix: append(slices.Clone(threeBrokers), topicRec("a", 1, 2, 2)),
			rec:    &record{Type: typeCreatePartitions, CreatePartitions: &createPartitionsRecord{Name: "a", Total: 5, Seed: 3}},
			check: func(t *testing.T, img *Image, _ result) {
				ps := img.Topics["a"].Partitions
				if len(ps) != 5 || ps[4].Index != 4 || len(ps[4].Replicas) != 2 || img.TopicsByID[tid(1)] != img.Topics["a"] {
					t.Fatalf("partitions %+v", ps)
				}
			},
		},
		{
			name:    "create partitions not growing",
			prefix:  append(slices.Clone(threeBrokers), topicRec("a", 1, 2, 2)),
			rec:     &record{Type: typeCreatePartitions, CreatePartitions: &createPartitionsRecord{Name: "a", Total: 2}},
			wantErr: ErrInvalidPartitions,
		},
		{
			name:    "create partitions wrong assignment count",
			prefix:  append(slices.Clone(threeBrokers), topicRec("a", 1, 2, 2)),
			rec:     &record{Type: typeCreatePartitions, CreatePartitions: &createPartitionsRecord{Name: "a", Total: 4, Assignments: [][]int32{{1}}}},
			wantErr: ErrInvalidReplicaAssignment,
		},
		{name: "create partitions unknown", rec: &record{Type: typeCreatePartitions, CreatePartitions: &createPartitionsRecord{Name: "a", Total: 4}}, wantErr: ErrUnknownTopic},
		{
			name: "alter topic configs incrementally then replace",
			prefix: append(slices.Clone(threeBrokers), topicRec("a", 1, 1, 1),
				&record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: TopicResource, Name: "a", Set: map[string]*string{"x": str("1"), "y": str("2")}}},
				&record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: TopicResource, Name: "a", Set: map[string]*string{"x": nil}}},
			),
			rec: &record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: TopicResource, Name: "a", Set: map[string]*string{"z": str("3")}, Replace: true}},
			check: func(t *testing.T, img *Image, _ result) {
				if c := img.Topics["a"].Configs; len(c) != 1 || c["z"] != "3" {
					t.Fatalf("configs %v", c)
				}
			},
		},
		{
			name:   "alter broker config, deleting the last key drops the map",
			prefix: []*record{{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: BrokerResource, Name: "2", Set: map[string]*string{"x": str("1")}}}},
			rec:    &record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: BrokerResource, Name: "2", Set: map[string]*string{"x": nil}}},
			check: func(t *testing.T, img *Image, _ result) {
				if _, ok := img.BrokerConfigs["2"]; ok {
					t.Fatalf("broker configs %v", img.BrokerConfigs)
				}
			},
		},
		{name: "alter configs of unknown topic", rec: &record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: TopicResource, Name: "a"}}, wantErr: ErrUnknownTopic},
		{name: "alter configs of bad broker name", rec: &record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: BrokerResource, Name: "01"}}, wantErr: ErrInvalidConfigResource},
		{name: "alter configs of bad type", rec: &record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: 9}}, wantErr: ErrInvalidConfigResource},
		{
			name:   "producer ids",
			prefix: []*record{{Type: typeAllocateProducerIDs, AllocateProducerIDs: &allocateProducerIDsRecord{Count: 10}}},
			rec:    &record{Type: typeAllocateProducerIDs, AllocateProducerIDs: &allocateProducerIDsRecord{Count: 5}},
			check: func(t *testing.T, img *Image, res result) {
				if res.firstProducerID != 10 || img.NextProducerID != 15 {
					t.Fatalf("first %d next %d", res.firstProducerID, img.NextProducerID)
				}
			},
		},
		{name: "producer id count zero", rec: &record{Type: typeAllocateProducerIDs, AllocateProducerIDs: &allocateProducerIDsRecord{}}, wantErr: ErrInvalidRecord},
		{name: "unknown type", rec: &record{Type: "bogus"}, wantErr: ErrInvalidRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := emptyImage()
			var err error
			for i, r := range tc.prefix {
				if img, _, err = apply(img, r, uint64(i+1)); err != nil {
					t.Fatalf("prefix record %d: %v", i, err)
				}
			}
			before, beforeJSON := img, img.toSnapshot()
			next, res, err := apply(img, tc.rec, uint64(len(tc.prefix)+1))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("apply: %v, want %v", err, tc.wantErr)
			}
			if !equalJSON(before.toSnapshot(), beforeJSON) {
				t.Fatal("apply modified its input image")
			}
			if err != nil {
				if next != img {
					t.Fatal("rejected record changed the image")
				}
				return
			}
			if tc.check != nil {
				tc.check(t, next, res)
			}
			// The image survives a snapshot round trip.
			data, err := encodeImage(next)
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodeImage(data)
			if err != nil || !back.Equal(next) {
				t.Fatalf("snapshot round trip: %v", err)
			}
		})
	}
}

func TestPlace(t *testing.T) {
	for _, tc := range []struct {
		brokers []int32
		count   int32
		rf      int
	}{
		{[]int32{1}, 4, 1},
		{[]int32{1, 2}, 5, 2},
		{[]int32{1, 2, 3, 4, 5}, 50, 3},
		{[]int32{10, 20, 30}, 9, 3},
	} {
		for seed := range uint32(20) {
			asg := place(tc.brokers, 0, tc.count, tc.rf, seed)
			leaders := map[int32]int{}
			for _, r := range asg {
				if len(r) != tc.rf {
					t.Fatalf("replicas %v", r)
				}
				for i, id := range r {
					if !slices.Contains(tc.brokers, id) || slices.Contains(r[:i], id) {
						t.Fatalf("bad replicas %v of %v", r, tc.brokers)
					}
				}
				leaders[r[0]]++
			}
			for _, c := range leaders {
				if c < int(tc.count)/len(tc.brokers) || c > int(tc.count)/len(tc.brokers)+1 {
					t.Fatalf("unbalanced leaders %v", leaders)
				}
			}
		}
	}
}

func TestRecordCodec(t *testing.T) {
	in := topicRec("a", 1, 3, 1)
	in.Origin, in.Req = 5, 9
	b, err := encodeRecord(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeRecord(b)
	if err != nil || out.Version != recordVersion || out.CreateTopic.Name != "a" || out.Req != 9 {
		t.Fatalf("decode = %+v, %v", out, err)
	}
	for _, bad := range []string{
		`{`, `{"v":3,"type":"delete_topic","delete_topic":{"name":"a"}}`,
		`{"v":1,"type":"delete_topic"}`, `{"v":1,"type":"nope"}`, `{"type":"delete_topic","delete_topic":{}}`,
	} {
		if _, err := decodeRecord([]byte(bad)); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("decode %s: %v, want ErrInvalidRecord", bad, err)
		}
	}
}

func FuzzRecord(f *testing.F) {
	for _, r := range []*record{
		regRec(1), topicRec("a", 1, 3, 2),
		{Type: typeCreatePartitions, CreatePartitions: &createPartitionsRecord{Name: "a", Total: 4}},
		{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: BrokerResource, Name: "1", Set: map[string]*string{"a": nil}}},
		{Type: typeAllocateProducerIDs, AllocateProducerIDs: &allocateProducerIDsRecord{Count: 3}},
	} {
		b, err := encodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base := emptyImage()
	for i, r := range append(slices.Clone(threeBrokers), topicRec("a", 1, 2, 2)) {
		var err error
		if base, _, err = apply(base, r, uint64(i+1)); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		next, _, err := apply(base, r, 100)
		if err == nil && (len(next.Topics) != len(next.TopicsByID)) {
			t.Fatal("topic maps out of step")
		}
	})
}
