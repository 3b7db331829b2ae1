package broker_test

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker"
	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// replCluster is n combined brokers in this process that can be stopped
// and restarted on their data directories.
type replCluster struct {
	t     *testing.T
	dirs  map[int32]string
	props map[int32]map[string]string
	nodes map[int32]*broker.Broker
}

func startReplCluster(t *testing.T, n int) *replCluster {
	t.Helper()
	return startReplClusterWith(t, n, nil)
}

// startReplClusterWith is startReplCluster with extra properties on
// every node.
func startReplClusterWith(t *testing.T, n int, extra map[string]string) *replCluster {
	t.Helper()
	return startReplClusterPer(t, n, func(int32) map[string]string { return extra })
}

// startReplClusterPer is startReplCluster with extra properties per node
// (props(id), nil for none).
func startReplClusterPer(t *testing.T, n int, props func(id int32) map[string]string) *replCluster {
	t.Helper()
	ctl := freeAddrs(t, n)
	var voters []string
	for i, a := range ctl {
		voters = append(voters, fmt.Sprintf("%d@%s", i+1, a))
	}
	c := &replCluster{t: t, dirs: map[int32]string{}, props: map[int32]map[string]string{}, nodes: map[int32]*broker.Broker{}}
	for i := range n {
		id := int32(i + 1)
		c.dirs[id] = t.TempDir()
		c.props[id] = map[string]string{
			"node.id":                      fmt.Sprint(id),
			"controller.quorum.voters":     strings.Join(voters, ","),
			"broker.heartbeat.interval.ms": "100",
			"broker.session.timeout.ms":    "1500",
		}
		maps.Copy(c.props[id], props(id))
		c.start(id)
	}
	waitUntil(t, "every broker live on every node", func() bool {
		for _, b := range c.nodes {
			if len(b.Meta().Image().LiveBrokerIDs()) != n {
				return false
			}
		}
		return true
	})
	return c
}

func (c *replCluster) start(id int32) {
	c.t.Helper()
	c.nodes[id] = brokertest.Start(c.t, brokertest.Options{Dir: c.dirs[id], Props: c.props[id]})
}

func (c *replCluster) stop(id int32) {
	c.t.Helper()
	if err := c.nodes[id].Close(); err != nil {
		c.t.Fatalf("close broker %d: %v", id, err)
	}
	delete(c.nodes, id)
}

func (c *replCluster) addrs() []string {
	var out []string
	for _, b := range c.nodes {
		out = append(out, b.Addr())
	}
	return out
}

// any returns a running broker.
func (c *replCluster) any() *broker.Broker {
	for _, b := range c.nodes {
		return b
	}
	c.t.Fatal("no broker running")
	return nil
}

// state is partition p of topic as the running brokers' images agree on
// it (ok false while they disagree).
// createTopic creates topic with one partition of rf replicas and waits
// until every node holds the same state of it, which it returns.
func (c *replCluster) createTopic(topic string, rf int16, configs map[string]*string) metadata.Partition {
	c.t.Helper()
	adm := kadm.NewClient(newClient(c.t, c.any().Addr()))
	if resp, err := adm.CreateTopic(ctxT(c.t), 1, rf, configs, topic); err != nil || resp.Err != nil {
		c.t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	var pm metadata.Partition
	waitUntil(c.t, "the topic on every node", func() bool {
		var ok bool
		pm, ok = c.state(topic, 0)
		return ok
	})
	return pm
}

func (c *replCluster) state(topic string, p int32) (metadata.Partition, bool) {
	var first *metadata.Partition
	for _, b := range c.nodes {
		t := b.Meta().Image().Topic(topic)
		if t == nil || int(p) >= len(t.Partitions) {
			return metadata.Partition{}, false
		}
		pm := t.Partitions[p]
		if first == nil {
			first = &pm
		} else if first.LeaderEpoch != pm.LeaderEpoch || first.PartitionEpoch != pm.PartitionEpoch {
			return metadata.Partition{}, false
		}
	}
	return *first, first != nil
}

func (c *replCluster) part(id int32, topic string, p int32) *partition.Partition {
	return c.nodes[id].Partitions().Get(topic, p)
}

// logBytes reads replica id's log below upTo.
func (c *replCluster) logBytes(id int32, topic string, p int32, upTo int64) []byte {
	c.t.Helper()
	part := c.part(id, topic, p)
	if part == nil {
		return nil
	}
	b, err := part.Log().Read(0, 1<<30, upTo)
	if err != nil {
		c.t.Fatalf("read broker %d's log: %v", id, err)
	}
	return b
}

// converged reports whether every running replica has the leader's log
// below the leader's high watermark, byte for byte, and that high
// watermark is at least want.
func (c *replCluster) converged(topic string, want int64) bool {
	pm, ok := c.state(topic, 0)
	if !ok || c.nodes[pm.Leader] == nil || c.part(pm.Leader, topic, 0) == nil {
		return false
	}
	hw := c.part(pm.Leader, topic, 0).Offsets().HighWatermark
	if hw < want {
		return false
	}
	ref := c.logBytes(pm.Leader, topic, 0, hw)
	for id := range c.nodes {
		p := c.part(id, topic, 0)
		if p == nil || p.Log().NextOffset() < hw || !bytes.Equal(c.logBytes(id, topic, 0, hw), ref) {
			return false
		}
	}
	return true
}

func produceSeq(t *testing.T, cl *kgo.Client, topic string, from, to int) {
	t.Helper()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("v%04d", i))})
	}
	if err := cl.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce %d..%d: %v", from, to, err)
	}
}

