package log

import (
	"fmt"
	"sort"

	"github.com/gregor-streaming/gregor/internal/record"
)

// maxProducerBatches is how many recent batches per producer are kept for
// duplicate detection (Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN;
// clients keep at most 5 requests in flight).
const maxProducerBatches = 5

// batchMeta is what producer state remembers of an appended batch.
type batchMeta struct {
	FirstSeq, LastSeq       int32
	FirstOffset, LastOffset int64
	AppendTime              int64 // LogAppendTime, -1 for CreateTime
}

// producerState is one idempotent producer's state in this partition.
type producerState struct {
	Epoch         int16
	Batches       []batchMeta // oldest first, at most maxProducerBatches
	LastTimestamp int64
	// TxnFirst is the first offset of the producer's open transaction
	// in this partition, -1 if none.
	TxnFirst int64
}

// producers maps producer id to state; guarded by Log.mu.
type producers map[int64]*producerState

// check decides whether the batch with header h may be appended, following
// Kafka's ProducerAppendInfo. It returns the original batch if h is a retry
// of one of the producer's last batches. Batches without a producer id,
// control batches and batches without a sequence skip sequence checks.
func (p producers) check(h *record.Header) (*batchMeta, error) {
	if !h.HasProducer() {
		return nil, nil
	}
	st := p[h.ProducerID]
	if st == nil {
		return nil, nil // no state (new, expired or deleted): any sequence is accepted
	}
	if h.ProducerEpoch < st.Epoch {
		return nil, fmt.Errorf("%w: producer %d sent epoch %d, current epoch is %d",
			ErrInvalidProducerEpoch, h.ProducerID, h.ProducerEpoch, st.Epoch)
	}
	if h.IsControl() || h.BaseSequence < 0 {
		return nil, nil
	}
	if h.ProducerEpoch > st.Epoch {
		if h.BaseSequence != 0 {
			return nil, fmt.Errorf("%w: producer %d new epoch %d must start at sequence 0, got %d",
				ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, h.BaseSequence)
		}
		return nil, nil
	}
	last := h.LastSequence()
	for i := range st.Batches {
		if b := st.Batches[i]; b.FirstSeq == h.BaseSequence && b.LastSeq == last {
			return &b, nil
		}
	}
	if len(st.Batches) == 0 {
		return nil, nil // epoch known but no sequence yet (e.g. only a marker)
	}
	want := record.IncSequence(st.Batches[len(st.Batches)-1].LastSeq, 1)
	if h.BaseSequence != want {
		return nil, fmt.Errorf("%w: producer %d epoch %d expected sequence %d, got %d",
			ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, want, h.BaseSequence)
	}
	return nil, nil
}

// update records an appended batch (h carries its assigned offsets; m is
// its marker type if it is a control batch). A transactional batch opens
// the producer's transaction if none is open; a COMMIT or ABORT marker
// closes it and returns it.
func (p producers) update(h *record.Header, appendTime int64, m marker) *completedTxn {
	if !h.HasProducer() {
		return nil
	}
	st := p[h.ProducerID]
	if st == nil {
		st = &producerState{Epoch: h.ProducerEpoch, TxnFirst: -1}
		p[h.ProducerID] = st
	}
	if h.ProducerEpoch != st.Epoch {
		st.Epoch, st.Batches = h.ProducerEpoch, nil
	}
	st.LastTimestamp = h.MaxTimestamp
	if h.IsControl() {
		if m == noMarker || st.TxnFirst < 0 {
			return nil
		}
		done := &completedTxn{first: st.TxnFirst, last: h.BaseOffset}
		st.TxnFirst = -1
		return done
	}
	if h.IsTransactional() && st.TxnFirst < 0 {
		st.TxnFirst = h.BaseOffset
	}
	if h.BaseSequence < 0 {
		return nil
	}
	st.Batches = append(st.Batches, batchMeta{
		FirstSeq: h.BaseSequence, LastSeq: h.LastSequence(),
		FirstOffset: h.BaseOffset, LastOffset: h.LastOffset(), AppendTime: appendTime,
	})
	if n := len(st.Batches); n > maxProducerBatches {
		st.Batches = append(st.Batches[:0], st.Batches[n-maxProducerBatches:]...)
	}
	return nil
}

// expire removes producers whose last timestamp is before cutoff and
// returns how many.
func (p producers) expire(cutoff int64) int {
	n := 0
	for id, st := range p {
		if st.LastTimestamp < cutoff && st.TxnFirst < 0 {
			delete(p, id)
			n++
		}
	}
	return n
}

func (p producers) info() []ProducerInfo {
	out := make([]ProducerInfo, 0, len(p))
	for id, st := range p {
		last := int32(-1)
		if n := len(st.Batches); n > 0 {
			last = st.Batches[n-1].LastSeq
		}
		out = append(out, ProducerInfo{ProducerID: id, ProducerEpoch: st.Epoch, LastSequence: last, LastTimestamp: st.LastTimestamp, TxnStartOffset: st.TxnFirst})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out
}

// appendTimeOf returns the LogAppendTime of a stored batch, -1 for
// CreateTime.
func appendTimeOf(h *record.Header) int64 {
	if h.IsLogAppendTime() {
		return h.MaxTimestamp
	}
	return -1
}
