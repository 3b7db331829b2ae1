package metadata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
)

func testConfig(fsys fs.FS, dir string) Config {
	return Config{
		NodeID:       1,
		Dir:          dir,
		FS:           fsys,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		TickInterval: time.Hour, // no ticks needed by a quorum of one
	}
}

func mustStart(t *testing.T, cfg Config) *Node {
	t.Helper()
	n, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return n
}

func mustClose(t *testing.T, n *Node) {
	t.Helper()
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func str(s string) *string { return &s }

// populate runs a story of proposals and checks their results.
func populate(t *testing.T, n *Node) {
	t.Helper()
	ctx := context.Background()
	for id := int32(1); id <= 3; id++ {
		b := BrokerRegistration{ID: id, Host: "localhost", Port: 9090 + id, Listeners: []Listener{{Name: "PLAINTEXT", Host: "localhost", Port: 9090 + id}}}
		if err := n.RegisterBroker(ctx, b); err != nil {
			t.Fatalf("RegisterBroker %d: %v", id, err)
		}
	}
	top, err := n.CreateTopic(ctx, TopicSpec{Name: "orders", NumPartitions: 6, ReplicationFactor: 3, Configs: map[string]string{"cleanup.policy": "compact"}})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if top.ID == [16]byte{} || len(top.Partitions) != 6 {
		t.Fatalf("CreateTopic returned %+v", top)
	}
	if _, err := n.CreateTopic(ctx, TopicSpec{Name: "orders", NumPartitions: 1, ReplicationFactor: 1}); !errors.Is(err, ErrTopicExists) {
		t.Fatalf("duplicate CreateTopic: %v, want ErrTopicExists", err)
	}
	if _, err := n.CreateTopic(ctx, TopicSpec{Name: "big", NumPartitions: 1, ReplicationFactor: 4}); !errors.Is(err, ErrInvalidReplicationFactor) {
		t.Fatalf("RF 4 of 3 brokers: %v, want ErrInvalidReplicationFactor", err)
	}
	if _, err := n.CreateTopic(ctx, TopicSpec{Name: "tmp", NumPartitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	if err := n.DeleteTopic(ctx, "tmp"); err != nil {
		t.Fatal(err)
	}
	if err := n.DeleteTopic(ctx, "tmp"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("second DeleteTopic: %v, want ErrUnknownTopic", err)
	}
	if err := n.CreatePartitions(ctx, "orders", 8, nil); err != nil {
		t.Fatal(err)
	}
	if err := n.CreatePartitions(ctx, "orders", 8, nil); !errors.Is(err, ErrInvalidPartitions) {
		t.Fatalf("CreatePartitions to same count: %v", err)
	}
	if err := n.AlterConfigs(ctx, ConfigResource{Type: TopicResource, Name: "orders"}, map[string]*string{"retention.ms": str("1000")}, false); err != nil {
		t.Fatal(err)
	}
	if err := n.AlterConfigs(ctx, ConfigResource{Type: BrokerResource, Name: ""}, map[string]*string{"log.retention.ms": str("5")}, false); err != nil {
		t.Fatal(err)
	}
	if err := n.AlterConfigs(ctx, ConfigResource{Type: TopicResource, Name: "nope"}, nil, false); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("AlterConfigs unknown topic: %v", err)
	}
	first, err := n.AllocateProducerIDs(ctx, 1000)
	if err != nil || first != 0 {
		t.Fatalf("AllocateProducerIDs = %d, %v", first, err)
	}
}

func checkPopulated(t *testing.T, img *Image) {
	t.Helper()
	o := img.Topic("orders")
	if o == nil || len(o.Partitions) != 8 || img.TopicByID(o.ID) != o {
		t.Fatalf("orders = %+v", o)
	}
	if o.Configs["cleanup.policy"] != "compact" || o.Configs["retention.ms"] != "1000" {
		t.Fatalf("orders configs = %v", o.Configs)
	}
	if img.Topic("tmp") != nil || len(img.Brokers) != 3 || img.NextProducerID != 1000 {
		t.Fatalf("image = %+v", img)
	}
	if img.BrokerConfigs[""]["log.retention.ms"] != "5" {
		t.Fatalf("broker configs = %v", img.BrokerConfigs)
	}
	if img.Controller != 1 || len(img.ClusterID) != 22 {
		t.Fatalf("controller %d cluster id %q", img.Controller, img.ClusterID)
	}
}

func filesystems(t *testing.T) map[string]func() (fs.FS, string) {
	return map[string]func() (fs.FS, string){
		"os":  func() (fs.FS, string) { return fs.OS{}, filepath.Join(t.TempDir(), "meta") },
		"mem": func() (fs.FS, string) { return fs.NewMem(), "/data/meta" },
	}
}

func TestStartProposeRestart(t *testing.T) {
	for name, mk := range filesystems(t) {
		t.Run(name, func(t *testing.T) {
			fsys, dir := mk()
			n := mustStart(t, testConfig(fsys, dir))
			if !n.IsLeader() {
				t.Fatal("single voter is not leader after Start")
			}
			populate(t, n)
			before := n.Image()
			checkPopulated(t, before)
			mustClose(t, n)

			n = mustStart(t, testConfig(fsys, dir))
			defer mustClose(t, n)
			after := n.Image()
			checkPopulated(t, after)
			if !after.Equal(before) || after.ClusterID != before.ClusterID {
				t.Fatalf("image after restart differs:\n%+v\n%+v", after.toSnapshot(), before.toSnapshot())
			}
			if after.Offset <= before.Offset {
				t.Fatalf("offset after restart %d, before %d: the new term's entry is missing", after.Offset, before.Offset)
			}
			first, err := n.AllocateProducerIDs(context.Background(), 10)
			if err != nil || first != 1000 {
				t.Fatalf("AllocateProducerIDs after restart = %d, %v", first, err)
			}
		})
	}
}

func TestClusterIDFromConfig(t *testing.T) {
	cfg := testConfig(fs.NewMem(), "/meta")
	cfg.ClusterID = "MkU3OEVBNTcwNTJENDM2Qk"
	n := mustStart(t, cfg)
	mustClose(t, n)
	cfg.ClusterID = "ignored-after-bootstrap"
	n = mustStart(t, cfg)
	defer mustClose(t, n)
	if got := n.Image().ClusterID; got != "MkU3OEVBNTcwNTJENDM2Qk" {
		t.Fatalf("cluster id %q", got)
	}
}

func TestSnapshotCompactsWAL(t *testing.T) {
	fsys := fs.NewMem()
	cfg := testConfig(fsys, "/meta")
	cfg.SnapshotEvery = 5
	n := mustStart(t, cfg)
	populate(t, n)
	ctx := context.Background()
	for i := range 30 {
		if _, err := n.CreateTopic(ctx, TopicSpec{Name: fmt.Sprintf("t%d", i), NumPartitions: 2, ReplicationFactor: 2}); err != nil {
			t.Fatal(err)
		}
	}
	before := n.Image()
	mustClose(t, n)

	st, ld, err := openStorage(fsys, "/meta", 1, []int32{1}, "", false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if ld.snap.Index < before.Offset-5 || len(ld.ents) > 5 {
		t.Fatalf("snapshot at %d with %d wal entries; image offset %d", ld.snap.Index, len(ld.ents), before.Offset)
	}
	if err := st.close(); err != nil {
		t.Fatal(err)
	}

	n = mustStart(t, cfg)
	defer mustClose(t, n)
	if !n.Image().Equal(before) {
		t.Fatal("image after snapshot restart differs")
	}
	checkPopulated(t, n.Image())
}

func TestCrashKeepsAcknowledged(t *testing.T) {
	fsys := fs.NewMem()
	cfg := testConfig(fsys, "/meta")
	cfg.SnapshotEvery = 7
	n := mustStart(t, cfg)
	populate(t, n)
	var created []string
	for i := range 20 {
		name := fmt.Sprintf("c%d", i)
		if _, err := n.CreateTopic(context.Background(), TopicSpec{Name: name, NumPartitions: 1, ReplicationFactor: 1}); err != nil {
			t.Fatal(err)
		}
		created = append(created, name)
	}
	fsys.Crash()
	if err := n.Close(); err != nil {
		t.Logf("Close after crash: %v", err)
	}
	n = mustStart(t, cfg)
	defer mustClose(t, n)
	img := n.Image()
	checkPopulated(t, img)
	for _, name := range created {
		if img.Topic(name) == nil {
			t.Fatalf("acknowledged topic %s lost in crash", name)
		}
	}
}

func TestTornWALTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		tear func(t *testing.T, f fs.File)
	}{
		{"garbage appended", func(t *testing.T, f fs.File) {
			if _, err := f.Write([]byte{0, 0, 0, 40, 1, 2, 3, 4, 5, 6}); err != nil {
				t.Fatal(err)
			}
		}},
		{"last frame cut", func(t *testing.T, f fs.File) {
			size, err := f.Size()
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(size - 3); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fs.NewMem()
			cfg := testConfig(fsys, "/meta")
			n := mustStart(t, cfg)
			populate(t, n)
			mustClose(t, n)
			f, err := fsys.OpenReadWrite("/meta/wal")
			if err != nil {
				t.Fatal(err)
			}
			tc.tear(t, f)
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			n = mustStart(t, cfg)
			defer mustClose(t, n)
			// The torn frame was the last hard state; the entries are intact
			// and the new leader commits them again.
			checkPopulated(t, n.Image())
		})
	}
}

func TestConcurrentProposals(t *testing.T) {
	n := mustStart(t, testConfig(fs.NewMem(), "/meta"))
	defer mustClose(t, n)
	ctx := context.Background()
	if err := n.RegisterBroker(ctx, BrokerRegistration{ID: 1, Host: "h", Port: 1}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 20
	var wg sync.WaitGroup
	firsts := make(chan int64, workers*each)
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				first, err := n.AllocateProducerIDs(ctx, int64(w+1))
				if err != nil {
					errs <- err
					continue
				}
				firsts <- first
				_, err = n.CreateTopic(ctx, TopicSpec{Name: fmt.Sprintf("w%d-%d", w, i), NumPartitions: 1, ReplicationFactor: 1})
				if err != nil {
					errs <- err
				}
				// Every goroutine also races for one shared name.
				if _, err := n.CreateTopic(ctx, TopicSpec{Name: "shared", NumPartitions: 1, ReplicationFactor: 1}); err != nil && !errors.Is(err, ErrTopicExists) {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	close(firsts)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for f := range firsts {
		if seen[f] {
			t.Fatalf("producer id block starting at %d handed out twice", f)
		}
		seen[f] = true
	}
	img := n.Image()
	if len(img.Topics) != workers*each+1 {
		t.Fatalf("%d topics", len(img.Topics))
	}
	var want int64
	for w := range workers {
		want += int64(w+1) * each
	}
	if img.NextProducerID != want {
		t.Fatalf("NextProducerID %d, want %d", img.NextProducerID, want)
	}
}

func TestChangedAndClose(t *testing.T) {
	n := mustStart(t, testConfig(fs.NewMem(), "/meta"))
	ch := n.Changed()
	old := n.Image()
	if err := n.RegisterBroker(context.Background(), BrokerRegistration{ID: 7, Host: "h", Port: 1}); err != nil {
		t.Fatal(err)
	}
	<-ch // closed by the publish of the registration
	if n.Image() == old || n.Image().Brokers[7] == nil {
		t.Fatal("no new image after a change")
	}
	mustClose(t, n)
	mustClose(t, n) // idempotent
	if err := n.DeleteTopic(context.Background(), "x"); !errors.Is(err, ErrNotLeader) && !errors.Is(err, ErrClosed) {
		t.Fatalf("proposal after Close: %v", err)
	}
	if n.IsLeader() {
		t.Fatal("closed node still leader")
	}
}

func TestContextCancelled(t *testing.T) {
	n := mustStart(t, testConfig(fs.NewMem(), "/meta"))
	defer mustClose(t, n)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := n.RegisterBroker(ctx, BrokerRegistration{ID: 1})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled proposal: %v", err)
	}
}

func TestWrongNodeID(t *testing.T) {
	fsys := fs.NewMem()
	cfg := testConfig(fsys, "/meta")
	mustClose(t, mustStart(t, cfg))
	cfg.NodeID = 2
	if _, err := Start(cfg); !errors.Is(err, ErrCorruption) {
		t.Fatalf("Start with another node id: %v, want ErrCorruption", err)
	}
}

func TestStorageErrorStopsDriver(t *testing.T) {
	mem := fs.NewMem()
	ffs := fs.NewFault(mem)
	n := mustStart(t, testConfig(ffs, "/meta"))
	ffs.Inject(fs.Fault{Op: fs.OpSync})
	err := n.RegisterBroker(context.Background(), BrokerRegistration{ID: 1})
	if !errors.Is(err, ErrClosed) || !errors.Is(err, fs.ErrInjected) {
		t.Fatalf("proposal with failing fsync: %v", err)
	}
	if err := n.Close(); !errors.Is(err, fs.ErrInjected) {
		t.Fatalf("Close after fatal error: %v", err)
	}
	ffs.Clear()
	n = mustStart(t, testConfig(ffs, "/meta"))
	defer mustClose(t, n)
}

// TestTornCrashes crashes repeatedly keeping a random part of the unsynced
// bytes; every acknowledged topic must survive every crash.
func TestTornCrashes(t *testing.T) {
	fsys := fs.NewMem()
	cfg := testConfig(fsys, "/meta")
	cfg.SnapshotEvery = 4
	rng := rand.New(rand.NewPCG(1, 2))
	var acked []string
	for round := range 8 {
		n := mustStart(t, cfg)
		if round == 0 {
			if err := n.RegisterBroker(context.Background(), BrokerRegistration{ID: 1, Host: "h", Port: 1}); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range acked {
			if n.Image().Topic(name) == nil {
				t.Fatalf("round %d: acknowledged topic %s lost", round, name)
			}
		}
		for i := range 5 {
			name := fmt.Sprintf("r%d-%d", round, i)
			if _, err := n.CreateTopic(context.Background(), TopicSpec{Name: name, NumPartitions: 1, ReplicationFactor: 1}); err != nil {
				t.Fatal(err)
			}
			acked = append(acked, name)
		}
		fsys.CrashKeepingUnsynced(rng)
		if err := n.Close(); err != nil {
			t.Logf("Close after crash: %v", err)
		}
	}
}
