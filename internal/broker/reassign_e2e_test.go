package broker_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// createAssigned creates a one-partition topic on the given replicas.
func createAssigned(t *testing.T, cl *kgo.Client, topic string, replicas ...int32) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, -1, -1
	a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
	a.Partition, a.Replicas = 0, replicas
	rt.ReplicaAssignment = append(rt.ReplicaAssignment, a)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// listAllReassignments asks for every reassignment in progress (null
// topics), which kadm does not send.
func listAllReassignments(t *testing.T, cl *kgo.Client) []kmsg.ListPartitionReassignmentsResponseTopic {
	t.Helper()
	resp, err := kmsg.NewPtrListPartitionReassignmentsRequest().RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatal(err)
	}
	return resp.Topics
}

func reassign(t *testing.T, adm *kadm.Client, topic string, replicas []int32) error {
	t.Helper()
	var req kadm.AlterPartitionAssignmentsReq
	req.Assign(topic, 0, replicas)
	resps, err := adm.AlterPartitionAssignments(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	return resps[topic][0].Err
}

// producer writes v000000, v000001, ... with an idempotent acks=all
// client, one synchronous batch of ten at a time, until stopped, and
// keeps what was acknowledged, in order.
type producer struct {
	acked   []string
	n       atomic.Int64
	err     error
	stop    chan struct{}
	stopped sync.WaitGroup
}

func startProducer(t *testing.T, cl *kgo.Client, topic string) *producer {
	p := &producer{stop: make(chan struct{})}
	p.stopped.Go(func() {
		for i := 0; ; i += 10 {
			select {
			case <-p.stop:
				return
			default:
			}
			var recs []*kgo.Record
			for j := i; j < i+10; j++ {
				recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "v%06d", j)})
			}
			if err := cl.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
				p.err = err
				return
			}
			for _, r := range recs {
				p.acked = append(p.acked, string(r.Value))
			}
			p.n.Store(int64(len(p.acked)))
		}
	})
	return p
}

// waitMore waits until n more records than now were acknowledged.
func (p *producer) waitMore(t *testing.T, n int64) {
	t.Helper()
	target := p.n.Load() + n
	waitUntil(t, fmt.Sprintf("%d acknowledged records", target), func() bool { return p.n.Load() >= target })
}

func (p *producer) finish(t *testing.T) []string {
	t.Helper()
	close(p.stop)
	p.stopped.Wait()
	if p.err != nil {
		t.Fatalf("produce: %v", p.err)
	}
	return p.acked
}

func dirGone(dir string) bool {
	_, err := os.Stat(dir)
	return errors.Is(err, fs.ErrNotExist)
}

