package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/coordinator/alarm"
	"github.com/gregor-streaming/gregor/internal/coordinator/partowner"
	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// StateTopic is the internal topic holding transaction state.
const StateTopic = "__transaction_state"

// Errors of the coordinator; the handlers map them to Kafka codes.
var (
	// ErrNotCoordinator: this broker does not lead the transactional
	// id's __transaction_state partition.
	ErrNotCoordinator = errors.New("txn: this broker is not the transaction coordinator")
	// ErrPartitionNotHosted: a marker is for a partition that is not
	// open on this broker (the coordinator then resolves its leader
	// again and retries).
	ErrPartitionNotHosted = errors.New("txn: marker for a partition this broker does not host")
	// errNotOpen: the metadata image makes this broker the leader of a
	// __transaction_state partition it has not opened yet.
	errNotOpen = fmt.Errorf("%w: partition led here not open yet", ErrNotCoordinator)
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
	// GroupMarker is called after a marker is durable in a
	// __consumer_offsets partition, so the group coordinator applies
	// (commit) or drops (abort) the producer's pending offsets.
	GroupMarker func(part int32, producerID int64, commit bool)
	// RetryInterval is how often the background loop loads partitions,
	// retries unfinished markers and expires idle transactional ids
	// (Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms,
	// 10 s). Transaction timeouts fire on their own deadline.
	RetryInterval time.Duration
}

// entry is one transactional id. mu guards m and is held across the
// writes of a transition. Lock order: entry.mu → Coordinator.mu →
// Coordinator.alarm.
type entry struct {
	mu   sync.Mutex
	part int32
	m    Metadata
	gone bool // expired and removed from the map
	// unloaded: its partition was unloaded (failover.go); it refuses
	// writes.
	unloaded bool
}

// Coordinator is the transaction coordinator of one broker. Every method
// is safe for concurrent use.
type Coordinator struct {
	cfg  Config
	log  *slog.Logger
	pids producerIDs
	// sender carries markers to partitions other brokers lead, and
	// produce verifications to other coordinators.
	sender *markerSender
	// verified: transactions verified by another coordinator
	// (verify_remote.go).
	verified verifiedSet

	mu struct {
		sync.Mutex
		txns map[string]*entry
	}
	// owner keeps the loaded __transaction_state partitions and their
	// leader epochs, under mu (internal/coordinator/partowner).
	owner *partowner.Owner[*partition.Partition]
	alarm *alarm.Alarm    // the background goroutine's next deadline
	topic partowner.Topic // __transaction_state, created on first need
	stop  chan struct{}
	wg    sync.WaitGroup
}

// New starts a coordinator and its background goroutine; Close stops it.
func New(cfg Config) *Coordinator {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 10 * time.Second
	}
	c := &Coordinator{cfg: cfg, log: cfg.Logger, alarm: alarm.New(), stop: make(chan struct{})}
	c.pids.alloc = cfg.Meta.AllocateProducerIDs
	c.sender = newMarkerSender(cfg.NodeID, cfg.Meta, cfg.Logger)
	c.mu.txns = map[string]*entry{}
	c.topic = partowner.Topic{Name: StateTopic, Meta: cfg.Meta, Reconcile: cfg.Reconcile, Logger: c.log, Size: func() (int32, int16) {
		b := c.cfg.Broker()
		return b.TransactionStateLogNumPartitions, b.TransactionStateLogReplicationFactor
	}}
	c.owner = partowner.New(partowner.Config[*partition.Partition]{Topic: StateTopic, Mu: &c.mu, Logger: c.log,
		Hosted: c.hosted, Reopen: c.reopen, Load: c.load, Unload: c.unload, // failover.go, load.go
		Led: func() []int32 { return partowner.Led(c.cfg.Meta.Image(), StateTopic, c.cfg.NodeID) }})
	c.wg.Add(1)
	go c.run()
	return c
}

// Close stops the background goroutine and the marker sender (markers
// in flight are abandoned; their transactions stay in a Prepare state
// for the next coordinator to finish).
func (c *Coordinator) Close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.sender.close()
	c.wg.Wait()
}

