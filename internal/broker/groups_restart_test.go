package broker_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// TestGroupRestartRecoversOffsetsAndMembers commits offsets, restarts the
// broker on the same port and data directory while the consumer keeps
// running, and checks that the offsets and the member's place in the
// group survived: the consumer carries on in the same generation, and
// nothing is consumed twice from committed positions.
func TestGroupRestartRecoversOffsetsAndMembers(t *testing.T) {
	dir := t.TempDir()
	b, err := brokertest.TryStart(t, brokertest.Options{Dir: dir, Props: groupProps})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	adm := kadm.NewClient(newClient(t, addr))
	createTopic(t, adm, "restart", 3, nil)
	prod := newClient(t, addr, kgo.DefaultProduceTopic("restart"))
	ctx := ctxT(t)
	produceValues(t, ctx, prod, 300)

	e := newETL(t)
	m := startMember(t, e, addr, "restart", "g-restart", "a")
	e.waitProcessed(ctx, 300)
	want := waitCommitted(t, ctx, adm, "g-restart", 300)
	gen := describeGeneration(t, ctx, addr, "g-restart")

	b.Close()
	props := maps.Clone(groupProps)
	props["listeners"] = "PLAINTEXT://" + addr
	b2 := brokertest.Start(t, brokertest.Options{Dir: dir, Props: props})

	got, err := adm.FetchOffsets(ctx, "g-restart")
	if err != nil {
		t.Fatal(err)
	}
	for p, o := range want {
		if c, _ := got.Lookup("restart", p); c.At != o {
			t.Errorf("partition %d: committed %d after restart, %d before", p, c.At, o)
		}
	}
	d, err := adm.DescribeGroups(ctx, "g-restart")
	if err != nil || d["g-restart"].State != "Stable" || len(d["g-restart"].Members) != 1 {
		t.Fatalf("group after restart: %+v %v", d["g-restart"], err)
	}
	produceValues(t, ctx, prod, 90)
	e.waitProcessed(ctx, 390)
	if g := describeGeneration(t, ctx, b2.Addr(), "g-restart"); g != gen {
		t.Errorf("generation %d after restart, %d before: the member had to rejoin", g, gen)
	}
	m.stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.errs {
		t.Error(s)
	}
}

func produceValues(t *testing.T, ctx context.Context, cl *kgo.Client, n int) {
	t.Helper()
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Value: []byte("v")}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// waitCommitted waits until the group's commits add up to total records
// and returns them by partition. Commits follow processing with no event
// a test can wait on, so this polls.
func waitCommitted(t *testing.T, ctx context.Context, adm *kadm.Client, group string, total int64) map[int32]int64 {
	t.Helper()
	for {
		os, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		out, sum := map[int32]int64{}, int64(0)
		os.Each(func(o kadm.OffsetResponse) { out[o.Partition] = o.At; sum += o.At })
		if sum >= total {
			return out
		}
		select {
		case <-ctx.Done():
			t.Fatalf("committed %d of %d: %v", sum, total, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// describeGeneration returns the group's generation. DescribeGroups does
// not show it, so it heartbeats as the group's first member with
// generation 1, 2, ...: the current one is the first not refused with
// ILLEGAL_GENERATION.
func describeGeneration(t *testing.T, ctx context.Context, addr, group string) int32 {
	t.Helper()
	cl := newClient(t, addr)
	d, err := kadm.NewClient(cl).DescribeGroups(ctx, group)
	if err != nil || len(d[group].Members) == 0 {
		t.Fatalf("describe %s: %+v %v", group, d[group], err)
	}
	member := d[group].Members[0].MemberID
	for gen := int32(1); gen < 100; gen++ {
		req := kmsg.NewPtrHeartbeatRequest()
		req.Group, req.MemberID, req.Generation = group, member, gen
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err == nil {
			return gen
		} else if !errors.Is(err, kerr.IllegalGeneration) {
			t.Fatalf("heartbeat: %v", err)
		}
	}
	t.Fatal("no generation found")
	return -1
}

// TestGroupStaticMemberRestartNoRebalance restarts a static member (KIP-345):
// it gets its partitions back in the same generation and the other member
// sees no rebalance.
func TestGroupStaticMemberRestartNoRebalance(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: groupProps})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "static", 4, nil)
	ctx := ctxT(t)
	e := newETL(t)
	// An eager balancer: one rebalance per membership change, so the
	// group is settled once both members own partitions.
	eager := kgo.Balancers(kgo.RangeBalancer())
	a := startMember(t, e, b.Addr(), "static", "g-static", "a", kgo.InstanceID("inst-a"), eager)
	bm := startMember(t, e, b.Addr(), "static", "g-static", "b", kgo.InstanceID("inst-b"), eager)
	e.waitOwner(ctx, "a")
	e.waitOwner(ctx, "b")
	waitStable(t, ctx, adm, "g-static", 2)
	before := assignments(t, ctx, adm, "g-static")
	gen := describeGeneration(t, ctx, b.Addr(), "g-static")

	a.stop() // a static member does not leave the group on close
	a2 := startMember(t, e, b.Addr(), "static", "g-static", "a", kgo.InstanceID("inst-a"), eager)
	e.waitOwner(ctx, "a")
	after := assignments(t, ctx, adm, "g-static")
	if !maps.EqualFunc(before, after, func(x, y []int32) bool { return len(x) == len(y) }) {
		t.Errorf("assignments changed: %v → %v", before, after)
	}
	if g := describeGeneration(t, ctx, b.Addr(), "g-static"); g != gen {
		t.Errorf("generation %d after the static restart, %d before", g, gen)
	}
	a2.stop()
	bm.stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.errs {
		t.Error(s)
	}
}

func waitStable(t *testing.T, ctx context.Context, adm *kadm.Client, group string, members int) {
	t.Helper()
	for {
		d, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		if g := d[group]; g.State == "Stable" && len(g.Members) == members {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s never stable with %d members: %+v", group, members, d[group])
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// assignments returns each static instance's assigned partitions.
func assignments(t *testing.T, ctx context.Context, adm *kadm.Client, group string) map[string][]int32 {
	t.Helper()
	d, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int32{}
	for _, m := range d[group].Members {
		ca, _ := m.Assigned.AsConsumer()
		var ps []int32
		if ca != nil {
			for _, tp := range ca.Topics {
				ps = append(ps, tp.Partitions...)
			}
		}
		out[*m.InstanceID] = ps
	}
	return out
}
