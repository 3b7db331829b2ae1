package broker_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/record"
	"github.com/gregor-streaming/gregor/internal/txn"
)

// Transactions across brokers: the coordinator writes markers to the
// partitions it leads and sends WriteTxnMarkers to the leaders of the
// others, each answered once the marker is replicated to the ISR.

// txnClusterProps replicate the internal topics on three brokers and keep
// them small.
func txnClusterProps() map[string]string {
	return map[string]string{
		"transaction.state.log.replication.factor": "3",
		"transaction.state.log.num.partitions":     "3",
		"offsets.topic.replication.factor":         "3",
		"offsets.topic.num.partitions":             "3",
		"group.initial.rebalance.delay.ms":         "0",
		"group.min.session.timeout.ms":             "500",
	}
}

// leaders waits until the running brokers agree on a leader for every
// partition of topic and returns them.
func (c *replCluster) leaders(topic string, n int32) []int32 {
	c.t.Helper()
	out := make([]int32, n)
	waitUntil(c.t, "a leader for every partition of "+topic, func() bool {
		for p := range n {
			st, ok := c.state(topic, p)
			if !ok || st.Leader < 0 {
				return false
			}
			out[p] = st.Leader
		}
		return true
	})
	return out
}

// txnCoordinator is the broker leading the __transaction_state partition
// of id (3 partitions).
func (c *replCluster) txnCoordinator(id string) (int32, int32) {
	c.t.Helper()
	part := group.PartitionFor(id, 3)
	st, ok := c.state(txn.StateTopic, part)
	if !ok || st.Leader < 0 {
		c.t.Fatalf("%s-%d: %+v (agreed %v), want a leader", txn.StateTopic, part, st, ok)
	}
	return st.Leader, part
}

// runTxn writes one record to each of the partitions of topic in a
// transaction, value "<name>-p<partition>", and commits or aborts it.
func runTxn(t *testing.T, cl *kgo.Client, topic, name string, parts []int32, commit bool) {
	t.Helper()
	ctx := ctxT(t)
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		r := &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "%s-p%d", name, p)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce %s to partition %d: %v", name, p, err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatalf("end transaction %s (commit %v): %v", name, commit, err)
	}
}

// rawAbortMarker sends a WriteTxnMarkers request with an ABORT marker of
// an unknown producer for one partition to broker id and returns the
// partition's error code.
func rawAbortMarker(t *testing.T, cl *kgo.Client, id int32, topic string, p int32) int16 {
	t.Helper()
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch = 987654321, 0
	mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
	mt.Topic, mt.Partitions = topic, []int32{p}
	m.Topics = append(m.Topics, mt)
	req.Markers = append(req.Markers, m)
	resp, err := req.RequestWith(ctxT(t), cl.Broker(int(id)))
	if err != nil {
		t.Fatalf("WriteTxnMarkers to broker %d: %v", id, err)
	}
	if len(resp.Markers) != 1 || len(resp.Markers[0].Topics) != 1 || len(resp.Markers[0].Topics[0].Partitions) != 1 {
		t.Fatalf("WriteTxnMarkers answer: %+v", resp)
	}
	return resp.Markers[0].Topics[0].Partitions[0].ErrorCode
}

// stableOffsets returns each partition's last stable offset
// (read_committed end) and high watermark, waiting out retriable errors
// (OFFSET_NOT_AVAILABLE from a new leader whose high watermark is still
// below its epoch's start, KIP-207).
func stableOffsets(t *testing.T, adm *kadm.Client, topic string) (lso, hw map[int32]int64) {
	t.Helper()
	waitUntil(t, "offsets of "+topic+" listed without error", func() bool {
		committed, err := adm.ListCommittedOffsets(ctxT(t), topic)
		if err == nil {
			err = committed.Error()
		}
		ends, err2 := adm.ListEndOffsets(ctxT(t), topic)
		if err2 == nil {
			err2 = ends.Error()
		}
		if err := errors.Join(err, err2); err != nil {
			if !kerr.IsRetriable(err) && !errors.Is(err, kerr.OffsetNotAvailable) {
				t.Fatalf("list offsets: %v", err)
			}
			return false
		}
		lso, hw = map[int32]int64{}, map[int32]int64{}
		committed.Each(func(o kadm.ListedOffset) { lso[o.Partition] = o.Offset })
		ends.Each(func(o kadm.ListedOffset) { hw[o.Partition] = o.Offset })
		return true
	})
	return lso, hw
}

