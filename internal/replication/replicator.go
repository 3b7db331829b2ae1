package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
)

// Config configures a Replicator.
type Config struct {
	NodeID int32
	Parts  *partition.Manager
	Meta   *metadata.Node
	// LagMax is replica.lag.time.max.ms: the ISR updater checks every
	// LagMax/2.
	LagMax time.Duration
	// MaxWait is the replica fetch's max wait (replica.fetch.wait.max.ms,
	// 500 ms by default).
	MaxWait time.Duration
	Logger  *slog.Logger
}

// Replicator runs the follower fetchers and the ISR updater.
type Replicator struct {
	cfg    Config
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		fetchers map[int32]*fetcher // by leader id
		closed   bool
	}
	// rejected is the last ISR change the quorum refused, per partition
	// (owned by the ISR updater goroutine): the same change is not
	// proposed again for LagMax/2, so a refusal never turns into a loop
	// of proposals at every fetch.
	rejected map[string]rejectedISR
}

type rejectedISR struct {
	change partition.ISRChange
	at     time.Time
}

// New starts the ISR updater; fetchers start with Update.
func New(cfg Config) *Replicator {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LagMax <= 0 {
		cfg.LagMax = 30 * time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 500 * time.Millisecond
	}
	r := &Replicator{cfg: cfg}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.mu.fetchers = map[int32]*fetcher{}
	r.rejected = map[string]rejectedISR{}
	r.wg.Add(1)
	go r.isrLoop()
	return r
}

// followed is one partition a fetcher follows, in one leader epoch.
type followed struct {
	p     *partition.Partition
	epoch int32
}

// Update makes the fetchers match the partitions this broker follows now
// (call it after every metadata reconcile).
func (r *Replicator) Update(img *metadata.Image) {
	want := map[int32]map[partition.TopicPartition]followed{}
	for _, p := range r.cfg.Parts.All() {
		rep := p.Replication()
		if rep.Leads() || rep.Leader < 0 {
			continue
		}
		if want[rep.Leader] == nil {
			want[rep.Leader] = map[partition.TopicPartition]followed{}
		}
		want[rep.Leader][partition.TopicPartition{Topic: p.Topic, Partition: p.Index}] = followed{p, rep.LeaderEpoch}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.closed {
		return
	}
	for leader, f := range r.mu.fetchers {
		addr := leaderAddr(img, leader)
		if w := want[leader]; w != nil && addr == f.addr && maps.Equal(w, f.parts) {
			delete(want, leader)
			continue
		}
		f.stopAndWait()
		delete(r.mu.fetchers, leader)
	}
	for leader, parts := range want {
		addr := leaderAddr(img, leader)
		if addr == "" {
			continue // not registered: the next image may have it
		}
		f := newFetcher(r.cfg, leader, addr, parts)
		r.mu.fetchers[leader] = f
		f.start()
	}
}

func leaderAddr(img *metadata.Image, id int32) string {
	b := img.Brokers[id]
	if b == nil {
		return ""
	}
	return net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
}

// Close stops every fetcher and the ISR updater and waits for them.
func (r *Replicator) Close() {
	r.mu.Lock()
	if r.mu.closed {
		r.mu.Unlock()
		return
	}
	r.mu.closed = true
	for _, f := range r.mu.fetchers {
		f.stopAndWait()
	}
	r.mu.fetchers = nil
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// isrLoop proposes ISR changes: every LagMax/2 (shrinks) and whenever a
// leader signals a caught-up follower (expansions).
func (r *Replicator) isrLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.LagMax / 2)
	defer t.Stop()
	wake := r.cfg.Parts.ISRWake()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		r.proposeISRChanges()
	}
}

// maxISRProposals bounds the ISR changes proposed at the same time (a
// broker cut off from the quorum must not wait for each one in turn).
const maxISRProposals = 32

// proposeISRChanges proposes every wanted ISR change, in parallel, and
// waits for them. Only brokers the image shows alive may join an ISR
// (the controller refuses fenced ones), and a change the quorum refused
// is not proposed again for LagMax/2.
func (r *Replicator) proposeISRChanges() {
	img := r.cfg.Meta.Image()
	eligible := func(id int32) bool { b := img.Brokers[id]; return b.Alive() && !b.ShutDown }
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := map[string]partition.ISRChange{}
	sem := make(chan struct{}, maxISRProposals)
	for _, p := range r.cfg.Parts.All() {
		ch, ok := p.ISRChange(now, eligible)
		if !ok {
			continue
		}
		name := fmt.Sprintf("%s-%d", ch.Topic, ch.Partition)
		if last, ok := r.rejected[name]; ok && sameChange(last.change, ch) && now.Sub(last.at) < r.cfg.LagMax/2 {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := r.proposeISR(p, name, ch); err != nil {
				mu.Lock()
				refused[name] = ch
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// r.rejected belongs to this goroutine: the proposers only fill
	// refused, read here after they all ended.
	for name, last := range r.rejected {
		if now.Sub(last.at) >= r.cfg.LagMax/2 {
			delete(r.rejected, name)
		}
	}
	for name, ch := range refused {
		r.rejected[name] = rejectedISR{change: ch, at: now}
	}
}

// refusedByQuorum reports whether the state machine rejected an ISR
// change (proposing the same change again would be rejected again), as
// opposed to a proposal that was never decided.
func refusedByQuorum(err error) bool {
	return errors.Is(err, metadata.ErrStalePartitionEpoch) || errors.Is(err, metadata.ErrFencedLeaderEpoch) ||
		errors.Is(err, metadata.ErrInvalidISR) || errors.Is(err, metadata.ErrUnknownTopic)
}

func sameChange(a, b partition.ISRChange) bool {
	return a.LeaderEpoch == b.LeaderEpoch && a.PartitionEpoch == b.PartitionEpoch && slices.Equal(a.ISR, b.ISR)
}

// proposeISR proposes one ISR change and installs it once committed. It
// returns the error of a change the quorum refused; a proposal that was
// not decided (no metadata leader, a timeout) returns nil, and the next
// round proposes it again.
func (r *Replicator) proposeISR(p *partition.Partition, name string, ch partition.ISRChange) error {
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	pm, err := r.cfg.Meta.AlterPartition(ctx, ch.Topic, ch.Partition, ch.Leader, ch.LeaderEpoch, ch.PartitionEpoch, ch.ISR)
	if err != nil {
		r.cfg.Logger.Warn("ISR change not committed", "partition", name, "isr", ch.ISR, "err", err)
		if refusedByQuorum(err) {
			return err
		}
		return nil // not decided (no leader, timeout, closing): next round
	}
	r.cfg.Logger.Info("ISR changed", "partition", name, "isr", pm.ISR, "partition_epoch", pm.PartitionEpoch)
	p.ApplyReplication(pm, r.cfg.NodeID, nil, r.cfg.Parts.ISRWake(), time.Now())
	return nil
}
