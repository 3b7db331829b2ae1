package log

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gregor-streaming/gregor/internal/record"
)

// AbortedTxn is one aborted transaction of a partition, as Kafka's
// AbortedTxn: the producer, the offset of its first batch, the offset of
// its ABORT marker, and the last stable offset right after the marker.
type AbortedTxn struct {
	ProducerID       int64
	FirstOffset      int64
	LastOffset       int64
	LastStableOffset int64
}

// OngoingTxn is a producer's open transaction in this partition.
type OngoingTxn struct {
	ProducerID    int64
	ProducerEpoch int16
	FirstOffset   int64
}

// marker is what a control batch says: -1 for a batch that is not a
// transaction marker.
type marker int8

const (
	noMarker     marker = -1
	abortMarker  marker = 0
	commitMarker marker = 1
)

// completedTxn is a transaction whose marker is in the log but maybe not
// below the high watermark yet: until it is, the LSO stays at its first
// offset (Kafka's "unreplicated transactions").
type completedTxn struct {
	first, last int64
}

// txnState is the log's view of transactions; guarded by Log.mu.
type txnState struct {
	ongoing   map[int64]int64 // producer id -> first offset of its open transaction
	completed []completedTxn  // by marker offset
}

// rebuildTxns derives the open transactions from the producer state.
func (l *Log) rebuildTxnsLocked() {
	l.mu.txns = txnState{ongoing: map[int64]int64{}}
	for id, st := range l.mu.producers {
		if st.TxnFirst >= 0 {
			l.mu.txns.ongoing[id] = st.TxnFirst
		}
	}
}

// markerOf reads the marker type of a control batch.
func markerOf(h *record.Header, batch []byte) (marker, error) {
	if !h.IsControl() {
		return noMarker, nil
	}
	recs, err := record.Records(batch)
	if err != nil {
		return noMarker, err
	}
	if len(recs) == 0 {
		return noMarker, fmt.Errorf("%w: control batch without records", record.ErrCorrupt)
	}
	typ, _, err := record.ParseControl(recs[0])
	if err != nil {
		return noMarker, err
	}
	switch typ {
	case record.ControlAbort:
		return abortMarker, nil
	case record.ControlCommit:
		return commitMarker, nil
	}
	return noMarker, nil
}

// trackTxnLocked updates the transaction state for batch h (offsets
// assigned, stored in segment s) after producers.update returned done (the
// transaction its marker closed, if any). An ABORT is written to s's
// transaction index.
func (l *Log) trackTxnLocked(s *segment, h *record.Header, done *completedTxn, aborted bool) error {
	if !h.HasProducer() {
		return nil
	}
	if h.IsTransactional() && !h.IsControl() {
		if _, ok := l.mu.txns.ongoing[h.ProducerID]; !ok {
			l.mu.txns.ongoing[h.ProducerID] = h.BaseOffset
		}
		return nil
	}
	if done == nil {
		return nil
	}
	delete(l.mu.txns.ongoing, h.ProducerID)
	l.mu.txns.completed = append(l.mu.txns.completed, *done)
	if !aborted {
		return nil
	}
	lso := done.last + 1
	for _, first := range l.mu.txns.ongoing {
		lso = min(lso, first)
	}
	e := AbortedTxn{ProducerID: h.ProducerID, FirstOffset: done.first, LastOffset: done.last, LastStableOffset: lso}
	return s.txn.append(l.fsys, l.dir, s.base, e)
}

// LastStableOffset returns the last stable offset given the high
// watermark: the first offset of the earliest transaction that is open
// or whose marker is not below hw yet, or hw.
func (l *Log) LastStableOffset(hw int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	lso := hw
	for _, first := range l.mu.txns.ongoing {
		lso = min(lso, first)
	}
	keep := l.mu.txns.completed[:0]
	for _, c := range l.mu.txns.completed {
		if c.last >= hw {
			keep = append(keep, c)
			lso = min(lso, c.first)
		}
	}
	l.mu.txns.completed = keep
	return lso
}

// OngoingTxns returns the open transactions, by first offset.
func (l *Log) OngoingTxns() []OngoingTxn {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]OngoingTxn, 0, len(l.mu.txns.ongoing))
	for id, first := range l.mu.txns.ongoing {
		var epoch int16 = -1
		if st := l.mu.producers[id]; st != nil {
			epoch = st.Epoch
		}
		out = append(out, OngoingTxn{ProducerID: id, ProducerEpoch: epoch, FirstOffset: first})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FirstOffset < out[j].FirstOffset })
	return out
}

// AbortedTxns returns the aborted transactions overlapping [from, upTo):
// those whose marker is at or after from and whose first offset is below
// upTo, by marker offset (what a read_committed fetch returns).
func (l *Log) AbortedTxns(from, upTo int64) []AbortedTxn {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []AbortedTxn
	if len(l.mu.segs) == 0 {
		return nil
	}
	for _, s := range l.mu.segs[l.segmentForLocked(max(from, l.mu.segs[0].base)):] {
		for _, e := range s.txn.entries {
			if e.LastOffset >= from && e.FirstOffset < upTo {
				out = append(out, e)
			}
		}
	}
	return out
}

// loadTxnIndexesLocked loads every segment's transaction index,
// dropping entries whose marker is at or after from (the producer state
// replay from there adds them again).
func (l *Log) loadTxnIndexesLocked(from int64) error {
	var errs []error
	for _, s := range l.mu.segs {
		if err := s.txn.load(l.fsys, l.dir, s.base, from); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
