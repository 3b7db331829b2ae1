package group

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/coordinator/alarm"
	"github.com/gregor-streaming/gregor/internal/coordinator/partowner"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
)

// OffsetsTopic is the internal topic holding commits and group metadata.
const OffsetsTopic = "__consumer_offsets"

// Errors of the coordinator; the handlers map them to Kafka codes.
var (
	// ErrNotCoordinator: this broker does not lead the group's
	// __consumer_offsets partition.
	ErrNotCoordinator = errors.New("group: this broker is not the group's coordinator")
	// ErrClosed: the coordinator is shutting down.
	ErrClosed = errors.New("group: coordinator closed")
)

// Config is what a Coordinator needs from the broker.
type Config struct {
	NodeID int32
	Meta   *metadata.Node
	Parts  *partition.Manager
	// Broker returns the effective broker configuration.
	Broker func() *config.Broker
	// Reconcile opens the partitions of a just-created topic.
	Reconcile func() error
	Logger    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxGroupSize overrides group.max.size when positive (tests);
	// 0 uses the broker property (Kafka's default Integer.MAX_VALUE
	// means unlimited).
	MaxGroupSize int
	// RetentionCheckInterval is offsets.retention.check.interval.ms
	// (default 10 minutes).
	RetentionCheckInterval time.Duration
}

// entry is one group with its committed offsets. Its mutex guards every
// field. Lock order: entry.mu → Coordinator.mu → Coordinator.alarm; no
// code locks an entry while holding the Coordinator's mutex.
type entry struct {
	mu   sync.Mutex
	id   string
	part int32
	g    *Classic
	// c is set while the group is a consumer-protocol (KIP-848) group;
	// g is then an empty classic group that is not used.
	c *Consumer
	// cgStored is the consumer group's records as last written
	// (consumer_store.go).
	cgStored consumerImage
	offsets  map[string]map[int32]Offset
	joins    map[Waiter]chan JoinResponse
	syncs    map[Waiter]chan SyncResponse
	// gone is set when the entry's partition was unloaded (failover.go):
	// it refuses writes.
	gone bool
}

// Coordinator is the group coordinator of one broker: it owns the groups
// of the __consumer_offsets partitions this broker leads, drives their
// state machines (one timer goroutine for session and rebalance
// timeouts, and offset expiry) and persists commits and group metadata.
// Every method is safe for concurrent use.
type Coordinator struct {
	cfg     Config
	log     *slog.Logger
	waiters atomic.Uint64

	mu struct {
		sync.Mutex
		groups map[string]*entry
	}
	// owner keeps the loaded __consumer_offsets partitions and their
	// leader epochs, under mu (internal/coordinator/partowner).
	owner *partowner.Owner[*partition.Partition]
	alarm *alarm.Alarm // the timer goroutine's next deadline
	// snap caches the topics of the latest metadata image for
	// consumer groups' subscriptions.
	snap struct {
		sync.Mutex
		cur     *TopicSnapshot
		offset  uint64
		version uint64
	}
	topic partowner.Topic // __consumer_offsets, created on first need
	txn   pendingTxns     // transactional offsets awaiting their marker (txn_offsets.go)
	stop  chan struct{}
	wg    sync.WaitGroup
}

// New starts a coordinator; Close stops its goroutine.
func New(cfg Config) *Coordinator {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetentionCheckInterval <= 0 {
		cfg.RetentionCheckInterval = 10 * time.Minute
	}
	c := &Coordinator{cfg: cfg, log: cfg.Logger, alarm: alarm.New(), stop: make(chan struct{})}
	c.mu.groups = map[string]*entry{}
	c.topic = partowner.Topic{Name: OffsetsTopic, Meta: cfg.Meta, Reconcile: cfg.Reconcile, Logger: c.log, Size: func() (int32, int16) {
		b := c.cfg.Broker()
		return b.OffsetsTopicNumPartitions, b.OffsetsTopicReplicationFactor
	}}
	c.owner = partowner.New(partowner.Config[*partition.Partition]{Topic: OffsetsTopic, Mu: &c.mu, Logger: c.log,
		Hosted: c.hosted, Load: c.load, Unload: c.unload, // failover.go, store.go
		Led: func() []int32 { return partowner.Led(c.cfg.Meta.Image(), OffsetsTopic, c.cfg.NodeID) }})
	c.wg.Add(1)
	go c.run()
	return c
}

// Close stops the timer goroutine. Deferred responses still waiting are
// abandoned (their connections are closing too).
func (c *Coordinator) Close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.wg.Wait()
}

func (c *Coordinator) now() time.Time { return c.cfg.Now() }

func (c *Coordinator) limits() Limits {
	b := c.cfg.Broker()
	return Limits{
		MinSessionTimeout: time.Duration(b.GroupMinSessionTimeoutMs) * time.Millisecond,
		MaxSessionTimeout: time.Duration(b.GroupMaxSessionTimeoutMs) * time.Millisecond,
		InitialDelay:      time.Duration(b.GroupInitialRebalanceDelayMs) * time.Millisecond,
		MaxSize:           c.maxGroupSize(b),
	}
}