// consumeSeq reads n records of partition 0 from the start.
func consumeSeq(t *testing.T, addrs []string, topic string, n int) []string {
	t.Helper()
	cl := newClient(t, addrs[0], kgo.SeedBrokers(addrs...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	var got []string
	for len(got) < n {
		fs := cl.PollFetches(ctxT(t))
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume: %v", err)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	return got
}

// TestReplicationFailover: an RF=3 topic with acks=all: every replica
// holds the leader's log below the high watermark; when the leader stops,
// another in-sync replica leads in a new epoch, the producer carries on,
// no acknowledged record is lost; the old leader comes back with an
// unreplicated suffix of its old epoch, truncates it, catches up and
// rejoins the ISR.
func TestReplicationFailover(t *testing.T) {
	c := startReplCluster(t, 3)
	const topic = "replicated"
	adm := kadm.NewClient(newClient(t, c.any().Addr()))
	two := "2"
	if resp, err := adm.CreateTopic(ctxT(t), 1, 3, map[string]*string{"min.insync.replicas": &two}, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	prod := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	produceSeq(t, prod, topic, 0, 100)
	waitUntil(t, "three identical logs below the high watermark", func() bool { return c.converged(topic, 100) })

	before, ok := c.state(topic, 0)
	if !ok {
		t.Fatal("the brokers disagree on the partition's state")
	}
	old := before.Leader
	c.stop(old)
	waitUntil(t, "a new leader from the ISR", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && pm.Leader != old && pm.Leader >= 0 && slices.Contains(before.ISR, pm.Leader) && pm.LeaderEpoch > before.LeaderEpoch
	})
	produceSeq(t, prod, topic, 100, 200)

	// The old leader wrote a batch in its epoch that nobody fetched
	// (appended after its last replicated offset): it must go.
	appendStray(t, filepath.Join(c.dirs[old], topic+"-0"), before.LeaderEpoch)
	c.start(old)
	waitUntil(t, "the old leader back in the ISR", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && slices.Contains(pm.ISR, old) && len(pm.ISR) == 3
	})
	produceSeq(t, prod, topic, 200, 210)
	waitUntil(t, "three identical logs after the return", func() bool { return c.converged(topic, 210) })

	got := consumeSeq(t, c.addrs(), topic, 210)
	for i, v := range got[:210] {
		if v != fmt.Sprintf("v%04d", i) {
			t.Fatalf("record %d is %q: acknowledged records lost, duplicated or reordered", i, v)
		}
	}
}

// appendStray opens a stopped broker's partition log and appends one
// batch in epoch: data its followers never fetched.
func appendStray(t *testing.T, dir string, epoch int32) {
	t.Helper()
	l, err := log.Open(fs.OS{}, dir, log.DefaultConfig(), log.Options{Logger: brokertest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(testBatch(t, "stray"), log.AppendOptions{LeaderEpoch: epoch, LogAppendTime: -1}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReplicationMinInsync: with min.insync.replicas=2 and both followers
// of a partition stopped, acks=all is refused with NOT_ENOUGH_REPLICAS
// (nothing appended) while acks=1 still works. Five brokers keep the
// metadata quorum alive with two down.
func TestReplicationMinInsync(t *testing.T) {
	c := startReplCluster(t, 5)
	const topic = "mininsync"
	two := "2"
	pm := c.createTopic(topic, 3, map[string]*string{"min.insync.replicas": &two})
	for _, id := range pm.Replicas {
		if id != pm.Leader {
			c.stop(id)
		}
	}
	waitUntil(t, "the ISR down to the leader", func() bool {
		s, ok := c.state(topic, 0)
		return ok && len(s.ISR) == 1 && s.Leader == pm.Leader
	})
	// kgo stamps its configured acks on raw produce requests.
	// Until the leader itself has applied the smaller ISR, an append
	// passes the check and then fails to replicate:
	// NOT_ENOUGH_REPLICAS_AFTER_APPEND, as in Kafka.
	all := newClient(t, c.nodes[pm.Leader].Addr(), kgo.RequiredAcks(kgo.AllISRAcks()))
	waitUntil(t, "acks=all refused before the append", func() bool {
		switch got := rawProduce(t, all, topic, -1); got {
		case kerr.NotEnoughReplicas.Code:
			return true
		case kerr.NotEnoughReplicasAfterAppend.Code:
			return false
		default:
			t.Fatalf("acks=all with ISR 1 < min.insync.replicas 2: got %v", kerr.ErrorForCode(got))
			return false
		}
	})
	one := newClient(t, c.nodes[pm.Leader].Addr(), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if got := rawProduce(t, one, topic, 1); got != 0 {
		t.Fatalf("acks=1: got %v", kerr.ErrorForCode(got))
	}
}

// rawProduce sends one batch with the given acks and returns the
// partition's error code.
func rawProduce(t *testing.T, cl *kgo.Client, topic string, acks int16) int16 {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = acks, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = testBatch(t, "x")
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// testBatch is a one-record v2 batch with value v.
func testBatch(t *testing.T, v string) []byte {
	t.Helper()
	b, err := record.Build(record.BatchSpec{PartitionLeaderEpoch: -1}, []record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte(v)}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplicationLeaderHints: a follower answers Produce and consumer
// Fetch with NOT_LEADER_OR_FOLLOWER and, on Produce v10+ / Fetch v16+,
// the current leader and its endpoint (KIP-951).
func TestReplicationLeaderHints(t *testing.T) {
	c := startReplCluster(t, 3)
	const topic = "hints"
	adm := kadm.NewClient(newClient(t, c.any().Addr()))
	pm := c.createTopic(topic, 3, nil)
	follower := pm.Replicas[0]
	if follower == pm.Leader {
		follower = pm.Replicas[1]
	}
	cl := newClient(t, c.nodes[follower].Addr())
	if _, err := adm.BrokerMetadata(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	leaderAddr := c.nodes[pm.Leader].Addr()

	preq := kmsg.NewPtrProduceRequest()
	preq.SetVersion(11)
	preq.Acks, preq.TimeoutMillis = -1, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = testBatch(t, "to a follower")
	rt.Partitions = append(rt.Partitions, rp)
	preq.Topics = append(preq.Topics, rt)
	presp, err := preq.RequestWith(ctxT(t), cl.Broker(int(follower)))
	if err != nil {
		t.Fatal(err)
	}
	sp := presp.Topics[0].Partitions[0]
	if sp.ErrorCode != kerr.NotLeaderForPartition.Code || sp.CurrentLeader.LeaderID != pm.Leader || sp.CurrentLeader.LeaderEpoch != pm.LeaderEpoch {
		t.Fatalf("produce to a follower: %v, current leader %+v, want %d", kerr.ErrorForCode(sp.ErrorCode), sp.CurrentLeader, pm.Leader)
	}
	if len(presp.Brokers) != 1 || fmt.Sprintf("%s:%d", presp.Brokers[0].Host, presp.Brokers[0].Port) != leaderAddr {
		t.Fatalf("produce node endpoints %+v, leader at %s", presp.Brokers, leaderAddr)
	}

	freq := kmsg.NewPtrFetchRequest()
	freq.SetVersion(16)
	ft := kmsg.NewFetchRequestTopic()
	ft.TopicID = c.nodes[follower].Meta().Image().Topic(topic).ID
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	freq.Topics = append(freq.Topics, ft)
	fresp, err := freq.RequestWith(ctxT(t), cl.Broker(int(follower)))
	if err != nil {
		t.Fatal(err)
	}
	fsp := fresp.Topics[0].Partitions[0]
	if fsp.ErrorCode != kerr.NotLeaderForPartition.Code || fsp.CurrentLeader.LeaderID != pm.Leader || len(fresp.Brokers) != 1 || fresp.Brokers[0].NodeID != pm.Leader {
		t.Fatalf("fetch from a follower: %v, current leader %+v, brokers %+v", kerr.ErrorForCode(fsp.ErrorCode), fsp.CurrentLeader, fresp.Brokers)
	}

	// A replica fetch v15 (ReplicaState, KIP-903) to the leader reads
	// from its log; one whose last fetched epoch the leader does not
	// have gets a diverging epoch instead of records.
	produceSeq(t, newClient(t, leaderAddr, kgo.RequiredAcks(kgo.AllISRAcks())), topic, 0, 3)
	replicaFetch := func(lastEpoch int32) kmsg.FetchResponseTopicPartition {
		t.Helper()
		rreq := kmsg.NewPtrFetchRequest()
		rreq.SetVersion(15)
		rreq.ReplicaState.ID = follower
		rt := kmsg.NewFetchRequestTopic()
		rt.TopicID = ft.TopicID
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.PartitionMaxBytes, rp.CurrentLeaderEpoch, rp.LastFetchedEpoch = 1<<20, pm.LeaderEpoch, lastEpoch
		rt.Partitions = append(rt.Partitions, rp)
		rreq.Topics = append(rreq.Topics, rt)
		rresp, err := rreq.RequestWith(ctxT(t), cl.Broker(int(pm.Leader)))
		if err != nil {
			t.Fatal(err)
		}
		return rresp.Topics[0].Partitions[0]
	}
	if rsp := replicaFetch(-1); rsp.ErrorCode != 0 || len(rsp.RecordBatches) == 0 || rsp.HighWatermark < 3 {
		t.Fatalf("replica fetch v15: %v, %d bytes, HW %d", kerr.ErrorForCode(rsp.ErrorCode), len(rsp.RecordBatches), rsp.HighWatermark)
	}
	if rsp := replicaFetch(pm.LeaderEpoch + 7); rsp.ErrorCode != 0 || len(rsp.RecordBatches) != 0 || rsp.DivergingEpoch.EndOffset < 0 {
		t.Fatalf("replica fetch from an unknown epoch: %v, %d bytes, diverging %+v", kerr.ErrorForCode(rsp.ErrorCode), len(rsp.RecordBatches), rsp.DivergingEpoch)
	}
}

// TestReplicationFollowerBehindLogStart: a follower that was down while
// the leader deleted the records it would fetch next (DeleteRecords)
// restarts its log at the leader's log start offset, catches up and
// rejoins the ISR.
func TestReplicationFollowerBehindLogStart(t *testing.T) {
	c := startReplCluster(t, 3)
	const topic = "behind"
	adm := kadm.NewClient(newClient(t, c.any().Addr()))
	if resp, err := adm.CreateTopic(ctxT(t), 1, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	prod := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	produceSeq(t, prod, topic, 0, 10)
	waitUntil(t, "three identical logs", func() bool { return c.converged(topic, 10) })
	pm, _ := c.state(topic, 0)
	down := pm.Replicas[0]
	if down == pm.Leader {
		down = pm.Replicas[1]
	}
	c.stop(down)
	waitUntil(t, "the stopped follower out of the ISR", func() bool {
		s, ok := c.state(topic, 0)
		return ok && !slices.Contains(s.ISR, down)
	})
	produceSeq(t, prod, topic, 10, 30)
	dadm := kadm.NewClient(newClient(t, c.nodes[pm.Leader].Addr()))
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: topic, Partition: 0, At: 25})
	if resp, err := dadm.DeleteRecords(ctxT(t), del); err != nil || resp.Error() != nil {
		t.Fatalf("delete records: %v %v", err, resp.Error())
	}
	c.start(down)
	waitUntil(t, "the follower back in the ISR from the leader's log start", func() bool {
		s, ok := c.state(topic, 0)
		p := c.part(down, topic, 0)
		return ok && slices.Contains(s.ISR, down) && p != nil && p.Log().StartOffset() == 25 && p.Log().NextOffset() == 30
	})
	lead := c.part(pm.Leader, topic, 0)
	want, err := lead.Log().Read(25, 1<<20, 30)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.part(down, topic, 0).Log().Read(25, 1<<20, 30); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("follower log from 25 differs from the leader's (%v)", err)
	}
}