// TestReassignWhileProducing: a partition on brokers {1,2} (1 leading)
// moves to {2,3} and then to {3} while an idempotent acks=all producer
// keeps writing. The first move waits for broker 3 (stopped while the
// move starts: ListPartitionReassignments shows it in progress), which
// catches up when it returns; the move then finishes with 2 leading and
// broker 1's replica deleted. The second is a pure removal of the leader:
// it finishes at once, 3 leads. Every acknowledged record is read back
// exactly once, in order, and nothing else is in the log.
func TestReassignWhileProducing(t *testing.T) {
	c := startReplCluster(t, 3)
	const topic = "moving"
	admCl := newClient(t, c.nodes[1].Addr(), kgo.SeedBrokers(c.addrs()...))
	adm := kadm.NewClient(admCl)
	createAssigned(t, admCl, topic, 1, 2)
	waitUntil(t, "both replicas in sync", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && pm.Leader == 1 && len(pm.ISR) == 2
	})
	prod := newClient(t, c.nodes[1].Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	p := startProducer(t, prod, topic)
	p.waitMore(t, 200)

	c.stop(3)
	waitUntil(t, "broker 3 fenced", func() bool { return !c.nodes[1].Meta().Image().Brokers[3].Alive() })
	if err := reassign(t, adm, topic, []int32{2, 3}); err != nil {
		t.Fatalf("reassign to {2,3}: %v", err)
	}
	got := listAllReassignments(t, admCl)
	if len(got) != 1 || got[0].Topic != topic || len(got[0].Partitions) != 1 {
		t.Fatalf("reassignments in progress: %+v", got)
	}
	if lp := got[0].Partitions[0]; !slices.Equal(lp.Replicas, []int32{2, 3, 1}) ||
		!slices.Equal(lp.AddingReplicas, []int32{3}) || !slices.Equal(lp.RemovingReplicas, []int32{1}) {
		t.Fatalf("reassignment: %+v", lp)
	}
	p.waitMore(t, 200)

	c.start(3)
	waitUntil(t, "the move to {2,3} finished", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && slices.Equal(pm.Replicas, []int32{2, 3}) && slices.Equal(pm.ISR, []int32{2, 3}) && pm.Leader == 2 && !pm.Reassigning()
	})
	if got := listAllReassignments(t, admCl); len(got) != 0 {
		t.Fatalf("reassignments after the move: %+v", got)
	}
	waitUntil(t, "broker 1's replica deleted", func() bool {
		return c.part(1, topic, 0) == nil && dirGone(filepath.Join(c.dirs[1], topic+"-0"))
	})
	p.waitMore(t, 200)

	if err := reassign(t, adm, topic, []int32{3}); err != nil {
		t.Fatalf("reassign to {3}: %v", err)
	}
	waitUntil(t, "3 leads alone", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && slices.Equal(pm.Replicas, []int32{3}) && pm.Leader == 3
	})
	waitUntil(t, "broker 2's replica deleted", func() bool {
		return c.part(2, topic, 0) == nil && dirGone(filepath.Join(c.dirs[2], topic+"-0"))
	})
	p.waitMore(t, 200)
	acked := p.finish(t)

	if hw := c.part(3, topic, 0).Offsets().HighWatermark; hw != int64(len(acked)) {
		t.Fatalf("high watermark %d, %d records acknowledged: the log holds records nobody acknowledged, or lost some", hw, len(acked))
	}
	read := consumeSeq(t, c.addrs(), topic, len(acked))
	if !slices.Equal(read[:len(acked)], acked) {
		for i := range acked {
			if read[i] != acked[i] {
				t.Fatalf("record %d is %q, acknowledged %q", i, read[i], acked[i])
			}
		}
	}
	if err := reassign(t, adm, topic, nil); !errors.Is(err, kerr.NoReassignmentInProgress) {
		t.Fatalf("cancel with none in progress: %v", err)
	}
}

// TestReassignCancelAndErrors: a move to a stopped broker is cancelled
// (the partition is back on its original replicas, the adding replica
// never joined); invalid targets get Kafka's per-partition errors.
func TestReassignCancelAndErrors(t *testing.T) {
	c := startReplCluster(t, 3)
	const topic = "cancelled"
	admCl := newClient(t, c.nodes[1].Addr(), kgo.SeedBrokers(c.addrs()...))
	adm := kadm.NewClient(admCl)
	createAssigned(t, admCl, topic, 1, 2)
	c.stop(3)
	waitUntil(t, "broker 3 fenced", func() bool { return !c.nodes[1].Meta().Image().Brokers[3].Alive() })
	if err := reassign(t, adm, topic, []int32{1, 3}); err != nil {
		t.Fatal(err)
	}
	if err := reassign(t, adm, topic, nil); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	waitUntil(t, "every node back on {1,2}", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && slices.Equal(pm.Replicas, []int32{1, 2}) && !pm.Reassigning() && pm.Leader == 1
	})
	for _, tc := range []struct {
		topic    string
		replicas []int32
		want     error
	}{
		{topic, []int32{}, kerr.InvalidReplicaAssignment},
		{topic, []int32{1, 1}, kerr.InvalidReplicaAssignment},
		{topic, []int32{1, 9}, kerr.InvalidReplicaAssignment},
		{"nope", []int32{1}, kerr.UnknownTopicOrPartition},
	} {
		if err := reassign(t, adm, tc.topic, tc.replicas); !errors.Is(err, tc.want) {
			t.Errorf("%s %v: %v, want %v", tc.topic, tc.replicas, err, tc.want)
		}
	}
	// v1 with allow_replication_factor_change=false refuses a new size.
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	req.AllowReplicationFactorChange = false
	rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
	rp.Partition, rp.Replicas = 0, []int32{1}
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxT(t), admCl)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Topics[0].Partitions[0].ErrorCode; got != kerr.InvalidReplicationFactor.Code {
		t.Fatalf("RF change refused with %d, want %d", got, kerr.InvalidReplicationFactor.Code)
	}
}

