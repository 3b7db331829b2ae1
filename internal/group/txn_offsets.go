package group

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/record"
)

// Transactional offset commits (TxnOffsetCommit): the offsets are written
// to __consumer_offsets in a transactional batch of the producer, kept
// pending, and become the group's committed offsets only when the
// transaction coordinator writes a COMMIT marker to that partition
// (CompleteTxn); an ABORT drops them. Replaying a partition does the same
// with the markers it meets.

// groupOffsets is one producer's pending offsets: group → topic →
// partition → offset.
type groupOffsets map[string]map[string]map[int32]Offset

func (g groupOffsets) set(group, topic string, partition int32, o Offset) {
	if g[group] == nil {
		g[group] = map[string]map[int32]Offset{}
	}
	if g[group][topic] == nil {
		g[group][topic] = map[int32]Offset{}
	}
	g[group][topic][partition] = o
}

// pendingTxns holds the pending offsets by __consumer_offsets partition
// and producer id. Its mutex is the last lock taken (after a group's or
// the coordinator's).
type pendingTxns struct {
	mu sync.Mutex
	m  map[int32]map[int64]groupOffsets
}

func (p *pendingTxns) add(part int32, pid int64, group, topic string, partition int32, o Offset) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[int32]map[int64]groupOffsets{}
	}
	if p.m[part] == nil {
		p.m[part] = map[int64]groupOffsets{}
	}
	if p.m[part][pid] == nil {
		p.m[part][pid] = groupOffsets{}
	}
	p.m[part][pid].set(group, topic, partition, o)
}

func (p *pendingTxns) take(part int32, pid int64) groupOffsets {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.m[part][pid]
	delete(p.m[part], pid)
	return g
}

// TxnCommitRequest is a TxnOffsetCommit.
type TxnCommitRequest struct {
	Group         string
	ProducerID    int64
	ProducerEpoch int16
	MemberID      string
	InstanceID    string
	Generation    int32 // -1: not checked (v0-2 or a producer outside the group)
	Partitions    []CommitPartition
	TopicExists   func(topic string, partition int32) bool
}

