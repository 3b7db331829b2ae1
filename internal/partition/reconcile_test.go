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
	done := make(chan error, 1)
	go func() { done <- m.Apply(image(fast, topic("slow", 2, 1, nil)), bc) }()
	<-bfs.entered
	looked := make(chan bool, 1)
	go func() { looked <- m.Get("fast", 0) != nil && m.Get("slow", 0) == nil && len(m.All()) == 1 }()
	select {
	case ok := <-looked:
		if !ok {
			t.Fatal("while slow-0 opens: want fast-0 hosted and slow-0 not yet")
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
