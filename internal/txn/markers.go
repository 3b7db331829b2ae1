package txn

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// Markers: ending a transaction writes a COMMIT or ABORT control batch to
// every partition of the transaction, each replicated to the partition's
// in-sync replicas (acks=all) before it counts. writeMarkers resolves
// each partition's leader from the latest metadata image: a partition this
// broker leads is written directly (WriteMarker), the others go to their
// leaders as WriteTxnMarkers requests (marker_sender.go). Partitions that
// fail with a retriable error (leader moved, no leader, ISR too small, a
// timeout, a broken connection) are routed again, with their leaders
// re-resolved, after a back-off; a partition of a deleted topic is
// dropped. Until every marker is acknowledged the transaction stays in its
// Prepare state.

const (
	// maxParallelMarkers bounds the local marker writes of one
	// transaction in flight at once.
	maxParallelMarkers = 16
	// markerReplicationTimeout bounds a marker's wait for the in-sync
	// replicas (the WriteTxnMarkers handler's and the local path's).
	markerReplicationTimeout = 10 * time.Second
	// markerRoundTimeout bounds how long one attempt to finish a
	// transaction keeps retrying; after it the transaction stays in its
	// Prepare state and the background loop tries again.
	markerRoundTimeout = 15 * time.Second
	// markerRetryRoundTimeout is the same for the background loop's
	// retries (shorter: the loop serves every transaction in turn).
	markerRetryRoundTimeout = 2 * time.Second
	markerMinBackoff        = 50 * time.Millisecond
	markerMaxBackoff        = time.Second
)

var (
	// errNoLeader: the partition has no leader right now.
	errNoLeader = errors.New("txn: partition has no leader")
	// errMarkerRefused: a destination refused a marker with a
	// non-retriable error; the transaction stays in its Prepare state.
	errMarkerRefused = errors.New("txn: marker refused")
)

// markerOutcome is the result of one partition's marker in one round:
// done, retry (err retriable) or fatal.
type markerOutcome struct {
	tp    TopicPartition
	err   error
	fatal bool
}

// writeMarkers writes a COMMIT or ABORT marker to every partition in tps
// and returns once every one is replicated (or dropped because its topic
// was deleted). still is checked between rounds: when it fails (this
// broker stopped coordinating the transaction) writeMarkers stops with its
// error. It gives up when ctx ends (a request's connection closed), after
// round, when the coordinator closes, or on a non-retriable error.
func (c *Coordinator) writeMarkers(ctx context.Context, round time.Duration, still func() error, tps []TopicPartition, spec markerSpec) error {
	ctx, cancel := context.WithTimeout(ctx, round)
	defer cancel()
	stop := context.AfterFunc(c.sender.ctx, cancel)
	defer stop()
	pending := tps
	backoff := markerMinBackoff
	for {
		var retry []TopicPartition
		var errs []error
		for _, o := range c.markerRound(ctx, pending, spec) {
			if o.err == nil {
				continue
			}
			if o.fatal {
				return fmt.Errorf("%s-%d: %w", o.tp.Topic, o.tp.Partition, o.err)
			}
			retry = append(retry, o.tp)
			errs = append(errs, fmt.Errorf("%s-%d: %w", o.tp.Topic, o.tp.Partition, o.err))
		}
		if len(retry) == 0 {
			return nil
		}
		if err := still(); err != nil {
			return err
		}
		c.log.Debug("retrying transaction markers", "producer_id", spec.pid, "partitions", len(retry), "err", errors.Join(errs...))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("markers not all written: %w", errors.Join(errs...))
		case <-t.C:
		}
		pending, backoff = retry, min(2*backoff, markerMaxBackoff)
	}
}