// maxGroupSize is Config.MaxGroupSize when set, else group.max.size
// (0 = unlimited).
func (c *Coordinator) maxGroupSize(b *config.Broker) int {
	if c.cfg.MaxGroupSize > 0 {
		return c.cfg.MaxGroupSize
	}
	if b.GroupMaxSize <= 0 || b.GroupMaxSize == math.MaxInt32 {
		return 0
	}
	return int(b.GroupMaxSize)
}

// run is the timer goroutine: it ticks groups whose deadline passed and
// expires old offsets.
func (c *Coordinator) run() {
	defer c.wg.Done()
	retention := time.NewTicker(c.cfg.RetentionCheckInterval)
	defer retention.Stop()
	for c.step(retention.C) {
	}
}

// step waits for the next deadline, a wake-up, the retention ticker or
// Close; it returns false on Close.
func (c *Coordinator) step(retention <-chan time.Time) bool {
	fire, stopTimer := c.alarm.Timer()
	defer stopTimer()
	select {
	case <-c.stop:
		return false
	case <-c.alarm.Wake():
	case <-c.owner.Resync():
		c.owner.UnloadLost()
	case <-fire:
		c.tickAll()
	case <-retention:
		c.ExpireOffsets()
	}
	return true
}

func (c *Coordinator) tickAll() {
	c.alarm.Clear()
	for _, e := range c.entries() {
		e.mu.Lock()
		now := c.now()
		if dl := e.g.NextDeadline(); !dl.IsZero() && !dl.After(now) {
			c.apply(e, e.g.Tick(now))
		}
		c.alarm.Set(e.g.NextDeadline())
		if e.c != nil {
			if dl := e.c.NextDeadline(); !dl.IsZero() && !dl.After(now) {
				c.tickConsumer(e, now)
			}
			c.alarm.Set(e.c.NextDeadline())
		}
		e.mu.Unlock()
	}
}

func (c *Coordinator) entries() []*entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Collect(maps.Values(c.mu.groups))
}

// Coordinator returns the node that coordinates group (the leader of its
// __consumer_offsets partition), creating the topic on first need.
func (c *Coordinator) Coordinator(ctx context.Context, group string) (int32, error) {
	leader, ok, err := c.topic.Coordinator(ctx, func(n int32) int32 { return PartitionFor(group, n) })
	if err == nil && !ok {
		err = ErrNotCoordinator
	}
	return leader, err
}

// lookup returns the entry of group, loading its partition first; with
// create, a missing group is created empty. It fails with
// ErrNotCoordinator when another broker (or nobody) leads the partition.
func (c *Coordinator) lookup(ctx context.Context, group string, create bool) (*entry, error) {
	n, err := c.topic.Partitions(ctx, true)
	if err != nil {
		return nil, err
	}
	part := PartitionFor(group, n)
	if err := c.owner.Ensure(part); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.mu.groups[group]
	if e == nil && create {
		e = newEntry(group, part, NewClassic(group, c.limits(), c.now()))
		c.mu.groups[group] = e
	}
	return e, nil
}

func newEntry(id string, part int32, g *Classic) *entry {
	return &entry{id: id, part: part, g: g, offsets: map[string]map[int32]Offset{},
		joins: map[Waiter]chan JoinResponse{}, syncs: map[Waiter]chan SyncResponse{}}
}

// hosted returns the __consumer_offsets partition part if this node leads
// it.
func (c *Coordinator) hosted(part int32) (*partition.Partition, error) {
	p, _ := partowner.Hosted(c.cfg.Meta.Image(), c.cfg.Parts, OffsetsTopic, part, c.cfg.NodeID)
	if p == nil {
		return nil, ErrNotCoordinator
	}
	return p, nil
}

// apply carries out a state machine's output: store the group if asked,
// then deliver deferred responses. A failed store turns the responses
// into COORDINATOR_NOT_AVAILABLE and rebalances the group, as Kafka does.
// e.mu must be held.
func (c *Coordinator) apply(e *entry, out Output) bool {
	ok := true
	if out.Store {
		if err := c.storeGroup(e); err != nil {
			c.log.Error("storing group metadata failed", "group", e.id, "err", err)
			ok = false
			for i := range out.Joins {
				out.Joins[i].Resp = *errJoin(kerr.CoordinatorNotAvailable, out.Joins[i].Resp.MemberID)
			}
			for i := range out.Syncs {
				out.Syncs[i].Resp = SyncResponse{Err: kerr.CoordinatorNotAvailable.Code}
			}
			more := e.g.Rebalance(c.now())
			more.Store = false
			defer c.apply(e, more)
		}
	}
	for _, j := range out.Joins {
		if ch := e.joins[j.Waiter]; ch != nil {
			ch <- j.Resp
			delete(e.joins, j.Waiter)
		}
	}
	for _, s := range out.Syncs {
		if ch := e.syncs[s.Waiter]; ch != nil {
			ch <- s.Resp
			delete(e.syncs, s.Waiter)
		}
	}
	c.alarm.Set(e.g.NextDeadline())
	return ok
}

// newMemberID returns clientID-<random uuid>, as Kafka names members.
func newMemberID(clientID string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("group: crypto/rand failed: " + err.Error())
	}
	s := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s-%s", clientID, s[0:8], s[8:12], s[12:16], s[16:20], s[20:])
}
