package broker_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/record"
)

// startRackCluster starts three brokers in racks rack-a, rack-b and
// rack-c (broker 1, 2, 3); selector sets replica.selector.class; extra
// props are added to every broker's.
func startRackCluster(t *testing.T, selector bool, extra ...map[string]string) *replCluster {
	t.Helper()
	return startReplClusterPer(t, 3, func(id int32) map[string]string {
		props := map[string]string{"broker.rack": rackOfNode(id)}
		for _, m := range extra {
			maps.Copy(props, m)
		}
		if selector {
			props["replica.selector.class"] = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
		}
		return props
	})
}

func rackOfNode(id int32) string { return "rack-" + string(rune('a'+id-1)) }

// createRF3 creates topic with one partition on all three brokers and
// returns its state once every node agrees and every replica is in sync.
func (c *replCluster) createRF3(topic string) metadata.Partition {
	c.t.Helper()
	pm := c.createTopic(topic, 3, nil)
	waitUntil(c.t, "the topic on every node with a full ISR", func() bool {
		var ok bool
		pm, ok = c.state(topic, 0)
		return ok && pm.Leader >= 0 && len(pm.ISR) == 3
	})
	return pm
}

// servedBy counts, per broker, the record batches a client read.
type servedBy struct {
	mu sync.Mutex
	n  map[int32]int
}

func (s *servedBy) OnFetchBatchRead(meta kgo.BrokerMetadata, _ string, _ int32, _ kgo.FetchBatchMetrics) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[int32]int{}
	}
	s.n[meta.NodeID]++
}

func (s *servedBy) counts() map[int32]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int32]int{}
	for k, v := range s.n {
		out[k] = v
	}
	return out
}

// consumeRack reads n records of partition 0 from the start with a
// consumer in rack, checks they are v0000.. in order, exactly once, and
// returns which brokers served the batches. produceMore, if set, runs
// once the first half has been read (so later records reach a consumer
// already parked on its replica).
func consumeRack(t *testing.T, c *replCluster, topic, rack string, n int, produceMore func(), opts ...kgo.Opt) map[int32]int {
	t.Helper()
	hook := &servedBy{}
	opts = append([]kgo.Opt{kgo.SeedBrokers(c.addrs()...), kgo.Rack(rack), kgo.WithHooks(hook),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}})}, opts...)
	cl := newClient(t, c.any().Addr(), opts...)
	var got []string
	for len(got) < n {
		fs := cl.PollFetches(ctxT(t))
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume: %v", err)
		}
		before := len(got)
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
		if produceMore != nil && before < n/2 && len(got) >= n/2 {
			produceMore()
		}
	}
	if len(got) != n {
		t.Fatalf("read %d records, want %d", len(got), n)
	}
	for i, v := range got {
		if want := fmt.Sprintf("v%04d", i); v != want {
			t.Fatalf("record %d is %q, want %q (lost, duplicated or reordered)", i, v, want)
		}
	}
	return hook.counts()
}

// followerIn returns a follower of pm and its rack.
func followerIn(pm metadata.Partition) (int32, string) {
	for _, id := range pm.Replicas {
		if id != pm.Leader {
			return id, rackOfNode(id)
		}
	}
	return -1, ""
}

// TestFollowerFetchRackAware: with the rack-aware selector, a consumer in
// a follower's rack reads every record exactly once, all of them from
// that follower, including records produced while it waits there.
func TestFollowerFetchRackAware(t *testing.T) {
	c := startRackCluster(t, true)
	const topic = "closest"
	pm := c.createRF3(topic)
	follower, rack := followerIn(pm)
	prod := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	produceSeq(t, prod, topic, 0, 100)
	served := consumeRack(t, c, topic, rack, 200, func() { produceSeq(t, prod, topic, 100, 200) })
	if len(served) != 1 || served[follower] == 0 {
		t.Fatalf("batches served by %v; want all by follower %d in %s (leader %d in %s)", served, follower, rack, pm.Leader, rackOfNode(pm.Leader))
	}

	// A consumer in the leader's rack, or in no rack, stays on the leader.
	for _, r := range []string{rackOfNode(pm.Leader), ""} {
		if served := consumeRack(t, c, topic, r, 200, nil); len(served) != 1 || served[pm.Leader] == 0 {
			t.Fatalf("rack %q: batches served by %v, want the leader %d only", r, served, pm.Leader)
		}
	}
}

