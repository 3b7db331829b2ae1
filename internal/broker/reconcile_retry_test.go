package broker_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
	"github.com/gregor-streaming/gregor/internal/fs"
)

// TestReconcileRetriesAFailedOpen: a partition whose log cannot be opened
// (here its directory cannot be created, twice) is opened by a later
// retry of the reconcile, although no new metadata arrives.
func TestReconcileRetriesAFailedOpen(t *testing.T) {
	ffs := fs.NewFault(fs.OS{})
	b := brokertest.Start(t, brokertest.Options{FS: ffs, Dir: t.TempDir()})
	rule := ffs.Inject(fs.Fault{Op: fs.OpMkdir, Times: 2, Path: func(p string) bool { return strings.Contains(p, "retried-0") }})
	cl := newClient(t, b.Addr(), kgo.DisableIdempotentWrite()) // no producer-id record: no new metadata image
	adm := kadm.NewClient(cl)
	// The topic is created in the metadata; the answer reports that this
	// broker could not open its log (KAFKA_STORAGE_ERROR).
	if _, err := adm.CreateTopic(ctxT(t), 1, 1, nil, "retried"); err != nil && !errors.Is(err, kerr.KafkaStorageError) {
		t.Fatalf("create topic: %v", err)
	}
	if rule.Fired() == 0 {
		t.Fatal("the fault never fired")
	}
	// The producer retries NOT_LEADER_OR_FOLLOWER until the reconcile's
	// retry opened the partition.
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Topic: "retried", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce after the failed opens: %v", err)
	}
	if got := rule.Fired(); got != 2 {
		t.Fatalf("the fault fired %d times, want 2", got)
	}
}
