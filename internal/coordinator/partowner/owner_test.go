package partowner

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

var errNotLed = errors.New("not led here")

// memReplica is a leader replica whose log is a list of batches held in
// memory.
type memReplica struct {
	epoch   int32
	batches [][]byte
	readErr error
}

func (r *memReplica) LeaderEpoch() int32 { return r.epoch }

func (r *memReplica) end() int64 {
	if len(r.batches) == 0 {
		return 0
	}
	h, _ := record.ParseHeader(r.batches[len(r.batches)-1])
	return h.LastOffset() + 1
}

func (r *memReplica) Offsets() partition.Offsets {
	e := r.end()
	// A restarted leader: its high watermark is still at the log start
	// while everything it holds is replayed.
	return partition.Offsets{HighWatermark: 0, LogEnd: e, LastStable: 0}
}

// ReadLocal returns whole batches from the one holding offset, at least
// one, then up to maxBytes, as the log does.
func (r *memReplica) ReadLocal(offset int64, maxBytes int) ([]byte, partition.Offsets, error) {
	if r.readErr != nil {
		return nil, r.Offsets(), r.readErr
	}
	var out []byte
	for _, b := range r.batches {
		h, _ := record.ParseHeader(b)
		if h.LastOffset() < offset {
			continue
		}
		if len(out) > 0 && len(out)+len(b) > maxBytes {
			break
		}
		out = append(out, b...)
	}
	return out, r.Offsets(), nil
}

// appendBatch appends a batch of values at the replica's log end.
func (r *memReplica) appendBatch(t *testing.T, values ...string) {
	t.Helper()
	recs := make([]record.Record, len(values))
	for i, v := range values {
		recs[i] = record.Record{Key: []byte(v), Value: []byte(v)}
	}
	b, err := record.Build(record.BatchSpec{BaseOffset: r.end()}, recs)
	if err != nil {
		t.Fatal(err)
	}
	r.batches = append(r.batches, b)
}

// coord is a toy coordinator: its entries are the values replayed from
// each partition, guarded by mu.
type coord struct {
	mu      sync.Mutex
	leaders map[int32]*memReplica // partitions led here
	entries map[int32][]string
	loads   int
	unloads []string
	marked  []string // set by Unload's after function, without mu
	owner   *Owner[*memReplica]
}

func newCoord() *coord {
	c := &coord{leaders: map[int32]*memReplica{}, entries: map[int32][]string{}}
	c.owner = New(Config[*memReplica]{
		Topic: "__test",
		Mu:    &c.mu,
		Hosted: func(part int32) (*memReplica, error) {
			if r := c.leaders[part]; r != nil {
				return r, nil
			}
			return nil, errNotLed
		},
		Led: func() []int32 {
			var out []int32
			for p := range c.leaders {
				out = append(out, p)
			}
			slices.Sort(out)
			return out
		},
		Load: func(part int32, p *memReplica) error {
			var vals []string
			err := Replay("__test", part, p, func(h *record.Header, b []byte) error {
				recs, err := record.Records(b)
				for _, r := range recs {
					vals = append(vals, string(r.Value))
				}
				return err
			})
			if err != nil {
				return err
			}
			c.loads++
			c.entries[part] = vals
			return nil
		},
		Unload: func(part, epoch int32) func() {
			c.unloads = append(c.unloads, fmt.Sprintf("%d@%d", part, epoch))
			gone := c.entries[part]
			delete(c.entries, part)
			return func() {
				if c.mu.TryLock() {
					defer c.mu.Unlock()
				} else {
					panic("Unload's after function ran with Mu held")
				}
				c.marked = append(c.marked, gone...)
			}
		},
	})
	return c
}

func TestEnsureLoadsOnceAndFollowsEpochs(t *testing.T) {
	c := newCoord()
	r := &memReplica{epoch: 1}
	r.appendBatch(t, "a", "b")
	r.appendBatch(t, "c")
	c.leaders[0] = r

	if err := c.owner.Ensure(1); !errors.Is(err, errNotLed) {
		t.Fatalf("Ensure of a partition led elsewhere = %v, want errNotLed", err)
	}
	for range 2 {
		if err := c.owner.Ensure(0); err != nil {
			t.Fatal(err)
		}
	}
	if c.loads != 1 || !slices.Equal(c.entries[0], []string{"a", "b", "c"}) {
		t.Fatalf("after two Ensure: loads %d, entries %v", c.loads, c.entries[0])
	}
	c.mu.Lock()
	loaded := c.owner.LoadedLocked(0)
	c.mu.Unlock()
	if !loaded {
		t.Fatal("partition 0 not marked loaded")
	}

	// A new leader epoch: unload, then replay what is there now.
	r.appendBatch(t, "d")
	r.epoch = 2
	if err := c.owner.Ensure(0); err != nil {
		t.Fatal(err)
	}
	if c.loads != 2 || !slices.Equal(c.unloads, []string{"0@1"}) || !slices.Equal(c.entries[0], []string{"a", "b", "c", "d"}) {
		t.Fatalf("after epoch change: loads %d, unloads %v, entries %v", c.loads, c.unloads, c.entries[0])
	}
	if !slices.Equal(c.marked, []string{"a", "b", "c"}) {
		t.Fatalf("marked %v", c.marked)
	}

	// Leadership lost: Ensure unloads and reports the Hosted error.
	delete(c.leaders, 0)
	if err := c.owner.Ensure(0); !errors.Is(err, errNotLed) {
		t.Fatalf("Ensure after losing leadership = %v", err)
	}
	if !slices.Equal(c.unloads, []string{"0@1", "0@2"}) || c.entries[0] != nil {
		t.Fatalf("unloads %v, entries %v", c.unloads, c.entries)
	}
}