// readAll writes a sentinel record to every partition, then reads the
// topic from the start with isolation level iso until every sentinel was
// seen, and returns how often each value was read.
func readAll(t *testing.T, c *replCluster, topic string, parts []int32, iso kgo.IsolationLevel) map[string]int {
	t.Helper()
	seeds := kgo.SeedBrokers(c.addrs()...)
	prod := newClient(t, c.any().Addr(), seeds, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	sentinel := fmt.Sprintf("end-%d", len(parts))
	for _, p := range parts {
		if err := prod.ProduceSync(ctxT(t), &kgo.Record{Topic: topic, Partition: p, Value: []byte(sentinel)}).FirstErr(); err != nil {
			t.Fatalf("produce sentinel: %v", err)
		}
	}
	cons := newClient(t, c.any().Addr(), seeds, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(iso),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]int{}
	done := map[int32]bool{}
	ctx := ctxT(t)
	for len(done) < len(parts) {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d sentinels before the deadline; seen %v", len(done), len(parts), seen)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if v := string(r.Value); v == sentinel {
				done[r.Partition] = true
			} else if !strings.HasPrefix(v, "end-") {
				seen[v]++
			}
		})
	}
	return seen
}

// checkExactlyOnce: every committed transaction's value was read once,
// no aborted one.
func checkExactlyOnce(t *testing.T, seen map[string]int, committed, aborted []string, parts []int32) {
	t.Helper()
	for _, name := range committed {
		for _, p := range parts {
			if v := fmt.Sprintf("%s-p%d", name, p); seen[v] != 1 {
				t.Errorf("committed %s read %d times, want once", v, seen[v])
			}
		}
	}
	for _, name := range aborted {
		for _, p := range parts {
			if v := fmt.Sprintf("%s-p%d", name, p); seen[v] != 0 {
				t.Errorf("aborted %s read %d times by read_committed", v, seen[v])
			}
		}
	}
	if want := len(committed) * len(parts); len(seen) != want {
		t.Errorf("read_committed read %d distinct values, want %d: %v", len(seen), want, slices.Sorted(maps.Keys(seen)))
	}
}

func partitionsUpTo(n int32) []int32 {
	out := make([]int32, n)
	for i := range n {
		out[i] = i
	}
	return out
}

