package metadata

import (
	"errors"
	"slices"
	"testing"
)

func reassignRec(topic string, partition int32, target ...int32) *record {
	return &record{Type: typeReassignPartition, ReassignPartition: &reassignPartitionRecord{
		Topic: topic, Partition: partition, Replicas: target, Cancel: target == nil}}
}

// reassignSteps applies records to an image one after another.
type reassignSteps struct {
	t   *testing.T
	img *Image
}

func (s *reassignSteps) step(r *record) Partition {
	s.t.Helper()
	next, res, err := apply(s.img, r, s.img.Offset+1)
	if err != nil {
		s.t.Fatalf("%s: %v", r.Type, err)
	}
	next.Offset = s.img.Offset + 1
	s.img = next
	p := next.Topics["t"].Partitions[0]
	if r.Type == typeReassignPartition || r.Type == typeAlterPartition {
		if res.partition.PartitionEpoch != p.PartitionEpoch || !slices.Equal(res.partition.Replicas, p.Replicas) {
			s.t.Fatalf("result %+v differs from the image's %+v", res.partition, p)
		}
	}
	return p
}

func (s *reassignSteps) part() Partition { return s.img.Topics["t"].Partitions[0] }

func wantReassign(t *testing.T, what string, p Partition, replicas, isr, adding, removing []int32, leader int32) {
	t.Helper()
	if !slices.Equal(p.Replicas, replicas) || !slices.Equal(p.ISR, isr) || !slices.Equal(p.AddingReplicas, adding) ||
		!slices.Equal(p.RemovingReplicas, removing) || p.Leader != leader {
		t.Fatalf("%s: replicas %v isr %v adding %v removing %v leader %d; want %v %v %v %v %d", what,
			p.Replicas, p.ISR, p.AddingReplicas, p.RemovingReplicas, p.Leader, replicas, isr, adding, removing, leader)
	}
}

// TestReassignCompletesOnCatchUp: {1,2} → {2,3}: 3 is added and follows,
// the move finishes when the leader adds 3 to the ISR; the leader (1) is
// being removed, so 2 leads in a new epoch.
func TestReassignCompletesOnCatchUp(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2))}
	p := s.step(reassignRec("t", 0, 2, 3))
	wantReassign(t, "started", p, []int32{2, 3, 1}, []int32{2, 1}, []int32{3}, []int32{1}, 1)
	if p.PartitionEpoch != 1 || p.LeaderEpoch != 0 {
		t.Fatalf("epochs after start: %+v", p)
	}
	if got := s.img.Reassignments(); len(got) != 1 || got[0].Topic != "t" {
		t.Fatalf("Reassignments() = %+v", got)
	}
	// An ISR change that leaves 3 out does not finish it.
	p = s.step(alterRec(1, 0, 1, 1, 2))
	wantReassign(t, "ISR re-proposed", p, []int32{2, 3, 1}, []int32{2, 1}, []int32{3}, []int32{1}, 1)
	p = s.step(alterRec(1, 0, 2, 1, 2, 3))
	wantReassign(t, "finished", p, []int32{2, 3}, []int32{2, 3}, nil, nil, 2)
	if p.LeaderEpoch != 1 || p.PartitionEpoch != 3 {
		t.Fatalf("epochs after finishing: %+v", p)
	}
	if got := s.img.Reassignments(); len(got) != 0 {
		t.Fatalf("Reassignments() after finishing = %+v", got)
	}
}

// TestReassignImmediate: a reorder and a pure removal of an in-sync
// replica finish in the record that starts them; a leader that stays a
// replica keeps leading (no new leader epoch).
func TestReassignImmediate(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2, 3))}
	p := s.step(reassignRec("t", 0, 3, 2, 1))
	wantReassign(t, "reorder", p, []int32{3, 2, 1}, []int32{3, 2, 1}, nil, nil, 1)
	p = s.step(reassignRec("t", 0, 3, 1))
	wantReassign(t, "removal", p, []int32{3, 1}, []int32{3, 1}, nil, nil, 1)
	if p.LeaderEpoch != 0 || p.PartitionEpoch != 2 {
		t.Fatalf("epochs: %+v", p)
	}
	// Removing the leader hands over to the first target replica.
	p = s.step(reassignRec("t", 0, 3))
	wantReassign(t, "leader removed", p, []int32{3}, []int32{3}, nil, nil, 3)
	if p.LeaderEpoch != 1 {
		t.Fatalf("leader epoch: %+v", p)
	}
}