// markerRound routes each pending partition by its current leader and
// writes its marker once: locally or through the sender, in parallel.
func (c *Coordinator) markerRound(ctx context.Context, pending []TopicPartition, spec markerSpec) []markerOutcome {
	img := c.cfg.Meta.Image()
	var (
		out    []markerOutcome
		local  []TopicPartition
		remote = map[int32][]TopicPartition{}
	)
	for _, tp := range pending {
		t := img.Topic(tp.Topic)
		switch {
		case t == nil || int(tp.Partition) >= len(t.Partitions) || tp.Partition < 0:
			c.log.Info("skipping marker for a deleted partition", "topic", tp.Topic, "partition", tp.Partition, "producer_id", spec.pid)
		case t.Partitions[tp.Partition].Leader < 0:
			out = append(out, markerOutcome{tp: tp, err: errNoLeader})
		case t.Partitions[tp.Partition].Leader == c.cfg.NodeID:
			local = append(local, tp)
		default:
			l := t.Partitions[tp.Partition].Leader
			remote[l] = append(remote[l], tp)
		}
	}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	add := func(os ...markerOutcome) {
		mu.Lock()
		out = append(out, os...)
		mu.Unlock()
	}
	sem := make(chan struct{}, maxParallelMarkers)
	for _, tp := range local {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := c.WriteMarker(ctx, tp, spec.pid, spec.epoch, spec.coordEpoch, spec.commit)
			add(markerOutcome{tp: tp, err: err, fatal: err != nil && !retriableLocal(err)})
		})
	}
	for dest, tps := range remote {
		wg.Go(func() {
			s := spec
			s.tps = tps
			add(c.remoteOutcomes(dest, tps, c.sender.send(ctx, dest, s))...)
		})
	}
	wg.Wait()
	return out
}

// remoteOutcomes classifies a destination's answer per partition
// (classifyMarkerCode); a failed request retries every partition.
func (c *Coordinator) remoteOutcomes(dest int32, tps []TopicPartition, r markerReply) []markerOutcome {
	out := make([]markerOutcome, 0, len(tps))
	for _, tp := range tps {
		if r.err != nil {
			out = append(out, markerOutcome{tp: tp, err: r.err})
			continue
		}
		code, ok := r.codes[tp]
		if !ok {
			out = append(out, markerOutcome{tp: tp, err: fmt.Errorf("%w: broker %d did not answer the partition", errBadMarkerResponse, dest)})
			continue
		}
		gone := func() bool {
			t := c.cfg.Meta.Image().Topic(tp.Topic)
			return t == nil || int(tp.Partition) >= len(t.Partitions)
		}
		o := classifyMarkerCode(tp, code, gone)
		switch {
		case o.err == nil && code != 0:
			c.log.Warn("dropping marker", "topic", tp.Topic, "partition", tp.Partition, "broker", dest, "producer_id", r.pid, "err", kerr.ErrorForCode(code))
		case o.fatal:
			o.err = fmt.Errorf("broker %d: %w", dest, o.err)
		}
		out = append(out, o)
	}
	return out
}

// classifyMarkerCode is Kafka's coordinator's reading of a partition's
// WriteTxnMarkers error code: success is done; UNKNOWN_TOPIC_OR_PARTITION
// is dropped (done) if the topic is gone from the coordinator's metadata,
// else retried; UNSUPPORTED_FOR_MESSAGE_FORMAT is dropped; retriable
// codes (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS[_AFTER_APPEND],
// REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR, ...) are retried; anything else
// is fatal (errMarkerRefused).
func classifyMarkerCode(tp TopicPartition, code int16, gone func() bool) markerOutcome {
	err := kerr.ErrorForCode(code)
	switch {
	case err == nil:
		return markerOutcome{tp: tp}
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		if gone() {
			return markerOutcome{tp: tp}
		}
		return markerOutcome{tp: tp, err: err}
	case errors.Is(err, kerr.UnsupportedForMessageFormat):
		return markerOutcome{tp: tp}
	case kerr.IsRetriable(err):
		return markerOutcome{tp: tp, err: err}
	default:
		return markerOutcome{tp: tp, err: fmt.Errorf("%w: %w", errMarkerRefused, err), fatal: true}
	}
}