// TestTxnClusterMarkers: a transactional producer writes to a 6-partition
// RF=3 topic whose leaders are on all three brokers, committing and
// aborting in turn. After each EndTxn every partition is stable (its LSO
// is its high watermark, and moved on) and every replica holds the
// marker (markers wait for the ISR); read_committed reads exactly the
// committed records, read_uncommitted all of them. A transaction whose
// other topic is deleted before the commit completes (those markers are
// dropped). Only a partition's leader takes a marker.
func TestTxnClusterMarkers(t *testing.T) {
	c := startReplClusterWith(t, 3, txnClusterProps())
	const topic, n = "txn-spread", int32(6)
	seeds := kgo.SeedBrokers(c.addrs()...)
	adm := kadm.NewClient(newClient(t, c.any().Addr(), seeds))
	if resp, err := adm.CreateTopic(ctxT(t), n, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	leaders := c.leaders(topic, n)
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(leaders)))); distinct != 3 {
		t.Fatalf("leaders %v on %d brokers, want all 3", leaders, distinct)
	}
	parts := partitionsUpTo(n)
	const id = "cluster-txn"
	prod := txnClient(t, c.any().Addr(), id, seeds, kgo.RecordPartitioner(kgo.ManualPartitioner()))

	var committed, aborted []string
	prevLSO := map[int32]int64{}
	for i := range 10 {
		name, commit := fmt.Sprintf("t%02d", i), i%2 == 0
		runTxn(t, prod, topic, name, parts, commit)
		if commit {
			committed = append(committed, name)
		} else {
			aborted = append(aborted, name)
		}
		lso, hw := stableOffsets(t, adm, topic)
		for _, p := range parts {
			if lso[p] != hw[p] || lso[p] <= prevLSO[p] {
				t.Fatalf("after %s partition %d: LSO %d, high watermark %d, previous LSO %d: want LSO = HW, moved on", name, p, lso[p], hw[p], prevLSO[p])
			}
			for id, b := range c.nodes {
				if end := b.Partitions().Get(topic, p).Offsets().LogEnd; end < lso[p] {
					t.Fatalf("after %s: broker %d's replica of partition %d ends at %d, below the LSO %d", name, id, p, end, lso[p])
				}
			}
		}
		prevLSO = lso
	}
	coord, _ := c.txnCoordinator(id)
	t.Logf("coordinator %d, partition leaders %v", coord, leaders)

	// Only a partition's leader takes a marker.
	st, _ := c.state(topic, 0)
	follower := st.Replicas[0]
	if follower == st.Leader {
		follower = st.Replicas[1]
	}
	raw := newClient(t, c.any().Addr(), seeds)
	if code := rawAbortMarker(t, raw, follower, topic, 0); code != kerr.NotLeaderForPartition.Code {
		t.Fatalf("marker sent to follower %d: %v, want NOT_LEADER_OR_FOLLOWER", follower, kerr.ErrorForCode(code))
	}

	// A topic of the transaction deleted before the commit: its markers
	// are dropped, the others written, the transaction completes.
	const doomed = "txn-doomed"
	if resp, err := adm.CreateTopic(ctxT(t), 3, 3, nil, doomed); err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", doomed, err, resp.Err)
	}
	c.leaders(doomed, 3)
	if err := prod.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*kgo.Record{
		{Topic: doomed, Partition: 0, Value: []byte("gone")}, {Topic: doomed, Partition: 2, Value: []byte("gone")},
		{Topic: topic, Partition: 1, Value: []byte("kept-p1")}, {Topic: topic, Partition: 4, Value: []byte("kept-p4")},
	} {
		if err := prod.ProduceSync(ctxT(t), r).FirstErr(); err != nil {
			t.Fatalf("produce to %s-%d: %v", r.Topic, r.Partition, err)
		}
	}
	if resp, err := adm.DeleteTopic(ctxT(t), doomed); err != nil || resp.Err != nil {
		t.Fatalf("delete %s: %v %v", doomed, err, resp.Err)
	}
	waitUntil(t, doomed+" deleted on every broker", func() bool {
		for _, b := range c.nodes {
			if b.Meta().Image().Topic(doomed) != nil {
				return false
			}
		}
		return true
	})
	if err := prod.EndTransaction(ctxT(t), kgo.TryCommit); err != nil {
		t.Fatalf("commit with a deleted topic: %v", err)
	}
	if st := describeTxn(t, adm, id); st != "CompleteCommit" {
		t.Fatalf("transaction %s after committing with a deleted topic, want CompleteCommit", st)
	}

	seen := readAll(t, c, topic, parts, kgo.ReadCommitted())
	for _, v := range []string{"kept-p1", "kept-p4"} {
		if seen[v] != 1 {
			t.Errorf("%s read %d times, want once", v, seen[v])
		}
		delete(seen, v)
	}
	checkExactlyOnce(t, seen, committed, aborted, parts)
	all := readAll(t, c, topic, parts, kgo.ReadUncommitted())
	delete(all, "kept-p1")
	delete(all, "kept-p4")
	checkExactlyOnce(t, all, append(committed, aborted...), nil, parts)
}