// TestReassignRemovalWaitsForTargetInSync: a removal whose remaining
// replica is out of the ISR waits until it is back in sync (finishing
// earlier would leave an ISR without every target replica).
func TestReassignRemovalWaitsForTargetInSync(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2, 3))}
	s.step(alterRec(1, 0, 0, 1, 3))
	p := s.step(reassignRec("t", 0, 1, 2))
	wantReassign(t, "waiting", p, []int32{1, 2, 3}, []int32{1, 3}, nil, []int32{3}, 1)
	p = s.step(alterRec(1, 0, p.PartitionEpoch, 1, 2, 3))
	wantReassign(t, "finished", p, []int32{1, 2}, []int32{1, 2}, nil, nil, 1)
}

// TestReassignCancel: cancelling reverts to the original replicas and
// drops the adding ones from the ISR; an adding replica that had become
// leader hands over.
func TestReassignCancel(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), regRec(4), assignedTopic("t", 1, 2))}
	p := s.step(reassignRec("t", 0, 3, 4))
	wantReassign(t, "started", p, []int32{3, 4, 1, 2}, []int32{1, 2}, []int32{3, 4}, []int32{1, 2}, 1)
	p = s.step(alterRec(1, 0, p.PartitionEpoch, 1, 2, 3))
	wantReassign(t, "3 in sync", p, []int32{3, 4, 1, 2}, []int32{3, 1, 2}, []int32{3, 4}, []int32{1, 2}, 1)
	p = s.step(fenceRec(s.img, 1, typeFenceBroker))
	if p.Leader != 3 {
		t.Fatalf("the first live ISR member in replica order should lead: %+v", p)
	}
	epoch := p.LeaderEpoch
	p = s.step(reassignRec("t", 0))
	wantReassign(t, "cancelled", p, []int32{1, 2}, []int32{2}, nil, nil, 2)
	if p.LeaderEpoch != epoch+1 {
		t.Fatalf("leader epoch after handing over: %+v", p)
	}
}

// TestReassignReplace: a new target replaces a running reassignment,
// starting from the original replicas.
func TestReassignReplace(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), regRec(4), assignedTopic("t", 1, 2))}
	s.step(reassignRec("t", 0, 2, 3))
	p := s.step(reassignRec("t", 0, 2, 4))
	wantReassign(t, "replaced", p, []int32{2, 4, 1}, []int32{2, 1}, []int32{4}, []int32{1}, 1)
	// The same target again changes nothing: a caught-up adding replica
	// (3 of {3,4}) stays in sync.
	s.step(reassignRec("t", 0, 3, 4))
	p = s.step(alterRec(1, 0, s.part().PartitionEpoch, 1, 2, 3))
	wantReassign(t, "3 in sync", p, []int32{3, 4, 2, 1}, []int32{3, 2, 1}, []int32{3, 4}, []int32{2, 1}, 1)
	before := s.img
	if after, _, err := apply(before, reassignRec("t", 0, 3, 4), 99); err != nil || after != before {
		t.Fatal("the same target again changed the image")
	}
}

