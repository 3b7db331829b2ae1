package txn

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
)

// ErrCode maps an internal error to a Kafka error code for the
// transaction APIs: a kerr error is its own code, ErrNotCoordinator is
// NOT_COORDINATOR, anything else is logged and becomes
// COORDINATOR_NOT_AVAILABLE (clients retry after a new lookup).
func (c *Coordinator) ErrCode(what string, err error) int16 {
	if err == nil {
		return 0
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	if errors.Is(err, ErrNotCoordinator) {
		return kerr.NotCoordinator.Code
	}
	c.log.Error("transaction coordinator error", "in", what, "err", err)
	return kerr.CoordinatorNotAvailable.Code
}

// InitRequest is an InitProducerId with a transactional id.
type InitRequest struct {
	ID            string
	TimeoutMs     int32
	ProducerID    int64 // -1, or the producer's current id to bump its epoch (v3+)
	ProducerEpoch int16
	FencedOK      bool // v4+: PRODUCER_FENCED rather than INVALID_PRODUCER_EPOCH
}

// InitProducerID answers InitProducerId for a transactional id: a new
// producer id (epoch 0) for a new id, else the next epoch, after aborting
// the id's open transaction if it has one (fencing the previous producer).
func (c *Coordinator) InitProducerID(ctx context.Context, req InitRequest) (int64, int16, int16) {
	if req.TimeoutMs <= 0 || req.TimeoutMs > c.cfg.Broker().TransactionMaxTimeoutMs {
		return -1, -1, kerr.InvalidTransactionTimeout.Code
	}
	e, part, err := c.lookup(ctx, req.ID, true)
	if err != nil {
		return -1, -1, c.ErrCode("InitProducerId", err)
	}
	if e == nil {
		e, err = c.create(ctx, req, part)
		if err != nil {
			return -1, -1, c.ErrCode("InitProducerId", err)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.m.ProducerID, e.m.ProducerEpoch, 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gone {
		return -1, -1, kerr.ConcurrentTransactions.Code
	}
	newID := c.newIDFunc(ctx)
	for range 2 { // at most one abort of an open transaction, then the bump
		in := InitInput{TimeoutMs: req.TimeoutMs, ProducerID: req.ProducerID, ProducerEpoch: req.ProducerEpoch, FencedOK: req.FencedOK, NowMs: c.now().UnixMilli()}
		d, n, err := Init(e.m, in, newID)
		if err != nil {
			return -1, -1, c.ErrCode("InitProducerId", err)
		}
		switch d {
		case InitRetry:
			return e.m.ProducerID, e.m.ProducerEpoch, 0
		case InitAbortFirst:
			c.log.Info("aborting the open transaction of a re-initialized transactional id", "transactional_id", req.ID, "producer_id", e.m.ProducerID)
			if err := c.store(ctx, e, n); err != nil {
				// The abort is decided; markers are retried in the background.
				c.log.Warn("abort markers not all written yet", "transactional_id", req.ID, "err", err)
				return -1, -1, kerr.ConcurrentTransactions.Code
			}
			// The client presented the epoch now fenced; its retry below
			// must not be taken for a zombie.
			req.ProducerID, req.ProducerEpoch = -1, -1
			continue
		}
		if err := c.store(ctx, e, n); err != nil {
			return -1, -1, c.ErrCode("InitProducerId", err)
		}
		return n.ProducerID, n.ProducerEpoch, 0
	}
	return -1, -1, kerr.ConcurrentTransactions.Code
}

// create registers a new transactional id with a new producer id.
func (c *Coordinator) create(ctx context.Context, req InitRequest, part int32) (*entry, error) {
	if req.ProducerID >= 0 {
		return nil, kerr.InvalidProducerIDMapping
	}
	pid, err := c.pids.next(ctx)
	if err != nil {
		return nil, err
	}
	now := c.now().UnixMilli()
	m := Metadata{ID: req.ID, ProducerID: pid, ProducerEpoch: 0, LastProducerID: -1, LastProducerEpoch: -1,
		TimeoutMs: req.TimeoutMs, State: Empty, StartMs: -1, UpdateMs: now}
	e := &entry{part: part, m: m}
	e.mu.Lock()
	defer e.mu.Unlock()
	c.mu.Lock()
	if cur := c.mu.txns[req.ID]; cur != nil {
		c.mu.Unlock()
		return nil, kerr.ConcurrentTransactions // a concurrent InitProducerId won; the client retries
	}
	c.mu.txns[req.ID] = e
	c.mu.Unlock()
	if err := c.write(part, encodeKey(m.ID), encodeValue(m)); err != nil {
		c.remove(e)
		return nil, err
	}
	return e, nil
}

// existing returns the entry of id, locked, or the error code for a
// request about an unknown id.
func (c *Coordinator) existing(ctx context.Context, what, id string) (*entry, int16) {
	e, _, err := c.lookup(ctx, id, false)
	if err != nil {
		return nil, c.ErrCode(what, err)
	}
	if e == nil {
		return nil, kerr.InvalidProducerIDMapping.Code
	}
	e.mu.Lock()
	if e.gone {
		e.mu.Unlock()
		return nil, kerr.InvalidProducerIDMapping.Code
	}
	return e, 0
}

// AddPartitions adds partitions to the transaction of id
// (AddPartitionsToTxn; AddOffsetsToTxn with the group's
// __consumer_offsets partition). It returns one code for all.
func (c *Coordinator) AddPartitions(ctx context.Context, id string, pid int64, epoch int16, fencedOK bool, tps []TopicPartition) int16 {
	e, code := c.existing(ctx, "AddPartitionsToTxn", id)
	if e == nil {
		return code
	}
	defer e.mu.Unlock()
	n, changed, err := AddPartitions(e.m, pid, epoch, fencedOK, tps, c.now().UnixMilli())
	if err != nil || !changed {
		return c.ErrCode("AddPartitionsToTxn", err)
	}
	return c.ErrCode("AddPartitionsToTxn", c.store(ctx, e, n))
}

// Verify checks that partition tp is in the open transaction of id with
// producer pid/epoch (KIP-890 verification: a transactional produce or
// TxnOffsetCommit to a partition not added first is refused, so no
// transaction can be left hanging in a partition the coordinator does not
// know of).
//
// Verify answers for the ids this broker coordinates and accepts (0) the
// others: it serves AddPartitionsToTxn verify_only and TxnOffsetCommit,
// and never asks another broker (two brokers with stale metadata could
// otherwise forward a verification back and forth). VerifyProduce asks
// the coordinator.
func (c *Coordinator) Verify(ctx context.Context, id string, pid int64, epoch int16, tp TopicPartition) int16 {
	code, local := c.verifyLocal(ctx, id, pid, epoch, tp)
	if !local {
		return 0
	}
	return code
}

// verifyLocal is Verify with local false when another broker coordinates
// id.
func (c *Coordinator) verifyLocal(ctx context.Context, id string, pid int64, epoch int16, tp TopicPartition) (int16, bool) {
	e, code := c.existing(ctx, "Verify", id)
	if e == nil {
		return code, code != kerr.NotCoordinator.Code
	}
	defer e.mu.Unlock()
	return e.m.verify(pid, epoch, tp), true
}

// verify is the check itself.
func (m Metadata) verify(pid int64, epoch int16, tp TopicPartition) int16 {
	if err := m.checkProducer(pid, epoch, true); err != nil {
		if err == kerr.ProducerFenced {
			return kerr.InvalidProducerEpoch.Code
		}
		return err.Code
	}
	if m.State != Ongoing || !m.has(tp) {
		return kerr.InvalidTxnState.Code
	}
	return 0
}

// EndTxn commits or aborts the transaction of id: the decision is made
// durable (PrepareCommit/PrepareAbort), the markers are written to every
// partition of the transaction, then the completion. If a marker cannot
// be written the answer is still success (the decision is durable) and
// the background loop retries; meanwhile the id answers
// CONCURRENT_TRANSACTIONS.
func (c *Coordinator) EndTxn(ctx context.Context, id string, pid int64, epoch int16, fencedOK, commit bool) int16 {
	e, code := c.existing(ctx, "EndTxn", id)
	if e == nil {
		return code
	}
	defer e.mu.Unlock()
	d, n, err := End(e.m, pid, epoch, fencedOK, commit, c.now().UnixMilli())
	if err != nil {
		return c.ErrCode("EndTxn", err)
	}
	if d == EndDone {
		return 0
	}
	if err := c.store(ctx, e, n); err != nil {
		if e.m.State.preparing() {
			c.log.Warn("transaction markers not all written; retrying in the background", "transactional_id", id, "err", err)
			c.alarm.Set(c.now().Add(c.cfg.RetryInterval / 10))
			return 0
		}
		return c.ErrCode("EndTxn", err)
	}
	return 0
}