// TestReassignRemoveFollower: removing an in-sync follower finishes at
// once; its fetcher stops and its replica directory is deleted, and the
// partition keeps taking acks=all writes on the remaining replicas.
func TestReassignRemoveFollower(t *testing.T) {
	c := startReplCluster(t, 3)
	const topic = "shrunk"
	admCl := newClient(t, c.nodes[1].Addr(), kgo.SeedBrokers(c.addrs()...))
	createAssigned(t, admCl, topic, 1, 2, 3)
	prod := newClient(t, c.nodes[1].Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	produceSeq(t, prod, topic, 0, 100)
	waitUntil(t, "three replicas in sync", func() bool { return c.converged(topic, 100) })
	if err := reassign(t, kadm.NewClient(admCl), topic, []int32{1, 2}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "broker 3's replica deleted", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && slices.Equal(pm.Replicas, []int32{1, 2}) && c.part(3, topic, 0) == nil &&
			dirGone(filepath.Join(c.dirs[3], topic+"-0"))
	})
	produceSeq(t, prod, topic, 100, 200)
	got := consumeSeq(t, c.addrs(), topic, 200)
	for i, v := range got[:200] {
		if v != fmt.Sprintf("v%04d", i) {
			t.Fatalf("record %d is %q", i, v)
		}
	}
}

// TestReassignLeaderCrash: the leader stops in the middle of a move
// ({1,2} → {2,3}, broker 3 down so the move waits): 2 leads, the move
// finishes on 2's ISR change once 3 is back and caught up, and broker 1,
// removed while it was down, deletes its replica directory once it has
// caught up with the metadata. Five brokers keep the metadata quorum with two down. Every
// acknowledged record is read back once, in order.
func TestReassignLeaderCrash(t *testing.T) {
	c := startReplCluster(t, 5)
	const topic = "crashed"
	admCl := newClient(t, c.nodes[4].Addr(), kgo.SeedBrokers(c.nodes[4].Addr(), c.nodes[5].Addr()))
	createAssigned(t, admCl, topic, 1, 2)
	waitUntil(t, "both replicas in sync", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && pm.Leader == 1 && len(pm.ISR) == 2
	})
	prod := newClient(t, c.nodes[4].Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	p := startProducer(t, prod, topic)
	p.waitMore(t, 200)

	c.stop(3)
	waitUntil(t, "broker 3 fenced", func() bool { return !c.nodes[1].Meta().Image().Brokers[3].Alive() })
	if err := reassign(t, kadm.NewClient(admCl), topic, []int32{2, 3}); err != nil {
		t.Fatal(err)
	}
	c.stop(1)
	waitUntil(t, "2 leads the moving partition", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && pm.Leader == 2 && pm.Reassigning()
	})
	p.waitMore(t, 200)

	c.start(3)
	waitUntil(t, "the move finished under the new leader", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && slices.Equal(pm.Replicas, []int32{2, 3}) && slices.Equal(pm.ISR, []int32{2, 3}) && pm.Leader == 2 && !pm.Reassigning()
	})
	dir := filepath.Join(c.dirs[1], topic+"-0")
	if dirGone(dir) {
		t.Fatal("broker 1's replica vanished while it was down")
	}
	c.start(1)
	waitUntil(t, "broker 1 deleted the replica it no longer hosts", func() bool {
		return c.part(1, topic, 0) == nil && dirGone(dir)
	})
	p.waitMore(t, 200)
	acked := p.finish(t)
	waitUntil(t, "the high watermark covers every acknowledged record", func() bool {
		return c.part(2, topic, 0).Offsets().HighWatermark >= int64(len(acked))
	})
	if hw := c.part(2, topic, 0).Offsets().HighWatermark; hw != int64(len(acked)) {
		t.Fatalf("high watermark %d, %d records acknowledged", hw, len(acked))
	}
	read := consumeSeq(t, c.addrs(), topic, len(acked))
	if !slices.Equal(read[:len(acked)], acked) {
		t.Fatal("the records read back differ from those acknowledged")
	}
}