// TestFollowerFetchReadCommitted: a read_committed consumer on a
// follower sees committed transactions only, exactly once: the follower's
// log tracks the transactional batches and markers it replicated and
// computes its own last stable offset and aborted transactions.
func TestFollowerFetchReadCommitted(t *testing.T) {
	c := startRackCluster(t, true, txnClusterProps())
	const topic = "closest-txn"
	pm := c.createRF3(topic)
	follower, rack := followerIn(pm)
	txp := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.TransactionalID("closest-txn"), kgo.DefaultProduceTopic(topic))
	write := func(from, to int, commit bool) {
		t.Helper()
		if err := txp.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		var recs []*kgo.Record
		for i := from; i < to; i++ {
			v := fmt.Sprintf("v%04d", i)
			if !commit {
				v = "aborted"
			}
			recs = append(recs, &kgo.Record{Value: []byte(v)})
		}
		if err := txp.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := txp.EndTransaction(ctxT(t), kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	write(0, 20, true)
	write(0, 10, false)
	write(20, 40, true)
	served := consumeRack(t, c, topic, rack, 40, nil, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if len(served) != 1 || served[follower] == 0 {
		t.Fatalf("batches served by %v; want all by follower %d", served, follower)
	}
}

// TestFollowerFetchLeaderOnlyByDefault: without replica.selector.class a
// consumer with a rack reads from the leader, and a follower refuses
// consumer fetches.
func TestFollowerFetchLeaderOnlyByDefault(t *testing.T) {
	c := startRackCluster(t, false)
	const topic = "leader-only"
	pm := c.createRF3(topic)
	follower, rack := followerIn(pm)
	produceSeq(t, newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks())), topic, 0, 50)
	if served := consumeRack(t, c, topic, rack, 50, nil); len(served) != 1 || served[pm.Leader] == 0 {
		t.Fatalf("batches served by %v, want the leader %d only", served, pm.Leader)
	}
	sp := rawConsumerFetch(t, c, follower, topic, 12, 0, -1, rack)
	if sp.ErrorCode != kerr.NotLeaderForPartition.Code {
		t.Fatalf("consumer fetch from a follower without the selector: %v", kerr.ErrorForCode(sp.ErrorCode))
	}
}

// fetchClient is a client of broker id whose Fetch requests use version
// (the client negotiates each request's version: cap Fetch there).
func fetchClient(t *testing.T, c *replCluster, id int32, version int16) *kgo.Client {
	t.Helper()
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(kmsg.NewPtrFetchRequest().Key(), version)
	return newClient(t, c.nodes[id].Addr(), kgo.MaxVersions(vs))
}

// rawConsumerFetch sends one consumer Fetch for partition 0 to broker id
// (answered at once: max wait 0).
func rawConsumerFetch(t *testing.T, c *replCluster, id int32, topic string, version int16, offset int64, epoch int32, rack string) kmsg.FetchResponseTopicPartition {
	t.Helper()
	return fetchWith(t, fetchClient(t, c, id, version), c, id, topic, offset, epoch, rack)
}

func fetchWith(t *testing.T, cl *kgo.Client, c *replCluster, id int32, topic string, offset int64, epoch int32, rack string) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID, req.Rack, req.MaxBytes, req.MaxWaitMillis = -1, rack, 1<<20, 0
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rt.TopicID = c.nodes[id].Meta().Image().Topic(topic).ID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.FetchOffset, rp.CurrentLeaderEpoch, rp.PartitionMaxBytes = offset, epoch, 1<<20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxT(t), cl.Broker(int(id)))
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0]
}

