package partition

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
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