// TestTxnClusterCoordinatorFailover: five brokers; a topic with
// min.insync.replicas=3 on RF=3. A transaction's records are written,
// then a broker D (not the coordinator) stops, so the partitions it
// replicates refuse markers (NOT_ENOUGH_REPLICAS). EndTxn(commit) makes
// the decision durable (PrepareCommit) and the markers to D's partitions
// keep failing; then the coordinator stops. The new coordinator loads the
// transaction in PrepareCommit and keeps it there (its markers fail too)
// until D and the old coordinator return; then it finishes: the transaction is read exactly once
// by read_committed, later transactions work, aborted ones never show.
func TestTxnClusterCoordinatorFailover(t *testing.T) {
	c := startReplClusterWith(t, 5, txnClusterProps())
	const topic, n, id = "txn-failover", int32(5), "failover-txn"
	seeds := kgo.SeedBrokers(c.addrs()...)
	adm := kadm.NewClient(newClient(t, c.any().Addr(), seeds))
	minISR := "3"
	if resp, err := adm.CreateTopic(ctxT(t), n, 3, map[string]*string{"min.insync.replicas": &minISR}, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	c.leaders(topic, n)
	parts := partitionsUpTo(n)
	prod := txnClient(t, c.any().Addr(), id, seeds, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	runTxn(t, prod, topic, "before", parts, true)

	coord, statePart := c.txnCoordinator(id)
	var stopped int32 = -1
	var blocked []int32 // partitions D replicates
	for d := int32(1); d <= 5 && stopped < 0; d++ {
		if d == coord {
			continue
		}
		for _, p := range parts {
			if st, _ := c.state(topic, p); slices.Contains(st.Replicas, d) {
				blocked = append(blocked, p)
			}
		}
		if len(blocked) > 0 {
			stopped = d
		}
	}
	if stopped < 0 {
		t.Fatal("no broker other than the coordinator replicates the topic")
	}

	// The transaction's records are in before D stops.
	if err := prod.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		r := &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "during-p%d", p)}
		if err := prod.ProduceSync(ctxT(t), r).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	t.Logf("coordinator %d; stopping broker %d (replica of partitions %v)", coord, stopped, blocked)
	c.stop(stopped)
	waitUntil(t, "the stopped broker out of every ISR", func() bool {
		for _, p := range blocked {
			if st, ok := c.state(topic, p); !ok || st.Leader < 0 || slices.Contains(st.ISR, stopped) {
				return false
			}
		}
		return true
	})

	// A marker is refused, as an acks=all produce, below min.insync.replicas.
	raw := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...))
	st, _ := c.state(topic, blocked[0])
	if code := rawAbortMarker(t, raw, st.Leader, topic, blocked[0]); code != kerr.NotEnoughReplicas.Code {
		t.Fatalf("marker with ISR %v below min.insync.replicas=3: %v, want NOT_ENOUGH_REPLICAS", st.ISR, kerr.ErrorForCode(code))
	}

	stateLog := c.part(coord, txn.StateTopic, statePart)
	before := stateLog.Offsets().HighWatermark
	ended := make(chan error, 1)
	go func() { ended <- prod.EndTransaction(context.Background(), kgo.TryCommit) }()
	waitUntil(t, "PrepareCommit replicated in __transaction_state", func() bool {
		return stateLog.Offsets().HighWatermark > before
	})
	t.Logf("stopping broker %d, the coordinator", coord)
	c.stop(coord)
	waitUntil(t, "a new transaction coordinator", func() bool {
		st, ok := c.state(txn.StateTopic, statePart)
		return ok && st.Leader >= 0 && st.Leader != coord
	})
	adm2 := kadm.NewClient(newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...)))
	var state string
	waitUntil(t, "the new coordinator describing the transaction", func() bool {
		state = describeTxn(t, adm2, id)
		return state != ""
	})
	if state != "PrepareCommit" {
		t.Fatalf("transaction %s while a partition refuses markers, want PrepareCommit", state)
	}
	lso, hw := stableOffsets(t, adm2, topic)
	for _, p := range blocked {
		if lso[p] >= hw[p] {
			t.Fatalf("partition %d without its marker: LSO %d, high watermark %d; want the LSO held back", p, lso[p], hw[p])
		}
	}

	// Both return (the old coordinator may replicate a blocked partition
	// too); whichever broker coordinates the id then finishes it.
	c.start(stopped)
	c.start(coord)
	waitUntil(t, "the transaction completed by the new coordinator", func() bool {
		return describeTxn(t, adm2, id) == "CompleteCommit"
	})
	if err := <-ended; err != nil {
		t.Logf("EndTransaction across the failover: %v (the transaction committed regardless)", err)
	}
	c.leaders(topic, n)

	prod2 := txnClient(t, c.any().Addr(), id, kgo.SeedBrokers(c.addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	runTxn(t, prod2, topic, "after", parts, true)
	runTxn(t, prod2, topic, "aborted", parts, false)
	lso, hw = stableOffsets(t, adm2, topic)
	for _, p := range parts {
		if lso[p] != hw[p] {
			t.Fatalf("partition %d: LSO %d, high watermark %d after the last transaction", p, lso[p], hw[p])
		}
	}
	checkExactlyOnce(t, readAll(t, c, topic, parts, kgo.ReadCommitted()), []string{"before", "during", "after"}, []string{"aborted"}, parts)
}

// describeTxn is the state of transactional id as its coordinator
// describes it ("" while it cannot be described).
func describeTxn(t *testing.T, adm *kadm.Client, id string) string {
	t.Helper()
	ds, err := adm.DescribeTransactions(ctxT(t), id)
	if err != nil {
		t.Logf("describe transactions: %v", err)
		return ""
	}
	d, ok := ds[id]
	if !ok || d.Err != nil {
		return ""
	}
	return d.State
}

// TestTxnClusterGroupTransactSessionETL is the consume-transform-produce
// run of TestTxnGroupTransactSessionETL on three brokers: input and
// output topics of 6 partitions, RF=3, leaders on every broker, and
// replicated __consumer_offsets and __transaction_state, so each
// transaction's markers (data partitions and the group's offsets
// partition) go to several brokers. The committed output holds every
// input exactly once and every output partition ends stable.
func TestTxnClusterGroupTransactSessionETL(t *testing.T) {
	c := startReplClusterWith(t, 3, txnClusterProps())
	addr := c.any().Addr()
	seeds := kgo.SeedBrokers(c.addrs()...)
	adm := kadm.NewClient(newClient(t, addr, seeds))
	for _, topic := range []string{"eos-in", "eos-out"} {
		if resp, err := adm.CreateTopic(ctxT(t), 6, 3, nil, topic); err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, resp.Err)
		}
		c.leaders(topic, 6)
	}
	const n = 300
	ctx := ctxT(t)
	prod := newClient(t, addr, seeds, kgo.DefaultProduceTopic("eos-in"), kgo.RequiredAcks(kgo.AllISRAcks()))
	for i := range n {
		prod.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("v-%d", i))}, nil)
	}
	if err := prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	runEOSWorkers(t, ctx, addr, "eos-cluster", n)
	seen := map[string]int{}
	for _, v := range values(t, addr, "eos-out", n, kgo.FetchIsolationLevel(kgo.ReadCommitted())) {
		seen[v]++
	}
	for i := range n {
		if k := seen[fmt.Sprintf("v-%d", i)]; k != 1 {
			t.Errorf("input v-%d appears %d times in the committed output", i, k)
		}
	}
	lso, hw := stableOffsets(t, adm, "eos-out")
	for p, o := range lso {
		if o != hw[p] {
			t.Errorf("eos-out partition %d: LSO %d, high watermark %d after every transaction ended", p, o, hw[p])
		}
	}
}

