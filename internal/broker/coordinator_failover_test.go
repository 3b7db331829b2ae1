package broker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/group"
)

// startCoordCluster is startReplCluster with replicated internal topics:
// __consumer_offsets has 3 partitions on all 3 brokers.
func startCoordCluster(t *testing.T) *replCluster {
	t.Helper()
	return startReplClusterWith(t, 3, map[string]string{
		"offsets.topic.replication.factor":         "3",
		"offsets.topic.num.partitions":             "3",
		"group.initial.rebalance.delay.ms":         "0",
		"transaction.state.log.replication.factor": "3",
	})
}

// groupConsumer consumes a topic in a group and commits what it polled.
type groupConsumer struct {
	t    *testing.T
	cl   *kgo.Client
	seen map[string]bool
}

// consumeUntil polls and commits until every value in want was seen.
// Errors of a stopped broker are expected meanwhile: the client re-finds
// the coordinator and the partition leaders.
func (g *groupConsumer) consumeUntil(ctx context.Context, want []string) {
	g.t.Helper()
	missing := func() int {
		n := 0
		for _, v := range want {
			if !g.seen[v] {
				n++
			}
		}
		return n
	}
	for missing() > 0 {
		fs := g.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			g.t.Fatalf("consumed %d of %d records before the deadline", len(want)-missing(), len(want))
		}
		fs.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				g.t.Fatalf("poll %s-%d: %v", topic, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) { g.seen[string(r.Value)] = true })
		if err := g.cl.CommitUncommittedOffsets(ctx); err != nil {
			// A commit to a stopped coordinator fails; the next one goes
			// to the new coordinator and carries these offsets too.
			g.t.Logf("commit: %v", err)
		}
	}
}

func seqValues(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("v%04d", i))
	}
	return out
}

// TestCoordinatorFailover: a consumer group consumes and commits on a
// 3-broker cluster with a replicated __consumer_offsets; the broker
// leading the group's __consumer_offsets partition stops. Another replica
// leads it, loads the group from its log (every acknowledged commit was
// replicated before the answer), the group keeps consuming, committed
// offsets never move backwards and every record is processed. The old
// coordinator then returns as a follower and the second one stops: the
// group moves a second time.
func TestCoordinatorFailover(t *testing.T) {
	c := startCoordCluster(t)
	const topic, groupID = "events", "failover-group"
	adm := kadm.NewClient(newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...)))
	if resp, err := adm.CreateTopic(ctxT(t), 3, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	prod := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	produceSeq(t, prod, topic, 0, 150)

	cons := &groupConsumer{t: t, seen: map[string]bool{}, cl: newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...),
		kgo.ConsumerGroup(groupID), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))}
	cons.consumeUntil(ctxT(t), seqValues(0, 150))
	if err := cons.cl.CommitUncommittedOffsets(ctxT(t)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	before, err := adm.FetchOffsets(ctxT(t), groupID)
	if err != nil || before.Error() != nil {
		t.Fatalf("fetch offsets: %v %v", err, before.Error())
	}
	if sum := sumOffsets(before, topic); sum != 150 {
		t.Fatalf("committed offsets sum to %d, want 150", sum)
	}

	part := group.PartitionFor(groupID, 3)
	st, ok := c.state(group.OffsetsTopic, part)
	if !ok || st.Leader < 0 || len(st.ISR) != 3 {
		t.Fatalf("__consumer_offsets-%d: %+v (agreed %v), want a leader and 3 in-sync replicas", part, st, ok)
	}
	t.Logf("stopping broker %d, the coordinator (leader epoch %d)", st.Leader, st.LeaderEpoch)
	c.stop(st.Leader)
	waitUntil(t, "a new leader of the group's __consumer_offsets partition", func() bool {
		pm, ok := c.state(group.OffsetsTopic, part)
		return ok && pm.Leader >= 0 && pm.Leader != st.Leader && pm.LeaderEpoch > st.LeaderEpoch
	})
	adm2 := kadm.NewClient(newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...)))
	after, err := adm2.FetchOffsets(ctxT(t), groupID)
	if err != nil || after.Error() != nil {
		t.Fatalf("fetch offsets from the new coordinator: %v %v", err, after.Error())
	}
	checkNotBehind(t, before, after, topic)

	prod2 := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	produceSeq(t, prod2, topic, 150, 300)
	cons.consumeUntil(ctxT(t), seqValues(0, 300))
	ctx := ctxT(t)
	for {
		err := cons.cl.CommitUncommittedOffsets(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("final commit: %v", err)
		}
	}
	final, err := adm2.FetchOffsets(ctxT(t), groupID)
	if err != nil || final.Error() != nil {
		t.Fatalf("fetch offsets: %v %v", err, final.Error())
	}
	checkNotBehind(t, after, final, topic)
	if sum := sumOffsets(final, topic); sum != 300 {
		t.Fatalf("committed offsets sum to %d after the failover, want 300", sum)
	}

	// The old coordinator comes back as a follower; then the second
	// coordinator stops: the group moves again, to a replica that either
	// caught up after its restart or was there all along.
	c.start(st.Leader)
	waitUntil(t, "the restarted broker back in the ISR", func() bool {
		pm, ok := c.state(group.OffsetsTopic, part)
		return ok && len(pm.ISR) == 3
	})
	second, _ := c.state(group.OffsetsTopic, part)
	t.Logf("stopping broker %d, the second coordinator (leader epoch %d)", second.Leader, second.LeaderEpoch)
	c.stop(second.Leader)
	waitUntil(t, "a third leader of the group's __consumer_offsets partition", func() bool {
		pm, ok := c.state(group.OffsetsTopic, part)
		return ok && pm.Leader >= 0 && pm.Leader != second.Leader && pm.LeaderEpoch > second.LeaderEpoch
	})
	adm3 := kadm.NewClient(newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...)))
	again, err := adm3.FetchOffsets(ctxT(t), groupID)
	if err != nil || again.Error() != nil {
		t.Fatalf("fetch offsets from the third coordinator: %v %v", err, again.Error())
	}
	checkNotBehind(t, final, again, topic)
	prod3 := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	produceSeq(t, prod3, topic, 300, 360)
	cons.consumeUntil(ctxT(t), seqValues(0, 360))
}

func sumOffsets(r kadm.OffsetResponses, topic string) int64 {
	var sum int64
	r.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic {
			sum += o.At
		}
	})
	return sum
}

// checkNotBehind fails if a committed offset of later is below earlier's.
func checkNotBehind(t *testing.T, earlier, later kadm.OffsetResponses, topic string) {
	t.Helper()
	earlier.Each(func(o kadm.OffsetResponse) {
		if o.Topic != topic {
			return
		}
		l, ok := later.Lookup(topic, o.Partition)
		if !ok || l.At < o.At {
			t.Fatalf("%s-%d: committed offset %d, then %v (found %v): moved backwards or lost", topic, o.Partition, o.At, l.At, ok)
		}
	})
}
