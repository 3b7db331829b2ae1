package partition

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/log"
)

// blockingFS holds MkdirAll of a directory containing block until
// release is closed, signalling entered when it starts waiting.
type blockingFS struct {
	fs.FS
	block   string
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (b *blockingFS) MkdirAll(dir string) error {
	if strings.Contains(dir, b.block) {
		b.once.Do(func() { close(b.entered) })
		<-b.release
	}
	return b.FS.MkdirAll(dir)
}

// Opening a partition (log recovery, slow on a big log) does not hold the
// manager's lock: lookups of the other partitions go on meanwhile.
func TestApplyOpensWithoutBlockingLookups(t *testing.T) {
	bfs := &blockingFS{FS: fs.NewMem(), block: "slow-0", entered: make(chan struct{}), release: make(chan struct{})}
	m := NewManager(bfs, "/data", 1, quiet)
	defer m.Close()
	bc := brokerConfig(t, map[string]string{})
	fast := topic("fast", 1, 1, nil)
	if err := m.Apply(image(fast), bc); err != nil {
		t.Fatal(err)
	}
	// The same image moves fast-0's leadership to broker 2: that takes
	// effect before slow-0's (slow) open, so the deposed leader takes no
	// write meanwhile.
	moved := topic("fast", 1, 1, nil)
	moved.Partitions[0].Replicas, moved.Partitions[0].ISR = []int32{1, 2}, []int32{1, 2}
	moved.Partitions[0].Leader, moved.Partitions[0].LeaderEpoch, moved.Partitions[0].PartitionEpoch = 2, 1, 1
	done := make(chan error, 1)
	go func() { done <- m.Apply(image(moved, topic("slow", 2, 1, nil)), bc) }()
	<-bfs.entered
	looked := make(chan error, 1)
	go func() {
		fast := m.Get("fast", 0)
		switch {
		case fast == nil || m.Get("slow", 0) != nil || len(m.All()) != 1:
			looked <- errors.New("want fast-0 hosted and slow-0 not yet")
		case !errors.Is(fast.CheckProduce(1), ErrNotLeader):
			looked <- errors.New("fast-0 still takes writes after its leadership moved")
		default:
			looked <- nil
		}
	}()
	select {
	case err := <-looked:
		if err != nil {
			t.Fatalf("while slow-0 opens: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Get blocked while another partition was being opened")
	}
	close(bfs.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m.Get("slow", 0) == nil {
		t.Fatal("slow-0 not hosted after Apply returned")
	}
	// Deleting a topic takes it out of the map before its files go.
	if err := m.Apply(image(topic("slow", 2, 1, nil)), bc); err != nil {
		t.Fatal(err)
	}
	if m.Get("fast", 0) != nil {
		t.Fatal("fast-0 still hosted after its topic left the image")
	}
}

// A partition whose metadata state is not applied yet is nobody's
// leader: it refuses writes (a restarted broker once acknowledged writes
// as a "lone replica" in the moment between opening a log and applying
// its state, and lost them when the state said follower).
func TestPartitionWithoutStateRefusesProduce(t *testing.T) {
	cfg := brokerConfig(t, map[string]string{}).TopicConfig(nil)
	l, err := log.Open(fs.NewMem(), "/data/t-0", LogConfig(cfg), log.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	p := newPartition("t", 0, l, [16]byte{1}, 0, cfg)
	defer p.close()
	for _, acks := range []int16{-1, 1} {
		if err := p.CheckProduce(acks); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("acks=%d before any state: %v, want ErrNotLeader", acks, err)
		}
	}
	if err := p.WaitReplicated(t.Context(), 0, 0); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("WaitReplicated before any state: %v, want ErrNotLeader", err)
	}
}

// A deleted partition stays led by nobody: a late AlterPartition answer
// (the ISR updater installs it directly) does not make it a leader again.
func TestDeletedPartitionIgnoresLateState(t *testing.T) {
	m := NewManager(fs.NewMem(), "/data", 1, quiet)
	defer m.Close()
	bc := brokerConfig(t, map[string]string{})
	top := topic("t", 1, 1, nil)
	if err := m.Apply(image(top), bc); err != nil {
		t.Fatal(err)
	}
	p := m.Get("t", 0)
	if err := m.Apply(image(), bc); err != nil {
		t.Fatal(err)
	}
	late := top.Partitions[0]
	late.PartitionEpoch++
	p.ApplyReplication(late, 1, nil, m.ISRWake(), time.Now())
	if err := p.CheckProduce(1); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deleted partition after a late state: %v, want ErrNotLeader", err)
	}
}
