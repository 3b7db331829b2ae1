package partition

import (
	"errors"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/record"
)

func batchAt(t *testing.T, base int64, n int, epoch int32) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{Timestamp: time.Now().UnixMilli(), Value: []byte("v")}
	}
	b, err := record.Build(record.BatchSpec{BaseOffset: base, PartitionLeaderEpoch: epoch}, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFollowerReadsStopAtItsHighWatermark: a follower that has records
// beyond the high watermark the leader told it never returns them to a
// consumer (KIP-392), and checks the consumer's leader epoch against the
// epoch it follows.
func TestFollowerReadsStopAtItsHighWatermark(t *testing.T) {
	m, p := leaderOf3(t, "1")
	pm := metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 2, LeaderEpoch: 4, PartitionEpoch: 1}
	p.ApplyReplication(pm, 1, nil, m.ISRWake(), time.Now())
	for _, b := range [][]byte{batchAt(t, 0, 3, 4), batchAt(t, 3, 4, 4)} {
		if _, err := p.AppendReplicated(b, 4); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	changed := p.Changed()
	p.FollowerAppended(3) // the leader's HW: the first batch only
	select {
	case <-changed:
	default:
		t.Fatal("the follower's HW moved without waking waiting fetches")
	}
	b, o, err := p.Read(0, 1<<20)
	if err != nil || o.HighWatermark != 3 || o.LogEnd != 7 {
		t.Fatalf("read: %v, offsets %+v", err, o)
	}
	if end := lastBatchEnd(b); end != 3 {
		t.Fatalf("a consumer read up to %d on a follower whose HW is 3", end)
	}
	if b, _, err := p.Read(3, 1<<20); err != nil || len(b) != 0 {
		t.Fatalf("read at the follower's HW: %d bytes, %v; want nothing yet", len(b), err)
	}
	if b, _, _, err := p.ReadCommitted(0, 1<<20); err != nil || lastBatchEnd(b) != 3 {
		t.Fatalf("read_committed up to %d, %v; want the LSO 3", lastBatchEnd(b), err)
	}

	for _, tt := range []struct {
		epoch int32
		want  error
	}{{-1, nil}, {4, nil}, {3, ErrFencedLeaderEpoch}, {5, ErrUnknownLeaderEpoch}} {
		if err := p.CheckFollowerRead(tt.epoch); !errors.Is(err, tt.want) {
			t.Errorf("epoch %d on the follower: %v, want %v", tt.epoch, err, tt.want)
		}
	}
	if rs := p.ReadReplicas(0); rs != nil {
		t.Fatalf("a follower lists read replicas %v", rs)
	}

	// Removed from the replicas (reassignment): no reads at all.
	pm.Replicas, pm.ISR, pm.PartitionEpoch = []int32{2, 3}, []int32{2, 3}, 2
	p.ApplyReplication(pm, 1, nil, m.ISRWake(), time.Now())
	if err := p.CheckFollowerRead(-1); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("read on a broker that is no longer a replica: %v", err)
	}
}

// TestReadReplicasOnTheLeader: the leader offers the in-sync followers
// that have fetched in its epoch and hold the offset.
func TestReadReplicasOnTheLeader(t *testing.T) {
	_, p := leaderOf3(t, "1")
	if _, err := p.Append(batch(t, 5), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitDurable(5); err != nil {
		t.Fatal(err)
	}
	if rs := p.ReadReplicas(0); len(rs) != 0 {
		t.Fatalf("read replicas %v before any follower fetched", rs)
	}
	now := time.Now()
	if _, err := p.UpdateFollower(2, 5, now); err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpdateFollower(3, 2, now); err != nil {
		t.Fatal(err)
	}
	p.NoteFollowerLogStart(3, 1)
	if rs := p.ReadReplicas(4); len(rs) != 1 || rs[0] != (ReadReplica{ID: 2, LogEnd: 5}) {
		t.Fatalf("read replicas at 4: %v, want only 2 (3 ends at 2)", rs)
	}
	if rs := p.ReadReplicas(0); len(rs) != 1 || rs[0].ID != 2 {
		t.Fatalf("read replicas at 0: %v, want only 2 (3 starts at 1)", rs)
	}
	if rs := p.ReadReplicas(1); len(rs) != 2 {
		t.Fatalf("read replicas at 1: %v, want 2 and 3", rs)
	}
}

// TestFollowerReadCommitted: a follower's log tracks the transactions in
// the batches and markers it replicates, so read_committed consumers on it
// stop at its own last stable offset and learn the aborted transactions.
func TestFollowerReadCommitted(t *testing.T) {
	m, p := leaderOf3(t, "1")
	pm := metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 2, LeaderEpoch: 1, PartitionEpoch: 1}
	p.ApplyReplication(pm, 1, nil, m.ISRWake(), time.Now())
	now := time.Now().UnixMilli()
	build := func(spec record.BatchSpec, recs ...record.Record) []byte {
		t.Helper()
		spec.PartitionLeaderEpoch = 1
		b, err := record.Build(spec, recs)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	v := record.Record{Timestamp: now, Value: []byte("v")}
	txn := func(base int64, pid int64, seq int32, n int) []byte {
		recs := make([]record.Record, n)
		for i := range recs {
			recs[i] = v
		}
		return build(record.BatchSpec{BaseOffset: base, Transactional: true, Idempotent: true, ProducerID: pid, BaseSequence: seq}, recs...)
	}
	marker := func(base int64, pid int64, commit bool) []byte {
		return build(record.BatchSpec{BaseOffset: base, Transactional: true, Control: true, Idempotent: true, ProducerID: pid, BaseSequence: -1},
			record.EndTxnMarker(commit, 0, now))
	}
	var all []byte
	for _, b := range [][]byte{
		txn(0, 7, 0, 3),     // 0-2: aborted below
		marker(3, 7, false), // 3
		build(record.BatchSpec{BaseOffset: 4}, v, v), // 4-5: plain
		txn(6, 8, 0, 2), // 6-7: still open
	} {
		all = append(all, b...)
	}
	if _, err := p.AppendReplicated(all, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	p.FollowerAppended(8)
	b, o, aborted, err := p.ReadCommitted(0, 1<<20)
	if err != nil || o.HighWatermark != 8 || o.LastStable != 6 {
		t.Fatalf("read_committed: %v, offsets %+v; want HW 8, LSO 6 (the open transaction)", err, o)
	}
	if end := lastBatchEnd(b); end != 6 {
		t.Fatalf("read_committed on the follower read up to %d, want the LSO 6", end)
	}
	if len(aborted) != 1 || aborted[0].ProducerID != 7 || aborted[0].FirstOffset != 0 {
		t.Fatalf("aborted transactions %+v, want producer 7 from offset 0", aborted)
	}
}
