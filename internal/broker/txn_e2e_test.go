package broker_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// txnProps keep the internal topics small in transaction tests.
var txnProps = map[string]string{
	"group.initial.rebalance.delay.ms":     "0",
	"group.min.session.timeout.ms":         "500",
	"offsets.topic.num.partitions":         "3",
	"transaction.state.log.num.partitions": "3",
}

func txnClient(t *testing.T, addr, id string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return newClient(t, addr, append([]kgo.Opt{kgo.TransactionalID(id), kgo.TransactionTimeout(10 * time.Second)}, opts...)...)
}

// produceTxn runs one transaction of records value prefix-0..n-1 on topic
// and commits or aborts it.
func produceTxn(t *testing.T, cl *kgo.Client, topic, prefix string, n int, commit bool) {
	t.Helper()
	ctx := ctxT(t)
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := &kgo.Record{Topic: topic, Partition: int32(i % 3), Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("%s-%d", prefix, i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce in transaction: %v", err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatalf("end transaction (commit %v): %v", commit, err)
	}
}

// values consumes n records of topic from the start and returns their
// values.
func values(t *testing.T, addr, topic string, n int, opts ...kgo.Opt) []string {
	t.Helper()
	var out []string
	for _, r := range consumeN(t, addr, topic, n, opts...) {
		out = append(out, string(r.Value))
	}
	return out
}

func count(vals []string, prefix string) int {
	n := 0
	for _, v := range vals {
		if strings.HasPrefix(v, prefix+"-") {
			n++
		}
	}
	return n
}

// TestTxnCommitAbortIsolation: committed transactions are visible to
// read_committed consumers, aborted ones only to read_uncommitted ones,
// and an open transaction holds the last stable offset.
func TestTxnCommitAbortIsolation(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: txnProps})
	addr := b.Addr()
	adm := kadm.NewClient(newClient(t, addr))
	createTopic(t, adm, "tx", 3, nil)
	cl := txnClient(t, addr, "iso", kgo.RecordPartitioner(kgo.ManualPartitioner()))
	// Even transactions commit, odd ones abort; the last one commits,
	// so a leak of any aborted record shows before the count is reached.
	for i := range 7 {
		produceTxn(t, cl, "tx", fmt.Sprintf("t%d", i), 21, i%2 == 0)
	}

	// An open transaction: the LSO stays below the high watermark.
	ctx := ctxT(t)
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "tx", Partition: 0, Value: []byte("open-0")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	hw, err := adm.ListEndOffsets(ctx, "tx")
	if err != nil {
		t.Fatal(err)
	}
	lso, err := adm.ListCommittedOffsets(ctx, "tx")
	if err != nil {
		t.Fatal(err)
	}
	var held bool
	hw.Each(func(o kadm.ListedOffset) {
		l, _ := lso.Lookup("tx", o.Partition)
		if l.Offset > o.Offset {
			t.Errorf("partition %d: LSO %d above high watermark %d", o.Partition, l.Offset, o.Offset)
		}
		held = held || l.Offset < o.Offset
	})
	if !held {
		t.Fatalf("an open transaction did not hold any LSO: hw %v lso %v", hw, lso)
	}
	committed := values(t, addr, "tx", 4*21, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		want := 0
		if i%2 == 0 {
			want = 21
		}
		if got := count(committed, fmt.Sprintf("t%d", i)); got != want {
			t.Errorf("read_committed saw %d records of transaction %d, want %d", got, i, want)
		}
	}
	if count(committed, "open") != 0 {
		t.Errorf("read_committed saw a record of an open transaction")
	}

	all := values(t, addr, "tx", 7*21+1, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
	for i := range 7 {
		if got := count(all, fmt.Sprintf("t%d", i)); got != 21 {
			t.Errorf("read_uncommitted saw %d records of transaction %d, want 21", got, i)
		}
	}
	committed = values(t, addr, "tx", 4*21+1, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if count(committed, "open") != 1 {
		t.Errorf("after its commit read_committed saw %d records of the last transaction, want 1", count(committed, "open"))
	}
}

// TestTxnZombieFenced: a second producer with the same transactional id
// fences the first; the first's transaction is aborted.
func TestTxnZombieFenced(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: txnProps})
	addr := b.Addr()
	adm := kadm.NewClient(newClient(t, addr))
	createTopic(t, adm, "zombie", 1, nil)
	ctx := ctxT(t)
	old := txnClient(t, addr, "z")
	if err := old.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := old.ProduceSync(ctx, &kgo.Record{Topic: "zombie", Value: []byte("zombie-0")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	fresh := txnClient(t, addr, "z")
	produceTxn(t, fresh, "zombie", "fresh", 3, true) // InitProducerId aborts the zombie's transaction
	err := old.ProduceSync(ctx, &kgo.Record{Topic: "zombie", Value: []byte("zombie-1")}).FirstErr()
	if err == nil {
		err = old.EndTransaction(ctx, kgo.TryCommit)
	}
	if !errors.Is(err, kerr.ProducerFenced) && !errors.Is(err, kerr.InvalidProducerEpoch) && !errors.Is(err, kerr.InvalidProducerIDMapping) {
		t.Fatalf("zombie producer: err = %v, want fenced", err)
	}
	got := values(t, addr, "zombie", 3, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if count(got, "zombie") != 0 || count(got, "fresh") != 3 {
		t.Fatalf("read_committed after fencing: %v", got)
	}
}

// TestTxnDescribeAndList covers the admin APIs on an open transaction.
func TestTxnDescribeAndList(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: txnProps})
	addr := b.Addr()
	adm := kadm.NewClient(newClient(t, addr))
	createTopic(t, adm, "adm", 2, nil)
	ctx := ctxT(t)
	cl := txnClient(t, addr, "admin-txn", kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "adm", Partition: 1, Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	listed, err := adm.ListTransactions(ctx, nil, []string{"Ongoing"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := listed["admin-txn"]; !ok {
		t.Fatalf("ListTransactions(Ongoing) = %v, want admin-txn", listed)
	}
	described, err := adm.DescribeTransactions(ctx, "admin-txn")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := described["admin-txn"]
	if !ok || d.State != "Ongoing" || len(d.Topics["adm"]) != 1 {
		t.Fatalf("DescribeTransactions = %+v", described)
	}
	producers, err := adm.DescribeProducers(ctx, kadm.TopicsSet{"adm": {1: {}}})
	if err != nil {
		t.Fatal(err)
	}
	var start int64 = -1
	producers.EachProducer(func(p kadm.DescribedProducer) {
		if p.ProducerID == d.ProducerID {
			start = p.CurrentTxnStartOffset
		}
	})
	if start != 0 {
		t.Fatalf("DescribeProducers: current transaction start offset %d, want 0 (%+v)", start, producers)
	}
	if err := cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
}