func TestReassignValidation(t *testing.T) {
	base := applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2))
	tests := []struct {
		name string
		rec  *record
		err  error
	}{
		{"unknown topic", reassignRec("nope", 0, 1), ErrUnknownTopic},
		{"unknown partition", reassignRec("t", 1, 1), ErrUnknownTopic},
		{"negative partition", reassignRec("t", -1, 1), ErrUnknownTopic},
		{"empty", reassignRec("t", 0, []int32{}...), ErrInvalidReplicaAssignment},
		{"duplicate", reassignRec("t", 0, 2, 2), ErrInvalidReplicaAssignment},
		{"unregistered", reassignRec("t", 0, 2, 9), ErrInvalidReplicaAssignment},
		{"cancel with none", reassignRec("t", 0), ErrNoReassignmentInProgress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, _, err := apply(base, tc.rec, 10)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if img != base {
				t.Fatal("a rejected record changed the image")
			}
		})
	}
}

// TestReassignCancelRefusedWhenOnlyAddingInSync: when every in-sync
// replica is one being added (the originals were fenced out of the ISR),
// a cancel would leave no replica with the acknowledged records: refused.
func TestReassignCancelRefusedWhenOnlyAddingInSync(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1))}
	s.step(reassignRec("t", 0, 2, 3))
	p := s.step(alterRec(1, 0, 1, 1, 2))
	wantReassign(t, "2 in sync", p, []int32{2, 3, 1}, []int32{2, 1}, []int32{2, 3}, []int32{1}, 1)
	p = s.step(fenceRec(s.img, 1, typeFenceBroker))
	wantReassign(t, "1 fenced", p, []int32{2, 3, 1}, []int32{2}, []int32{2, 3}, []int32{1}, 2)
	if _, _, err := apply(s.img, reassignRec("t", 0), 99); !errors.Is(err, ErrInvalidReplicaAssignment) {
		t.Fatalf("cancel: %v", err)
	}
	// The move still finishes once 3 catches up.
	p = s.step(alterRec(2, p.LeaderEpoch, p.PartitionEpoch, 2, 3))
	wantReassign(t, "finished", p, []int32{2, 3}, []int32{2, 3}, nil, nil, 2)
}

// TestReassignSnapshotRoundTrip: the reassignment fields survive a
// snapshot, and a partition without them encodes as before.
func TestReassignSnapshotRoundTrip(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2))}
	s.step(reassignRec("t", 0, 2, 3))
	b, err := encodeImage(s.img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeImage(b)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(s.img) || !slices.Equal(back.Topics["t"].Partitions[0].AddingReplicas, []int32{3}) {
		t.Fatalf("round trip lost the reassignment: %+v", back.Topics["t"].Partitions[0])
	}
}

// TestReassignCreatePartitionsRF: partitions added while partition 0 is
// moving get the replication factor of its target, not of target and
// original replicas together.
func TestReassignCreatePartitionsRF(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2))}
	s.step(reassignRec("t", 0, 3))
	s.step(&record{Type: typeCreatePartitions, CreatePartitions: &createPartitionsRecord{Name: "t", Total: 2, Seed: 1}})
	if got := s.img.Topics["t"].Partitions[1].Replicas; len(got) != 1 {
		t.Fatalf("new partition's replicas %v, want one (the target's replication factor)", got)
	}
}

// FuzzReassignRecord applies arbitrary records (seeded with reassignments
// and ISR changes) to an image with a move in progress: apply never
// changes the image it was given, and every partition stays consistent:
// distinct replicas, adding and removing disjoint subsets of them, a
// non-empty ISR of replicas, a leader in the ISR (or none); and a
// reassignment never adds a member to the ISR.
func FuzzReassignRecord(f *testing.F) {
	for _, r := range []*record{
		reassignRec("t", 0, 3, 4), reassignRec("t", 0), reassignRec("t", 0, 2, 4, 1), reassignRec("t", 0, 4),
		alterRec(1, 0, 2, 1, 2, 3), alterRec(1, 0, 2, 1, 2, 3, 4), alterRec(1, 0, 2, 1, 3),
	} {
		b, err := encodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base := emptyImage()
	for i, r := range []*record{regRec(1), regRec(2), regRec(3), regRec(4), assignedTopic("t", 1, 2),
		reassignRec("t", 0, 3, 4), alterRec(1, 0, 1, 1, 2, 3)} {
		var err error
		if base, _, err = apply(base, r, uint64(i+1)); err != nil {
			f.Fatal(err)
		}
	}
	before, err := encodeImage(base)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		next, _, err := apply(base, r, 100)
		if after, _ := encodeImage(base); string(after) != string(before) {
			t.Fatal("apply changed the image it was given")
		}
		if err != nil {
			return
		}
		for _, tp := range next.Topics {
			for _, p := range tp.Partitions {
				checkPartition(t, p)
			}
		}
		// A reassignment never vouches for a replica's data: only the
		// leader's alter_partition adds ISR members.
		if r.Type == typeReassignPartition {
			was := base.Topics["t"].Partitions[0].ISR
			if now := next.Topics["t"].Partitions[0].ISR; len(subtract(now, was)) > 0 {
				t.Fatalf("a reassignment added %v to the ISR %v", subtract(now, was), was)
			}
		}
	})
}