// batchesEnd returns the offset after the last whole batch in b.
func batchesEnd(t *testing.T, b []byte) int64 {
	t.Helper()
	end := int64(-1)
	for len(b) >= record.HeaderSize {
		h, err := record.ParseHeader(b)
		if err != nil || h.Size() > len(b) {
			break
		}
		end = h.LastOffset() + 1
		b = b[h.Size():]
	}
	return end
}

// TestFollowerFetchProtocol: the leader's preferred-replica answer and a
// follower's errors, request by request.
func TestFollowerFetchProtocol(t *testing.T) {
	c := startRackCluster(t, true)
	const topic = "closest-raw"
	first := c.createRF3(topic)
	produceSeq(t, newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks())), topic, 0, 10)
	// A leader change, so that there is an older leader epoch to fence:
	// the first leader stops, another leads, the first comes back as a
	// follower and catches up.
	c.stop(first.Leader)
	waitUntil(t, "a new leader", func() bool {
		pm, ok := c.state(topic, 0)
		return ok && pm.Leader >= 0 && pm.Leader != first.Leader
	})
	c.start(first.Leader)
	var pm metadata.Partition
	waitUntil(t, "the old leader back in the ISR", func() bool {
		var ok bool
		pm, ok = c.state(topic, 0)
		return ok && len(pm.ISR) == 3 && len(c.nodes) == 3
	})
	follower, rack := followerIn(pm)
	waitUntil(t, "the follower's high watermark at 10", func() bool {
		return c.part(follower, topic, 0).Offsets().HighWatermark >= 10
	})

	// The leader sends a consumer in the follower's rack there, with no
	// records; v10 (no rack field) and other racks are served.
	if sp := rawConsumerFetch(t, c, pm.Leader, topic, 12, 0, pm.LeaderEpoch, rack); sp.ErrorCode != 0 || sp.PreferredReadReplica != follower || len(sp.RecordBatches) != 0 {
		t.Fatalf("leader, rack %s: %v, preferred %d, %d bytes; want preferred %d and no records", rack, kerr.ErrorForCode(sp.ErrorCode), sp.PreferredReadReplica, len(sp.RecordBatches), follower)
	}
	if sp := rawConsumerFetch(t, c, pm.Leader, topic, 12, 0, -1, "rack-z"); sp.PreferredReadReplica != -1 || len(sp.RecordBatches) == 0 {
		t.Fatalf("leader, unknown rack: preferred %d, %d bytes; want records from the leader", sp.PreferredReadReplica, len(sp.RecordBatches))
	}

	// The follower serves v11+ below its high watermark, never redirects.
	sp := rawConsumerFetch(t, c, follower, topic, 12, 0, pm.LeaderEpoch, rack)
	if sp.ErrorCode != 0 || sp.PreferredReadReplica != -1 || len(sp.RecordBatches) == 0 || sp.HighWatermark > c.part(follower, topic, 0).Offsets().HighWatermark {
		t.Fatalf("follower: %v, preferred %d, %d bytes, HW %d", kerr.ErrorForCode(sp.ErrorCode), sp.PreferredReadReplica, len(sp.RecordBatches), sp.HighWatermark)
	}
	for _, tt := range []struct {
		name    string
		version int16
		offset  int64
		epoch   int32
		want    *kerr.Error
	}{
		{"v10", 10, 0, -1, kerr.NotLeaderForPartition},
		{"older epoch", 12, 0, pm.LeaderEpoch - 1, kerr.FencedLeaderEpoch},
		{"newer epoch", 12, 0, pm.LeaderEpoch + 1, kerr.UnknownLeaderEpoch},
		{"beyond its log end", 12, 1000, -1, kerr.OffsetNotAvailable},
	} {
		if sp := rawConsumerFetch(t, c, follower, topic, tt.version, tt.offset, tt.epoch, rack); sp.ErrorCode != tt.want.Code {
			t.Errorf("follower, %s: %v, want %v", tt.name, kerr.ErrorForCode(sp.ErrorCode), tt.want)
		}
	}
	followerBelowItsHW(t, c, pm, follower, topic, rack)
}

