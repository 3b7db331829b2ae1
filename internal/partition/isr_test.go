package partition

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// leaderOf3 hosts partition t-0 on broker 1, leader of replicas 1, 2, 3.
func leaderOf3(t *testing.T, minISR string) (*Manager, *Partition) {
	t.Helper()
	m := NewManager(fs.NewMem(), "/data", 1, quiet)
	t.Cleanup(func() { m.Close() })
	top := topic("t", 1, 1, map[string]string{"min.insync.replicas": minISR})
	top.Partitions[0].Replicas = []int32{1, 2, 3}
	top.Partitions[0].ISR = []int32{1, 2, 3}
	if err := m.Apply(image(top), brokerConfig(t, map[string]string{"replica.lag.time.max.ms": "1000"})); err != nil {
		t.Fatal(err)
	}
	return m, m.Get("t", 0)
}

func TestHighWatermarkIsMinOfISR(t *testing.T) {
	_, p := leaderOf3(t, "2")
	if _, err := p.Append(batch(t, 5), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitDurable(5); err != nil {
		t.Fatal(err)
	}
	if hw := p.Offsets().HighWatermark; hw != 0 {
		t.Fatalf("HW %d before any follower fetched", hw)
	}
	now := time.Now()
	if _, err := p.UpdateFollower(2, 5, now); err != nil {
		t.Fatal(err)
	}
	if hw := p.Offsets().HighWatermark; hw != 0 {
		t.Fatalf("HW %d with follower 3 unknown", hw)
	}
	hw, err := p.UpdateFollower(3, 3, now)
	if err != nil || hw != 3 {
		t.Fatalf("HW %d, %v; want 3 (follower 3's LEO)", hw, err)
	}
	if _, err := p.UpdateFollower(4, 5, now); !errors.Is(err, ErrNotReplica) {
		t.Fatalf("fetch from a non-replica: %v", err)
	}
	if _, err := p.UpdateFollower(2, 6, now); !errors.Is(err, log.ErrOffsetOutOfRange) {
		t.Fatalf("fetch beyond the leader's log end: %v", err)
	}
	// acks=all for offsets below 5 waits for follower 3.
	done := make(chan error, 1)
	go func() { done <- p.WaitReplicated(context.Background(), 5, p.LeaderEpoch()) }()
	if _, err := p.UpdateFollower(3, 5, now); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("WaitReplicated: %v", err)
	}
}

func TestISRShrinkAndExpand(t *testing.T) {
	m, p := leaderOf3(t, "2")
	if _, err := p.Append(batch(t, 4), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitDurable(4); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, ok := p.ISRChange(now, nil); ok {
		t.Fatal("ISR change with every follower within replica.lag.time.max.ms")
	}
	p.UpdateFollower(2, 4, now.Add(900*time.Millisecond)) // caught up
	ch, ok := p.ISRChange(now.Add(1500*time.Millisecond), nil)
	if !ok || !slices.Equal(ch.ISR, []int32{1, 2}) || ch.Leader != 1 || ch.PartitionEpoch != 0 {
		t.Fatalf("after 1.5s without follower 3: %+v %v", ch, ok)
	}
	// The controller commits it; the leader installs it.
	pm := metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: ch.ISR, Leader: 1, PartitionEpoch: 1}
	p.ApplyReplication(pm, 1, nil, m.ISRWake(), now)
	if err := p.CheckProduce(-1); err != nil {
		t.Fatalf("ISR of 2 with min.insync.replicas=2: %v", err)
	}
	if hw := p.Offsets().HighWatermark; hw != 4 {
		t.Fatalf("HW %d after follower 3 left the ISR, want 4", hw)
	}
	// Follower 3 catches up: the leader wakes the ISR updater.
	if _, err := p.UpdateFollower(3, 4, now.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	p.UpdateFollower(2, 4, now.Add(2*time.Second))
	select {
	case <-m.ISRWake():
	default:
		t.Fatal("no ISR wake-up for a caught-up follower")
	}
	if _, ok := p.ISRChange(now.Add(2*time.Second), func(id int32) bool { return id != 3 }); ok {
		t.Fatal("ISR change adding follower 3 while the image says it is fenced")
	}
	ch, ok = p.ISRChange(now.Add(2*time.Second), nil)
	if !ok || !slices.Equal(ch.ISR, []int32{1, 2, 3}) || ch.PartitionEpoch != 1 {
		t.Fatalf("expansion: %+v %v", ch, ok)
	}
	pm.ISR, pm.PartitionEpoch = []int32{1}, 2
	p.ApplyReplication(pm, 1, nil, m.ISRWake(), now)
	if err := p.CheckProduce(-1); !errors.Is(err, ErrNotEnoughReplicas) {
		t.Fatalf("acks=all with ISR 1 < 2: %v", err)
	}
	if err := p.CheckProduce(1); err != nil {
		t.Fatalf("acks=1 with ISR 1: %v", err)
	}
}

func TestFollowerRefusesProduceAndFollowsLeaderHW(t *testing.T) {
	m, p := leaderOf3(t, "1")
	pm := metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 2, LeaderEpoch: 1, PartitionEpoch: 1}
	p.ApplyReplication(pm, 1, nil, m.ISRWake(), time.Now())
	if err := p.CheckProduce(1); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("produce on a follower: %v", err)
	}
	if err := p.CheckLeaderEpoch(-1); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("consumer fetch on a follower: %v", err)
	}
	b := batch(t, 3)
	if _, err := p.AppendReplicated(b, 0); !errors.Is(err, ErrNotFollower) {
		t.Fatalf("append for an old leader epoch: %v", err)
	}
	if _, err := p.AppendReplicated(b, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	if hw := p.Offsets().HighWatermark; hw != 0 {
		t.Fatalf("follower HW %d before the leader's", hw)
	}
	p.FollowerAppended(2)
	if hw := p.Offsets().HighWatermark; hw != 2 {
		t.Fatalf("follower HW %d, want the leader's 2", hw)
	}
	if err := p.TruncateReplica(1, 1); err != nil {
		t.Fatal(err)
	}
	if o := p.Offsets(); o.LogEnd != 0 || o.HighWatermark != 0 {
		t.Fatalf("after truncating the 3-record batch: %+v", o)
	}
}

