package metadata

import (
	"errors"
	"slices"
	"testing"
)

// applyAll applies recs in order from an empty image (index = position),
// failing the test on a rejected record.
func applyAll(t *testing.T, recs ...*record) *Image {
	t.Helper()
	img := emptyImage()
	for i, r := range recs {
		var err error
		if img, _, err = apply(img, r, uint64(i+1)); err != nil {
			t.Fatalf("record %d (%s): %v", i, r.Type, err)
		}
	}
	return img
}

func assignedTopic(name string, replicas ...int32) *record {
	return &record{Type: typeCreateTopic, CreateTopic: &createTopicRecord{Name: name, ID: tid(9), Assignments: [][]int32{replicas}}}
}

func alterRec(leader, leaderEpoch, partitionEpoch int32, isr ...int32) *record {
	return &record{Type: typeAlterPartition, AlterPartition: &alterPartitionRecord{Topic: "t", Partition: 0,
		Leader: leader, LeaderEpoch: leaderEpoch, PartitionEpoch: partitionEpoch, ISR: isr}}
}

func fenceRec(img *Image, id int32, tr string) *record {
	r := &brokerEpochRecord{ID: id, Epoch: img.Brokers[id].Epoch}
	switch tr {
	case typeFenceBroker:
		return &record{Type: tr, FenceBroker: r}
	case typeUnfenceBroker:
		return &record{Type: tr, UnfenceBroker: r}
	}
	return &record{Type: tr, ShutdownBroker: r}
}

func TestAlterPartition(t *testing.T) {
	base := applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2, 3))
	tests := []struct {
		name    string
		rec     *record
		wantErr error
		wantISR []int32
	}{
		{"shrink", alterRec(1, 0, 0, 1, 3), nil, []int32{1, 3}},
		{"kept in replica order", alterRec(1, 0, 0, 3, 1), nil, []int32{1, 3}},
		{"not the leader", alterRec(2, 0, 0, 2), ErrFencedLeaderEpoch, nil},
		{"old leader epoch", alterRec(1, -1, 0, 1), ErrFencedLeaderEpoch, nil},
		{"stale partition epoch", alterRec(1, 0, 5, 1), ErrStalePartitionEpoch, nil},
		{"leader left out", alterRec(1, 0, 0, 2, 3), ErrInvalidISR, nil},
		{"not a replica", alterRec(1, 0, 0, 1, 4), ErrInvalidISR, nil},
		{"repeated", alterRec(1, 0, 0, 1, 1), ErrInvalidISR, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, res, err := apply(base, tc.rec, 10)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if img != base {
					t.Fatal("a rejected record changed the image")
				}
				return
			}
			p := img.Topics["t"].Partitions[0]
			if !slices.Equal(p.ISR, tc.wantISR) || p.PartitionEpoch != 1 || p.LeaderEpoch != 0 || !slices.Equal(res.partition.ISR, tc.wantISR) {
				t.Fatalf("partition %+v", p)
			}
		})
	}
	// A fenced broker cannot be added back.
	shrunk := applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2, 3), alterRec(1, 0, 0, 1, 3))
	fenced, _, err := apply(shrunk, fenceRec(shrunk, 2, typeFenceBroker), 20)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := apply(fenced, alterRec(1, 0, 1, 1, 2, 3), 21); !errors.Is(err, ErrInvalidISR) {
		t.Fatalf("adding a fenced broker: %v", err)
	}
}

// TestElection walks a partition through fencing: the leader's fencing
// elects the next in-sync replica with a new epoch, the last in-sync
// replica stays in the ISR with no leader, and its return makes it leader
// again; a re-registered leader gives way to another in-sync replica.
func TestElection(t *testing.T) {
	img := applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2, 3))
	step := func(r *record) Partition {
		t.Helper()
		var err error
		if img, _, err = apply(img, r, img.Offset+100); err != nil {
			t.Fatal(err)
		}
		img.Offset += 100
		return img.Topics["t"].Partitions[0]
	}
	p := step(fenceRec(img, 1, typeFenceBroker))
	if p.Leader != 2 || p.LeaderEpoch != 1 || !slices.Equal(p.ISR, []int32{2, 3}) {
		t.Fatalf("after fencing the leader: %+v", p)
	}
	p = step(fenceRec(img, 3, typeShutdownBroker))
	if p.Leader != 2 || p.LeaderEpoch != 1 || !slices.Equal(p.ISR, []int32{2}) {
		t.Fatalf("after a follower's shutdown: %+v", p)
	}
	p = step(fenceRec(img, 2, typeFenceBroker))
	if p.Leader != NoLeader || p.LeaderEpoch != 2 || !slices.Equal(p.ISR, []int32{2}) {
		t.Fatalf("after fencing the last in-sync replica: %+v", p)
	}
	p = step(fenceRec(img, 1, typeUnfenceBroker))
	if p.Leader != NoLeader {
		t.Fatalf("an out-of-sync replica was elected: %+v", p)
	}
	p = step(fenceRec(img, 2, typeUnfenceBroker))
	if p.Leader != 2 || p.LeaderEpoch != 3 {
		t.Fatalf("after the last in-sync replica returned: %+v", p)
	}
	p = step(alterRec(2, 3, p.PartitionEpoch, 1, 2))
	reg := regRec(2)
	reg.RegisterBroker.IncarnationID = [16]byte{1}
	p = step(reg)
	if p.Leader != 1 || p.LeaderEpoch != 4 || !slices.Equal(p.ISR, []int32{1}) {
		t.Fatalf("after the leader re-registered: %+v", p)
	}
}