func (c *Coordinator) now() time.Time { return c.cfg.Now() }

// run is the background goroutine: at start and every RetryInterval it
// loads the partitions this broker leads, finishes transactions whose
// markers are not all written, and expires idle ids; at each
// transaction's deadline it aborts it.
func (c *Coordinator) run() {
	defer c.wg.Done()
	retry := time.NewTicker(c.cfg.RetryInterval)
	defer retry.Stop()
	c.tick()
	for c.wait(retry.C) {
		c.tick()
	}
}

// wait blocks until the next deadline, the retry ticker or a wake-up
// (true), or Close (false).
func (c *Coordinator) wait(retry <-chan time.Time) bool {
	for {
		fire, stopTimer := c.alarm.Timer()
		woken := false
		select {
		case <-c.stop:
		case <-c.alarm.Wake():
			woken = true
		case <-c.owner.Resync():
			// Unload what this broker lost, load what it gained: a
			// transaction a failed coordinator left in a Prepare state
			// is finished at once (load schedules it).
			c.owner.UnloadLost()
			c.owner.LoadLed()
			woken = true
		case <-fire:
		case <-retry:
		}
		stopTimer()
		select {
		case <-c.stop:
			return false
		default:
		}
		if !woken {
			return true
		}
	}
}

// tick does one pass of the background work.
func (c *Coordinator) tick() {
	c.alarm.Clear()
	c.owner.UnloadLost()
	c.owner.LoadLed()
	c.verified.sweep(func(tp TopicPartition) (int32, bool) {
		p := c.cfg.Parts.Get(tp.Topic, tp.Partition)
		if p == nil || !p.Replication().Leads() {
			return 0, false
		}
		return p.LeaderEpoch(), true
	})
	expiration := time.Duration(c.cfg.Broker().TransactionalIDExpirationMs) * time.Millisecond
	for _, e := range c.entries() {
		select {
		case <-c.stop:
			return
		default:
		}
		c.tickEntry(e, expiration)
	}
}

func (c *Coordinator) tickEntry(e *entry, expiration time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gone {
		return
	}
	now := c.now().UnixMilli()
	if n, ok, err := TimedOut(e.m, now, c.newIDFunc(context.Background())); err != nil {
		c.log.Error("aborting a timed-out transaction failed", "transactional_id", e.m.ID, "err", err)
	} else if ok {
		c.log.Info("aborting timed-out transaction", "transactional_id", e.m.ID, "producer_id", e.m.ProducerID,
			"timeout_ms", e.m.TimeoutMs, "partitions", len(e.m.Partitions))
		if err := c.store(context.Background(), e, n); err != nil {
			c.log.Error("writing transaction abort failed", "transactional_id", e.m.ID, "err", err)
		}
	}
	if e.m.State.preparing() {
		if err := c.finish(context.Background(), e, markerRetryRoundTimeout); err != nil {
			c.log.Warn("transaction markers not all written; retrying later", "transactional_id", e.m.ID, "state", e.m.State, "err", err)
			if !errors.Is(err, ErrNotCoordinator) {
				c.alarm.Set(c.now().Add(c.cfg.RetryInterval / 10))
			}
		}
	}
	if Expired(e.m, now, expiration) {
		if err := c.write(e.part, encodeKey(e.m.ID), nil); err != nil {
			c.log.Error("expiring transactional id failed", "transactional_id", e.m.ID, "err", err)
		} else {
			c.remove(e)
		}
	}
	c.alarm.Set(e.m.Deadline())
}

func (c *Coordinator) remove(e *entry) {
	e.gone = true
	c.mu.Lock()
	if c.mu.txns[e.m.ID] == e {
		delete(c.mu.txns, e.m.ID)
	}
	c.mu.Unlock()
}

func (c *Coordinator) entries() []*entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Collect(maps.Values(c.mu.txns))
}

// Coordinator returns the node coordinating transactional id (the leader
// of its __transaction_state partition), creating the topic on first need.
func (c *Coordinator) Coordinator(ctx context.Context, id string) (int32, error) {
	leader, ok, err := c.topic.Coordinator(ctx, func(n int32) int32 { return group.PartitionFor(id, n) })
	if err == nil && !ok {
		err = ErrNotCoordinator
	}
	return leader, err
}