func checkPartition(t *testing.T, p Partition) {
	t.Helper()
	for i, id := range p.Replicas {
		if slices.Contains(p.Replicas[:i], id) {
			t.Fatalf("repeated replica: %+v", p)
		}
	}
	sub := func(s []int32) bool { return len(subtract(s, p.Replicas)) == 0 }
	switch {
	case len(p.ISR) == 0 || !sub(p.ISR) || !sub(p.AddingReplicas) || !sub(p.RemovingReplicas):
		t.Fatalf("ISR, adding or removing not replicas: %+v", p)
	case len(subtract(p.AddingReplicas, p.RemovingReplicas)) != len(p.AddingReplicas):
		t.Fatalf("a replica both added and removed: %+v", p)
	case len(p.TargetReplicas()) == 0:
		t.Fatalf("no target replicas: %+v", p)
	case p.Leader != NoLeader && !slices.Contains(p.ISR, p.Leader):
		t.Fatalf("leader out of the ISR: %+v", p)
	}
}

// An unclean election can leave only target replicas in the ISR: the move
// completes then, not at an ISR change that may never come (broker 1,
// the only one being removed, is gone).
func TestReassignCompletesAfterUncleanElection(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), assignedTopic("t", 1))}
	s.step(reassignRec("t", 0, 2))
	s.step(fenceRec(s.img, 1, typeFenceBroker))
	p := s.step(&record{Type: typeElectLeaders, ElectLeaders: &electLeadersRecord{Type: UncleanElection,
		Partitions: []ElectPartition{{Topic: "t", Partition: 0, PartitionEpoch: AnyPartitionEpoch}}}})
	if p.Reassigning() || !slices.Equal(p.Replicas, []int32{2}) || !slices.Equal(p.ISR, []int32{2}) || p.Leader != 2 {
		t.Fatalf("after the unclean election of the only target replica: %+v, want replicas [2], ISR [2], leader 2, no move", p)
	}
}

// An unclean election during a move prefers an original replica to one
// being added (which may hold little of the log).
func TestUncleanElectionPrefersOriginalReplicas(t *testing.T) {
	s := &reassignSteps{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2))}
	s.step(reassignRec("t", 0, 3, 2)) // replicas [3 2 1]: 3 is being added
	s.step(fenceRec(s.img, 1, typeFenceBroker))
	s.step(fenceRec(s.img, 2, typeFenceBroker)) // leaderless: ISR [2]
	s.step(&record{Type: typeUnfenceBroker, UnfenceBroker: &brokerEpochRecord{ID: 1, Epoch: s.img.Brokers[1].Epoch}})
	p := s.step(&record{Type: typeElectLeaders, ElectLeaders: &electLeadersRecord{Type: UncleanElection,
		Partitions: []ElectPartition{{Topic: "t", Partition: 0, PartitionEpoch: AnyPartitionEpoch}}}})
	if p.Leader != 1 {
		t.Fatalf("unclean election during a move: %+v, want the original replica 1 to lead, not the added 3", p)
	}
}
