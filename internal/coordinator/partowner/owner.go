package partowner

import (
	"log/slog"
	"maps"
	"sync"

	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
)

// Replica is the leader replica of a partition of the internal topic, as
// Owner and Replay use it (*partition.Partition is one).
type Replica interface {
	LeaderEpoch() int32
	Offsets() partition.Offsets
	// ReadLocal reads whole batches from offset up to the log end (not
	// only to the high watermark, which a restarted leader starts at its
	// log start until its followers fetch).
	ReadLocal(offset int64, maxBytes int) ([]byte, partition.Offsets, error)
}

// Config is what an Owner needs from its coordinator.
type Config[R Replica] struct {
	// Topic is the internal topic (for logs).
	Topic string
	// Mu is the coordinator's map lock; it also guards the loaded set.
	Mu sync.Locker
	// Hosted returns partition part if this broker leads it, else the
	// coordinator's not-coordinator error.
	Hosted func(part int32) (R, error)
	// Reopen, optional, is asked by Ensure when Hosted fails, without
	// Mu held: it may open the partition (true: ask Hosted again).
	Reopen func(part int32, err error) bool
	// Led lists the partitions of Topic this broker leads in the latest
	// metadata image (LoadLed).
	Led func() []int32
	// Load rebuilds the entries of part from p (with Replay); Mu is
	// held. On error part stays unloaded.
	Load func(part int32, p R) error
	// Unload removes the entries of part, loaded in epoch, from the
	// coordinator's map; Mu is held. The function it returns (nil:
	// none) runs once Mu is released, to mark the removed entries under
	// their own locks.
	Unload func(part, epoch int32) (after func())
	Logger *slog.Logger
}

// Owner keeps which partitions of a coordinator's internal topic are
// loaded, and in which leader epoch. See the package doc for its locks.
type Owner[R Replica] struct {
	cfg Config[R]
	// loaded maps each loaded partition to the leader epoch it was
	// loaded in; guarded by cfg.Mu.
	loaded map[int32]int32
	resync chan struct{}
}

// New returns an Owner with nothing loaded.
func New[R Replica](cfg Config[R]) *Owner[R] {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Owner[R]{cfg: cfg, loaded: map[int32]int32{}, resync: make(chan struct{}, 1)}
}

// Ensure makes the coordinator's view of part follow the partition's
// leadership: it unloads part if it was loaded in another leader epoch
// or is no longer led here, then loads it unless it is loaded. It fails
// with Hosted's error when this broker does not lead part.
func (o *Owner[R]) Ensure(part int32) error {
	p, err := o.cfg.Hosted(part)
	if err != nil && o.cfg.Reopen != nil && o.cfg.Reopen(part, err) {
		p, err = o.cfg.Hosted(part)
	}
	o.cfg.Mu.Lock()
	epoch, ok := o.loaded[part]
	o.cfg.Mu.Unlock()
	if ok && (err != nil || epoch != p.LeaderEpoch()) {
		o.unload(part, epoch)
	}
	if err != nil {
		return err
	}
	return o.load(part)
}

// load loads part once, holding Mu meanwhile, so no request sees a
// half-loaded partition.
func (o *Owner[R]) load(part int32) error {
	o.cfg.Mu.Lock()
	defer o.cfg.Mu.Unlock()
	if _, ok := o.loaded[part]; ok {
		return nil
	}
	p, err := o.cfg.Hosted(part)
	if err != nil {
		return err
	}
	epoch := p.LeaderEpoch()
	if err := o.cfg.Load(part, p); err != nil {
		return err
	}
	o.loaded[part] = epoch
	return nil
}

// unload unloads part if it is still loaded in epoch (two callers
// noticing the same change unload once).
func (o *Owner[R]) unload(part, epoch int32) {
	o.cfg.Mu.Lock()
	if cur, ok := o.loaded[part]; !ok || cur != epoch {
		o.cfg.Mu.Unlock()
		return
	}
	delete(o.loaded, part)
	after := o.cfg.Unload(part, epoch)
	o.cfg.Mu.Unlock()
	if after != nil {
		after()
	}
}

// UnloadLost unloads every loaded partition whose leadership changed.
func (o *Owner[R]) UnloadLost() {
	o.cfg.Mu.Lock()
	loaded := maps.Clone(o.loaded)
	o.cfg.Mu.Unlock()
	for part, epoch := range loaded {
		if p, err := o.cfg.Hosted(part); err != nil || p.LeaderEpoch() != epoch {
			o.unload(part, epoch)
		}
	}
}

// LoadLed ensures every partition this broker leads is loaded; a
// partition that fails to load is logged and left for the next call.
func (o *Owner[R]) LoadLed() {
	for _, part := range o.cfg.Led() {
		if err := o.Ensure(part); err != nil {
			o.cfg.Logger.Error("loading coordinator partition failed", "topic", o.cfg.Topic, "partition", part, "err", err)
		}
	}
}

// LoadedLocked reports whether part is loaded. Mu must be held.
func (o *Owner[R]) LoadedLocked(part int32) bool {
	_, ok := o.loaded[part]
	return ok
}

// LeadershipChanged records that partition leadership may have changed
// (a new metadata image was applied); the coordinator's goroutine,
// woken through Resync, then calls UnloadLost. It never blocks.
func (o *Owner[R]) LeadershipChanged() {
	select {
	case o.resync <- struct{}{}:
	default:
	}
}

// Resync delivers a value after LeadershipChanged (several calls before
// a receive deliver one).
func (o *Owner[R]) Resync() <-chan struct{} { return o.resync }

// Led returns the partitions of topic that node leads in img.
func Led(img *metadata.Image, topic string, node int32) []int32 {
	t := img.Topic(topic)
	if t == nil {
		return nil
	}
	var out []int32
	for _, p := range t.Partitions {
		if p.Leader == node {
			out = append(out, p.Index)
		}
	}
	return out
}

// Hosted returns partition part of topic from parts when img makes node
// its leader; led tells whether it does (p is then nil if the partition
// is not open here yet).
func Hosted(img *metadata.Image, parts *partition.Manager, topic string, part, node int32) (p *partition.Partition, led bool) {
	t := img.Topic(topic)
	if t == nil || part < 0 || int(part) >= len(t.Partitions) || t.Partitions[part].Leader != node {
		return nil, false
	}
	return parts.Get(topic, part), true
}