// lookup returns the entry of id (nil if unknown), loading its partition
// first. With create, the state topic is created if missing.
func (c *Coordinator) lookup(ctx context.Context, id string, create bool) (*entry, int32, error) {
	n, err := c.topic.Partitions(ctx, create)
	if err != nil {
		return nil, -1, err
	}
	if n == 0 {
		return nil, -1, ErrNotCoordinator
	}
	part := group.PartitionFor(id, n)
	if err := c.owner.Ensure(part); err != nil {
		return nil, part, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.txns[id], part, nil
}

// hosted returns the __transaction_state partition part if this node
// leads it.
func (c *Coordinator) hosted(part int32) (*partition.Partition, error) {
	p, led := partowner.Hosted(c.cfg.Meta.Image(), c.cfg.Parts, StateTopic, part, c.cfg.NodeID)
	if !led {
		return nil, ErrNotCoordinator
	}
	if p == nil {
		return nil, errNotOpen
	}
	return p, nil
}

// write appends one record to a __transaction_state partition and waits
// until every in-sync replica has it (acks=all, group.AppendReplicated).
func (c *Coordinator) write(part int32, key, value []byte) error {
	p, err := c.hosted(part)
	if err != nil {
		return err
	}
	now := c.now()
	batch, err := record.Build(record.BatchSpec{}, []record.Record{{Timestamp: now.UnixMilli(), Key: key, Value: value}})
	if err != nil {
		return err
	}
	if _, err := group.AppendReplicated(p, batch, now); err != nil {
		if group.LostLeadership(err) {
			return fmt.Errorf("%w: %w", ErrNotCoordinator, err)
		}
		return err
	}
	return nil
}

// store writes n as e's new state and adopts it; then, for a Prepare
// state, writes the markers and the completion (until ctx ends, at most
// markerRoundTimeout). e.mu must be held.
func (c *Coordinator) store(ctx context.Context, e *entry, n Metadata) error {
	if e.unloaded {
		return ErrNotCoordinator
	}
	if err := c.write(e.part, encodeKey(n.ID), encodeValue(n)); err != nil {
		return err
	}
	e.m = n
	c.alarm.Set(n.Deadline())
	if n.State.preparing() {
		return c.finish(ctx, e, markerRoundTimeout)
	}
	return nil
}

// finish writes the markers of a Prepare state to every partition of the
// transaction (retrying until ctx ends, for at most round), then the
// Complete state. On error the state stays Prepare and the background
// loop retries. e.mu must be held.
func (c *Coordinator) finish(ctx context.Context, e *entry, round time.Duration) error {
	if e.unloaded {
		return ErrNotCoordinator
	}
	m := e.m
	p, err := c.hosted(e.part)
	if err != nil {
		return err
	}
	coordEpoch := p.LeaderEpoch()
	// Markers are retried only while this broker coordinates the id in
	// the same leader epoch; a new coordinator resends them.
	still := func() error {
		if p, err := c.hosted(e.part); err != nil || p.LeaderEpoch() != coordEpoch {
			return fmt.Errorf("%w: %s-%d changed leadership while writing markers", ErrNotCoordinator, StateTopic, e.part)
		}
		return nil
	}
	spec := markerSpec{pid: m.ProducerID, epoch: m.ProducerEpoch, coordEpoch: coordEpoch, commit: m.State == PrepareCommit}
	if err := c.writeMarkers(ctx, round, still, m.Partitions, spec); err != nil {
		return err
	}
	done := Complete(m, c.now().UnixMilli())
	if e.unloaded {
		return ErrNotCoordinator
	}
	if err := c.write(e.part, encodeKey(done.ID), encodeValue(done)); err != nil {
		return err
	}
	e.m = done
	return nil
}

// newIDFunc returns a producer id allocator bound to ctx.
func (c *Coordinator) newIDFunc(ctx context.Context) func() (int64, error) {
	return func() (int64, error) { return c.pids.next(ctx) }
}
