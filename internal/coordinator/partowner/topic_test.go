package partowner

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// startMeta starts a metadata quorum of one, in memory, with broker 1
// registered.
func startMeta(t *testing.T) *metadata.Node {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := metadata.Start(metadata.Config{NodeID: 1, Dir: "/meta", FS: fs.NewMem(), Logger: quiet, TickInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("close metadata node: %v", err)
		}
	})
	if err := n.RegisterBroker(context.Background(), metadata.BrokerRegistration{ID: 1, Host: "h", Port: 1}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTopicCreatedOnceOnFirstNeed(t *testing.T) {
	meta := startMeta(t)
	var reconciles atomic.Int32
	top := &Topic{Name: "__test_state", Meta: meta, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Size:      func() (int32, int16) { return 4, 3 },
		Reconcile: func() error { reconciles.Add(1); return nil }}
	ctx := context.Background()

	if n, err := top.Partitions(ctx, false); err != nil || n != 0 {
		t.Fatalf("Partitions without create = %d, %v; want 0", n, err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if n, err := top.Partitions(ctx, true); err != nil || n != 4 {
				t.Errorf("Partitions = %d, %v; want 4", n, err)
			}
		})
	}
	wg.Wait()
	if got := reconciles.Load(); got != 1 {
		t.Fatalf("Reconcile called %d times, want once", got)
	}
	it := meta.Image().Topic("__test_state")
	if it == nil || !it.Internal || len(it.Partitions[0].Replicas) != 1 {
		t.Fatalf("created topic %+v: want internal, replication capped at the one broker", it)
	}
	leader, ok, err := top.Coordinator(ctx, func(n int32) int32 { return n - 1 })
	if err != nil || !ok || leader != 1 {
		t.Fatalf("Coordinator = %d, %v, %v; want broker 1", leader, ok, err)
	}
	if leader, ok, err := top.Coordinator(ctx, func(n int32) int32 { return n }); err != nil || ok || leader != -1 {
		t.Fatalf("Coordinator of a partition out of range = %d, %v, %v", leader, ok, err)
	}
	if got := Led(meta.Image(), "__test_state", 1); len(got) != 4 {
		t.Fatalf("Led = %v, want the 4 partitions", got)
	}
	if got := Led(meta.Image(), "__test_state", 2); len(got) != 0 {
		t.Fatalf("Led by another broker = %v", got)
	}
}