// TxnCommit handles TxnOffsetCommit: the offsets are written (durable)
// as part of the producer's transaction and stay pending until its
// marker. It returns one code per partition.
func (c *Coordinator) TxnCommit(ctx context.Context, req TxnCommitRequest) []int16 {
	codes := make([]int16, len(req.Partitions))
	all := func(code int16) []int16 {
		for i := range codes {
			codes[i] = code
		}
		return codes
	}
	if req.Group == "" {
		return all(kerr.InvalidGroupID.Code)
	}
	e, err := c.lookup(ctx, req.Group, true)
	if err != nil {
		return all(c.ErrCode("TxnOffsetCommit", err))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if req.Generation >= 0 || req.MemberID != "" {
		var code int16
		if e.c != nil {
			code = e.c.ValidateCommit(req.MemberID, req.Generation, 9)
		} else {
			code = e.g.ValidateCommit(now, req.MemberID, req.InstanceID, req.Generation)
		}
		if code != 0 {
			return all(code)
		}
	}
	var recs []record.Record
	var idx []int
	for i, p := range req.Partitions {
		switch {
		case p.Metadata != nil && len(*p.Metadata) > MaxMetadataBytes:
			codes[i] = kerr.OffsetMetadataTooLarge.Code
		case req.TopicExists != nil && !req.TopicExists(p.Topic, p.Partition):
			codes[i] = kerr.UnknownTopicOrPartition.Code
		default:
			recs = append(recs, record.Record{Timestamp: now.UnixMilli(),
				Key: offsetKey(req.Group, p.Topic, p.Partition), Value: offsetValue(txnOffset(p, now))})
			idx = append(idx, i)
		}
	}
	if err := c.writeTxn(e, req.ProducerID, req.ProducerEpoch, recs); err != nil {
		code := c.ErrCode("TxnOffsetCommit", err)
		if errorsIsEpoch(err) {
			code = kerr.InvalidProducerEpoch.Code
		}
		for _, i := range idx {
			codes[i] = code
		}
		return codes
	}
	for _, i := range idx {
		p := req.Partitions[i]
		c.txn.add(e.part, req.ProducerID, req.Group, p.Topic, p.Partition, txnOffset(p, now))
	}
	return codes
}

func txnOffset(p CommitPartition, now time.Time) Offset {
	o := Offset{Offset: p.Offset, LeaderEpoch: p.LeaderEpoch, CommitTime: now}
	if p.Metadata != nil {
		o.Metadata = *p.Metadata
	}
	return o
}

// writeTxn appends records as a transactional batch of the producer and
// waits until every in-sync replica has it (writeBatch). The log fences an
// old producer epoch (log.ErrInvalidProducerEpoch).
func (c *Coordinator) writeTxn(e *entry, pid int64, epoch int16, recs []record.Record) error {
	return c.writeBatch(e, record.BatchSpec{Transactional: true, Idempotent: true, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: -1}, recs)
}

// CompleteTxn is called once the transaction coordinator's marker for
// producer pid is durable in __consumer_offsets partition part: a commit
// makes the producer's pending offsets the groups' committed offsets, an
// abort drops them. It runs under the coordinator's lock, like a
// partition's load: a partition not loaded yet is left alone (its replay
// meets the marker), and a load in progress finishes first (its pending
// offsets are then taken here).
func (c *Coordinator) CompleteTxn(part int32, pid int64, commit bool) {
	c.mu.Lock()
	if !c.owner.LoadedLocked(part) {
		c.mu.Unlock()
		return
	}
	pending := c.txn.take(part, pid)
	entries := map[string]*entry{}
	if commit {
		for id := range pending {
			e := c.mu.groups[id]
			if e == nil {
				// A group known only by its pending offsets (replayed).
				e = newEntry(id, part, NewClassic(id, c.limits(), c.now()))
				c.mu.groups[id] = e
			}
			entries[id] = e
		}
	}
	c.mu.Unlock()
	for id, topics := range pending {
		e := entries[id]
		if e == nil {
			continue
		}
		e.mu.Lock()
		for t, ps := range topics {
			for p, o := range ps {
				e.setOffset(t, p, o)
			}
		}
		e.mu.Unlock()
	}
}

// HasPendingTxn reports whether a transaction has uncommitted offsets
// for the group's partition (OffsetFetch require_stable answers
// UNSTABLE_OFFSET_COMMIT then).
func (c *Coordinator) HasPendingTxn(group, topic string, partition int32) bool {
	c.txn.mu.Lock()
	defer c.txn.mu.Unlock()
	for _, byPID := range c.txn.m {
		for _, g := range byPID {
			if _, ok := g[group][topic][partition]; ok {
				return true
			}
		}
	}
	return false
}

// txnReplay is the transactional state met while replaying a partition.
type txnReplay map[int64]groupOffsets

// replayTxn applies a transactional batch or a marker met while
// replaying a __consumer_offsets partition; it reports whether the batch
// was one (the caller skips it then).
func replayTxn(h *record.Header, b []byte, pending txnReplay, offsets map[string]map[string]map[int32]Offset) (bool, error) {
	if !h.IsTransactional() {
		return h.IsControl(), nil
	}
	recs, err := record.Records(b)
	if err != nil {
		return true, err
	}
	if h.IsControl() {
		if len(recs) == 0 {
			return true, nil
		}
		typ, _, err := record.ParseControl(recs[0])
		if err != nil {
			return true, err
		}
		g := pending[h.ProducerID]
		delete(pending, h.ProducerID)
		if typ == record.ControlCommit {
			for id, topics := range g {
				for t, ps := range topics {
					for p, o := range ps {
						replay(decoded{isOffset: true, group: id, topic: t, partition: p, offset: &o}, nil, offsets)
					}
				}
			}
		}
		return true, nil
	}
	for _, r := range recs {
		d, err := decodeRecord(r.Key, r.Value)
		if err != nil {
			return true, err
		}
		if !d.isOffset || d.offset == nil {
			continue
		}
		if pending[h.ProducerID] == nil {
			pending[h.ProducerID] = groupOffsets{}
		}
		pending[h.ProducerID].set(d.group, d.topic, d.partition, *d.offset)
	}
	return true, nil
}

// restorePending keeps the transactions still open at the end of a
// replay pending.
func (c *Coordinator) restorePending(part int32, pending txnReplay) {
	for pid, g := range pending {
		for id, topics := range g {
			for t, ps := range topics {
				for p, o := range ps {
					c.txn.add(part, pid, id, t, p, o)
				}
			}
		}
	}
}

func errorsIsEpoch(err error) bool { return errors.Is(err, log.ErrInvalidProducerEpoch) }
