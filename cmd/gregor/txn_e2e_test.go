package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestE2ETxnCommands drives gregor txn list/describe/producers/abort
// against a real broker and an open transaction of a franz-go producer.
func TestE2ETxnCommands(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("txn", 1)
	txnID := e.topicName("id")
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.addr), kgo.TransactionalID(txnID), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("a")}, &kgo.Record{Value: []byte("b")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	if out := e.ok("", "txn", "list", "--state", "Ongoing").stdout; !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(txnID) + `\s+\d+\s+Ongoing\s+1$`).MatchString(out) {
		t.Fatalf("txn list:\n%s", out)
	}
	if out := e.ok("", "txn", "describe", txnID).stdout; !strings.Contains(out, "STATE            Ongoing") || !strings.Contains(out, topic+"-0") {
		t.Fatalf("txn describe:\n%s", out)
	}
	row := func() []string {
		for _, l := range lines(e.ok("", "txn", "producers", topic).stdout) {
			if f := strings.Fields(l); len(f) == 9 && f[0] == topic {
				return f
			}
		}
		t.Fatal("txn producers: no row")
		return nil
	}
	if f := row(); f[2] != "0" || f[3] != "2" || f[8] != "0" {
		t.Fatalf("txn producers before abort: LSO %s HW %s open txn start %s, want 0 2 0", f[2], f[3], f[8])
	}
	e.fails("want exactly one", "txn", "abort", "--topic", topic, "--partition", "0", "--start-offset", "1")
	if out := e.ok("", "txn", "abort", "--topic", topic, "--partition", "0", "--start-offset", "0").stdout; !strings.Contains(out, "aborted the transaction of producer") {
		t.Fatalf("txn abort: %s", out)
	}
	if f := row(); f[2] != "3" || f[3] != "3" || f[8] != "-" {
		t.Fatalf("txn producers after abort: LSO %s HW %s open txn start %s, want 3 3 -", f[2], f[3], f[8])
	}
	if r := e.run("", "txn", "abort", "--topic", topic, "--partition", "0"); r.code != 2 {
		t.Fatalf("abort without a producer: exit %d, want 2 (usage)", r.code)
	}
	if err := cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
	e.fails("TRANSACTIONAL_ID_NOT_FOUND", "txn", "describe", "no-such-txn")
}