// followerBelowItsHW: under a steady stream of acks=1 writes the follower
// keeps holding records beyond its high watermark (one replica-fetch round
// behind the leader's); fetches from its tail never return them, and the
// high watermark it answers never exceeds the leader's.
func followerBelowItsHW(t *testing.T, c *replCluster, pm metadata.Partition, follower int32, topic, rack string) {
	t.Helper()
	prod := newClient(t, c.nodes[pm.Leader].Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := prod.ProduceSync(ctxT(t), &kgo.Record{Topic: topic, Value: []byte("more")}).FirstErr(); err != nil {
				t.Errorf("produce: %v", err)
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	cl := fetchClient(t, c, follower, 16)
	lagged := 0
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(20 * time.Second); lagged < 20 && time.Now().Before(deadline); <-tick.C {
		o := c.part(follower, topic, 0).Offsets()
		if o.LogEnd <= o.HighWatermark {
			continue
		}
		lagged++
		sp := fetchWith(t, cl, c, follower, topic, max(o.HighWatermark-2, 0), -1, rack)
		leaderHW := c.part(pm.Leader, topic, 0).Offsets().HighWatermark
		if sp.ErrorCode != 0 || sp.HighWatermark > leaderHW {
			t.Fatalf("fetch from the follower: %v, HW %d, leader's HW %d", kerr.ErrorForCode(sp.ErrorCode), sp.HighWatermark, leaderHW)
		}
		if end := batchesEnd(t, sp.RecordBatches); end > sp.HighWatermark {
			t.Fatalf("the follower returned records up to %d, its high watermark is %d (log end %d)", end, sp.HighWatermark, o.LogEnd)
		}
	}
	if lagged == 0 {
		t.Fatal("the follower never held records beyond its high watermark")
	}
}

// TestFollowerFetchLibrdkafka: librdkafka (through kcat) with client.rack
// follows the leader's preferred read replica and reads every record
// from the follower. Skipped without kcat unless GREGOR_REQUIRE_BLACKBOX=1.
func TestFollowerFetchLibrdkafka(t *testing.T) {
	if testing.Short() {
		t.Skip("black-box clients are not run with -short")
	}
	if _, err := exec.LookPath("kcat"); err != nil {
		if os.Getenv("GREGOR_REQUIRE_BLACKBOX") == "1" {
			t.Fatal("kcat is not installed (GREGOR_REQUIRE_BLACKBOX=1)")
		}
		t.Skip("kcat is not installed")
	}
	c := startRackCluster(t, true)
	const topic = "closest-kcat"
	pm := c.createRF3(topic)
	follower, rack := followerIn(pm)
	produceSeq(t, newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks())), topic, 0, 30)
	waitUntil(t, "the follower's high watermark at 30", func() bool {
		return c.part(follower, topic, 0).Offsets().HighWatermark >= 30
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "kcat", "-C", "-b", c.nodes[pm.Leader].Addr(), "-t", topic, "-p", "0",
		"-o", "beginning", "-e", "-X", "client.rack="+rack, "-d", "fetch", "-f", "%s\n")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.String())
	}
	var want strings.Builder
	for i := range 30 {
		fmt.Fprintf(&want, "v%04d\n", i)
	}
	if stdout.String() != want.String() {
		t.Fatalf("kcat read:\n%s\nwant v0000..v0029 once each", stdout.String())
	}
	// librdkafka's fetch debug log names the broker each batch of
	// messages came from: "<host:port>/<node id>: Enqueue N message(s)".
	from := fmt.Sprintf("%s/%d: Enqueue ", c.nodes[follower].Addr(), follower)
	enqueued := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		if !strings.Contains(line, ": Enqueue ") {
			continue
		}
		if !strings.Contains(line, from) {
			t.Fatalf("messages not from follower %d in %s: %s", follower, rack, line)
		}
		enqueued++
	}
	if enqueued == 0 {
		t.Fatalf("no fetch from follower %d in librdkafka's log:\n%s", follower, stderr.String())
	}
}