func TestUnloadLostAndLoadLed(t *testing.T) {
	c := newCoord()
	for p := range int32(3) {
		r := &memReplica{epoch: 5}
		r.appendBatch(t, fmt.Sprint(p))
		c.leaders[p] = r
	}
	c.owner.LoadLed()
	if c.loads != 3 {
		t.Fatalf("LoadLed loaded %d partitions, want 3", c.loads)
	}
	c.owner.LeadershipChanged()
	c.owner.LeadershipChanged() // never blocks
	<-c.owner.Resync()
	delete(c.leaders, 1)
	c.leaders[2].epoch = 6
	c.owner.UnloadLost()
	slices.Sort(c.unloads)
	if !slices.Equal(c.unloads, []string{"1@5", "2@5"}) {
		t.Fatalf("UnloadLost unloaded %v", c.unloads)
	}
	// A second pass finds nothing more to unload.
	c.owner.UnloadLost()
	if len(c.unloads) != 2 {
		t.Fatalf("second UnloadLost unloaded %v", c.unloads)
	}
	c.owner.LoadLed()
	if c.loads != 4 || !slices.Equal(c.entries[2], []string{"2"}) {
		t.Fatalf("reload: loads %d, entries %v", c.loads, c.entries)
	}
}

func TestReopen(t *testing.T) {
	c := newCoord()
	r := &memReplica{epoch: 1}
	calls := 0
	c.owner.cfg.Reopen = func(part int32, err error) bool {
		calls++
		c.leaders[part] = r // opening the partition makes it hosted
		return errors.Is(err, errNotLed)
	}
	if err := c.owner.Ensure(0); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || c.loads != 1 {
		t.Fatalf("Reopen calls %d, loads %d", calls, c.loads)
	}
}

func TestLoadFailureLeavesPartitionUnloaded(t *testing.T) {
	c := newCoord()
	boom := errors.New("disk on fire")
	r := &memReplica{epoch: 1, readErr: boom}
	r.appendBatch(t, "a")
	c.leaders[0] = r
	err := c.owner.Ensure(0)
	if !errors.Is(err, boom) {
		t.Fatalf("Ensure = %v, want the read error", err)
	}
	c.mu.Lock()
	loaded := c.owner.LoadedLocked(0)
	c.mu.Unlock()
	if loaded {
		t.Fatal("a failed load left the partition marked loaded")
	}
	r.readErr = nil
	if err := c.owner.Ensure(0); err != nil || c.loads != 1 {
		t.Fatalf("retry: %v, loads %d", err, c.loads)
	}
}

func TestReplayReadsInChunksAndWrapsErrors(t *testing.T) {
	r := &memReplica{}
	big := string(make([]byte, ReadChunk/2+1))
	r.appendBatch(t, big)
	r.appendBatch(t, big)
	r.appendBatch(t, "x", "y")
	var bases []int64
	err := Replay("__test", 7, r, func(h *record.Header, b []byte) error {
		bases = append(bases, h.BaseOffset)
		return nil
	})
	if err != nil || !slices.Equal(bases, []int64{0, 1, 2}) {
		t.Fatalf("Replay: %v, batches at %v", err, bases)
	}
	bad := errors.New("bad record")
	err = Replay("__test", 7, r, func(h *record.Header, b []byte) error {
		if h.BaseOffset == 2 {
			return bad
		}
		return nil
	})
	if !errors.Is(err, bad) || err.Error() != "replay __test-7 at offset 2: bad record" {
		t.Fatalf("Replay error = %v", err)
	}
	if err := Replay("__test", 7, &memReplica{}, nil); err != nil {
		t.Fatalf("Replay of an empty log: %v", err)
	}
}