// TestTxnClusterProduceVerification: a partition leader that does not
// coordinate the producer's transactional id asks the coordinator
// (AddPartitionsToTxn verify_only) before appending a transactional
// batch: a batch for a partition the transaction did not add is refused
// with INVALID_TXN_STATE and nothing is appended; the transaction's own
// partitions take their batches.
func TestTxnClusterProduceVerification(t *testing.T) {
	c := startReplClusterWith(t, 3, txnClusterProps())
	const topic, n, id = "txn-verify", int32(6), "verify-txn"
	seeds := kgo.SeedBrokers(c.addrs()...)
	adm := kadm.NewClient(newClient(t, c.any().Addr(), seeds))
	if resp, err := adm.CreateTopic(ctxT(t), n, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	leaders := c.leaders(topic, n)
	prod := txnClient(t, c.any().Addr(), id, seeds, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := prod.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	coord, _ := c.txnCoordinator(id)
	var added, other int32 = -1, -1
	for p, l := range leaders {
		switch {
		case l == coord:
		case added < 0:
			added = int32(p)
		case other < 0:
			other = int32(p)
		}
	}
	if added < 0 || other < 0 {
		t.Fatalf("leaders %v: want two partitions led by brokers other than the coordinator %d", leaders, coord)
	}
	if err := prod.ProduceSync(ctxT(t), &kgo.Record{Topic: topic, Partition: added, Value: []byte("in-txn")}).FirstErr(); err != nil {
		t.Fatalf("produce to partition %d (verified by coordinator %d): %v", added, coord, err)
	}
	ds, err := adm.DescribeTransactions(ctxT(t), id)
	if err != nil || ds[id].Err != nil {
		t.Fatalf("describe transaction: %v %v", err, ds[id].Err)
	}
	d := ds[id]

	raw := newClient(t, c.any().Addr(), seeds)
	before := c.part(leaders[other], topic, other).Offsets().LogEnd
	if code := rawTxnProduce(t, raw, leaders[other], id, d.ProducerID, d.ProducerEpoch, topic, other); code != kerr.InvalidTxnState.Code {
		t.Fatalf("transactional batch for partition %d, not in the transaction: %v, want INVALID_TXN_STATE", other, kerr.ErrorForCode(code))
	}
	if after := c.part(leaders[other], topic, other).Offsets().LogEnd; after != before {
		t.Fatalf("refused batch appended: log end %d -> %d", before, after)
	}
	if code := rawTxnProduce(t, raw, leaders[added], id, d.ProducerID, d.ProducerEpoch+1, topic, added); code != kerr.InvalidProducerEpoch.Code && code != kerr.ProducerFenced.Code {
		t.Fatalf("batch with a producer epoch the coordinator does not know: %v, want INVALID_PRODUCER_EPOCH", kerr.ErrorForCode(code))
	}
	if err := prod.EndTransaction(ctxT(t), kgo.TryCommit); err != nil {
		t.Fatalf("commit: %v", err)
	}
	lso, hw := stableOffsets(t, adm, topic)
	for p := range n {
		if lso[p] != hw[p] {
			t.Errorf("partition %d: LSO %d, high watermark %d", p, lso[p], hw[p])
		}
	}
}

// rawTxnProduce sends a one-record transactional batch of producer
// pid/epoch for id to partition p of topic on broker node and returns
// the partition's error code.
func rawTxnProduce(t *testing.T, cl *kgo.Client, node int32, id string, pid int64, epoch int16, topic string, p int32) int16 {
	t.Helper()
	batch, err := record.Build(record.BatchSpec{PartitionLeaderEpoch: -1, Transactional: true, Idempotent: true,
		ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 1000},
		[]record.Record{{Timestamp: time.Now().UnixMilli(), Value: []byte("stray")}})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis, req.TransactionID = -1, 5000, &id
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = p, batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxT(t), cl.Broker(int(node)))
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}
