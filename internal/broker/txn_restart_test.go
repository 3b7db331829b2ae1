package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// txnCommitOffset adds group to cl's open transaction and commits
// offset for topic-0 in it (AddOffsetsToTxn + TxnOffsetCommit).
func txnCommitOffset(t *testing.T, cl *kgo.Client, txnID, group, topic string, offset int64) {
	t.Helper()
	ctx := ctxT(t)
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = txnID, pid, epoch, group
	addResp, err := add.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(addResp.ErrorCode)
	}
	if err != nil {
		t.Fatalf("AddOffsetsToTxn: %v", err)
	}
	commit := kmsg.NewPtrTxnOffsetCommitRequest()
	commit.TransactionalID, commit.Group, commit.ProducerID, commit.ProducerEpoch = txnID, group, pid, epoch
	commit.Generation = -1
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	rp.Partition, rp.Offset, rp.LeaderEpoch = 0, offset, -1
	rt.Partitions = append(rt.Partitions, rp)
	commit.Topics = append(commit.Topics, rt)
	resp, err := commit.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
	}
	if err != nil {
		t.Fatalf("TxnOffsetCommit: %v", err)
	}
}

// TestTxnBrokerRestartMidTransaction: a committed transaction (records
// and a group offset) survives a restart; a transaction left open by a
// producer that is gone is aborted after the restart when its timeout
// passes, the LSO moves past it, and its records and offset never become
// visible.
func TestTxnBrokerRestartMidTransaction(t *testing.T) {
	dir := t.TempDir()
	b, err := brokertest.TryStart(t, brokertest.Options{Dir: dir, Props: txnProps})
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "rs", 1, nil)
	p := newClient(t, b.Addr(), kgo.TransactionalID("rs-1"), kgo.TransactionTimeout(1500*time.Millisecond), kgo.DefaultProduceTopic("rs"))
	ctx := ctxT(t)
	for _, round := range []struct {
		prefix string
		offset int64
	}{{"a", 42}, {"b", 99}} {
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprintf("%s-%d", round.prefix, i))}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		txnCommitOffset(t, p, "rs-1", "rsg", "rs", round.offset)
		if round.prefix == "a" {
			if err := p.EndTransaction(ctx, kgo.TryCommit); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Transaction b is open: its offset is pending, so a require_stable
	// OffsetFetch is told to wait.
	if code := stableFetchCode(t, p, "rsg", "rs"); code != kerr.UnstableOffsetCommit.Code {
		t.Fatalf("OffsetFetch require_stable with a pending transactional offset: code %d, want UNSTABLE_OFFSET_COMMIT", code)
	}
	// Stop the broker under the open transaction.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	p.Close()

	b2 := brokertest.Start(t, brokertest.Options{Dir: dir, Props: txnProps})
	plain := newClient(t, b2.Addr(), kgo.DefaultProduceTopic("rs"))
	if err := plain.ProduceSync(ctx, &kgo.Record{Value: []byte("x-0")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// x-0 is behind the open transaction: a read_committed consumer gets
	// it only once the coordinator has aborted b (no polling here: the
	// fetch wakes when the marker moves the high watermark).
	got := values(t, b2.Addr(), "rs", 6, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if count(got, "a") != 5 || count(got, "x") != 1 || count(got, "b") != 0 {
		t.Fatalf("read_committed after restart: %v", got)
	}
	adm2 := kadm.NewClient(newClient(t, b2.Addr()))
	lso, err := adm2.ListCommittedOffsets(ctx, "rs")
	if err != nil {
		t.Fatal(err)
	}
	hw, err := adm2.ListEndOffsets(ctx, "rs")
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := lso.Lookup("rs", 0); l.Offset != func() int64 { h, _ := hw.Lookup("rs", 0); return h.Offset }() {
		t.Fatalf("LSO %d did not reach the high watermark %v", l.Offset, hw)
	}
	offs, err := adm2.FetchOffsets(ctx, "rsg")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup("rs", 0); !ok || o.At != 42 {
		t.Fatalf("group offset after restart = %+v, want 42 (the aborted 99 must not show)", o)
	}
	if code := stableFetchCode(t, plain, "rsg", "rs"); code != 0 {
		t.Fatalf("OffsetFetch require_stable after the abort: code %d, want 0", code)
	}
	desc, err := adm2.DescribeTransactions(ctx, "rs-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := desc["rs-1"]; d.State != "CompleteAbort" {
		t.Fatalf("transaction state after the timeout = %q, want CompleteAbort", d.State)
	}
}

// stableFetchCode sends OffsetFetch with require_stable for topic-0 of
// group and returns the partition's error code.
func stableFetchCode(t *testing.T, cl *kgo.Client, group, topic string) int16 {
	t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.RequireStable = true
	g := kmsg.NewOffsetFetchRequestGroup()
	g.Group = group
	rt := kmsg.NewOffsetFetchRequestGroupTopic()
	rt.Topic, rt.Partitions = topic, []int32{0}
	g.Topics = append(g.Topics, rt)
	req.Groups = append(req.Groups, g)
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Groups) != 1 || len(resp.Groups[0].Topics) != 1 || len(resp.Groups[0].Topics[0].Partitions) != 1 {
		t.Fatalf("OffsetFetch response shape: %+v", resp)
	}
	return resp.Groups[0].Topics[0].Partitions[0].ErrorCode
}