func TestWaitReplicatedErrors(t *testing.T) {
	m, p := leaderOf3(t, "2")
	if _, err := p.Append(batch(t, 2), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitDurable(2); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.WaitReplicated(ctx, 2, 0); !errors.Is(err, ErrReplicationTimeout) {
		t.Fatalf("no follower fetched: %v", err)
	}
	// The ISR shrinks below min.insync.replicas while waiting.
	done := make(chan error, 1)
	go func() { done <- p.WaitReplicated(context.Background(), 2, 0) }()
	pm := metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1}, Leader: 1, PartitionEpoch: 1}
	p.ApplyReplication(pm, 1, nil, m.ISRWake(), time.Now())
	if err := <-done; !errors.Is(err, ErrNotEnoughReplicasAfterAppend) {
		t.Fatalf("ISR shrank to 1 < 2: %v", err)
	}
	// Leadership moves away.
	pm.Leader, pm.LeaderEpoch, pm.ISR = 2, 1, []int32{1, 2}
	p.ApplyReplication(pm, 1, nil, m.ISRWake(), time.Now())
	if err := p.WaitReplicated(context.Background(), 2, 0); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("after losing the leadership: %v", err)
	}
}

// A restarted broker that its (possibly stale) metadata names leader does
// not take its log end as the high watermark: records it holds may never
// have been committed. It waits for its in-sync followers, unless it is
// alone in the ISR.
func TestRestartedLeaderWaitsForFollowersBeforeHW(t *testing.T) {
	mfs := fs.NewMem()
	top := topic("t", 1, 1, nil)
	top.Partitions[0].Replicas = []int32{1, 2, 3}
	top.Partitions[0].ISR = []int32{1}
	bc := brokerConfig(t, map[string]string{})
	m := NewManager(mfs, "/data", 1, quiet)
	if err := m.Apply(image(top), bc); err != nil {
		t.Fatal(err)
	}
	p := m.Get("t", 0)
	if _, err := p.Append(batch(t, 5), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitDurable(5); err != nil {
		t.Fatal(err)
	}
	if hw := p.Offsets().HighWatermark; hw != 5 {
		t.Fatalf("HW %d as the only ISR member, want 5", hw)
	}
	m.Close()

	for _, tc := range []struct {
		isr    []int32
		wantHW int64
	}{{[]int32{1}, 5}, {[]int32{1, 2, 3}, 0}} {
		top.Partitions[0].ISR = tc.isr
		m := NewManager(mfs, "/data", 1, quiet)
		if err := m.Apply(image(top), bc); err != nil {
			t.Fatal(err)
		}
		p := m.Get("t", 0)
		if hw := p.Offsets().HighWatermark; hw != tc.wantHW {
			t.Fatalf("ISR %v: HW %d after the restart, want %d", tc.isr, hw, tc.wantHW)
		}
		if pending := p.HighWatermarkPending(); pending != (tc.wantHW == 0) {
			t.Fatalf("ISR %v: HighWatermarkPending %v", tc.isr, pending)
		}
		if len(tc.isr) > 1 {
			now := time.Now()
			for _, id := range []int32{2, 3} {
				if _, err := p.UpdateFollower(id, 5, now); err != nil {
					t.Fatal(err)
				}
			}
			if hw := p.Offsets().HighWatermark; hw != 5 {
				t.Fatalf("HW %d once both followers fetched at 5", hw)
			}
		}
		m.Close()
	}
}