// retriableLocal reports whether a local marker write may succeed when
// tried again (after leaders are re-resolved).
func retriableLocal(err error) bool {
	for _, e := range []error{
		ErrPartitionNotHosted, partition.ErrNotLeader, partition.ErrClosed, partition.ErrNotReplica,
		partition.ErrNotEnoughReplicas, partition.ErrNotEnoughReplicasAfterAppend, partition.ErrReplicationTimeout,
		log.ErrFailed, log.ErrClosed, context.DeadlineExceeded, context.Canceled,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// AppendedMarker is a marker appended to a partition this broker leads,
// not yet known to be replicated (AwaitMarker).
type AppendedMarker struct {
	p      *partition.Partition
	tp     TopicPartition
	pid    int64
	commit bool
	upTo   int64 // the marker's offset + 1
	epoch  int32 // the leader epoch it was appended in
}

// AppendMarker appends a COMMIT or ABORT control batch for producer
// pid/epoch to a partition this broker leads and makes it durable
// locally. Errors: ErrPartitionNotHosted (the partition is not open
// here), partition.ErrNotLeader, partition.ErrNotEnoughReplicas (the ISR
// is below min.insync.replicas: nothing written, as an acks=all produce),
// log.ErrInvalidProducerEpoch (the partition has a newer epoch of the
// producer), the log's errors.
func (c *Coordinator) AppendMarker(tp TopicPartition, pid int64, epoch int16, coordEpoch int32, commit bool) (*AppendedMarker, error) {
	p := c.cfg.Parts.Get(tp.Topic, tp.Partition)
	if p == nil {
		return nil, ErrPartitionNotHosted
	}
	if err := p.CheckProduce(-1); err != nil {
		return nil, err
	}
	now := c.now()
	batch, err := record.Build(record.BatchSpec{
		Transactional: true, Control: true, Idempotent: true,
		ProducerID: pid, ProducerEpoch: epoch, BaseSequence: -1,
	}, []record.Record{record.EndTxnMarker(commit, coordEpoch, now.UnixMilli())})
	if err != nil {
		return nil, err
	}
	res, err := p.Append(batch, now)
	if err != nil {
		return nil, err
	}
	// The producer's transaction in tp ended: its next one is verified
	// again.
	c.verified.forget(verifyKey{tp, pid})
	if err := p.WaitDurable(res.LastOffset + 1); err != nil {
		return nil, err
	}
	m := &AppendedMarker{p: p, tp: tp, pid: pid, commit: commit, upTo: res.LastOffset + 1, epoch: p.LeaderEpoch()}
	// Append stamped the leader epoch in the batch; wait in that epoch.
	if h, err := record.ParseHeader(batch); err == nil && h.PartitionLeaderEpoch >= 0 {
		m.epoch = h.PartitionLeaderEpoch
	}
	return m, nil
}

// AwaitMarker waits until the marker is below the partition's high
// watermark (every in-sync replica has it: acks=all, the same wait as
// Produce's) while this broker still leads in the epoch it was appended
// in, at most markerReplicationTimeout. A marker in a __consumer_offsets
// partition then applies or drops the producer's pending offsets
// (Config.GroupMarker). Errors: partition.ErrNotLeader,
// partition.ErrNotEnoughReplicasAfterAppend, partition.ErrReplicationTimeout.
func (c *Coordinator) AwaitMarker(ctx context.Context, m *AppendedMarker) error {
	ctx, cancel := context.WithTimeout(ctx, markerReplicationTimeout)
	defer cancel()
	if err := m.p.WaitReplicated(ctx, m.upTo, m.epoch); err != nil {
		return fmt.Errorf("marker in %s-%d up to offset %d: %w", m.tp.Topic, m.tp.Partition, m.upTo, err)
	}
	if m.tp.Topic == group.OffsetsTopic && c.cfg.GroupMarker != nil {
		c.cfg.GroupMarker(m.tp.Partition, m.pid, m.commit)
	}
	return nil
}

// WriteMarker is AppendMarker then AwaitMarker: it returns once the
// marker is replicated.
func (c *Coordinator) WriteMarker(ctx context.Context, tp TopicPartition, pid int64, epoch int16, coordEpoch int32, commit bool) error {
	m, err := c.AppendMarker(tp, pid, epoch, coordEpoch, commit)
	if err != nil {
		return err
	}
	return c.AwaitMarker(ctx, m)
}
