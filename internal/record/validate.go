package record

import (
	"fmt"
	"math"
)

// ProduceRules are the topic settings and broker state that produce-time
// validation needs. The zero value checks no timestamps and decodes no
// records.
type ProduceRules struct {
	// Now is the broker's clock in ms since the Unix epoch.
	Now int64
	// LogAppendTime is true when the topic's message.timestamp.type is
	// LogAppendTime: the broker overwrites timestamps, so they are not
	// checked.
	LogAppendTime bool
	// BeforeMaxMs and AfterMaxMs are the topic's
	// message.timestamp.before.max.ms and message.timestamp.after.max.ms:
	// a CreateTime timestamp may lie at most this far before or after
	// Now. Zero or negative means no limit (Kafka's Long.MAX_VALUE);
	// the config layer passes the topic's values.
	BeforeMaxMs int64
	AfterMaxMs  int64
	// NeedRecords decodes (decompressing if needed) and checks every
	// record: offset deltas 0..n-1 and, for CreateTime, each timestamp.
	NeedRecords bool
	// Compacted is true for a topic with cleanup.policy containing
	// compact: a record without a key is refused. It implies NeedRecords.
	Compacted bool
	// MaxDecompressed bounds the decompressed records section (<= 0:
	// DefaultMaxDecompressed).
	MaxDecompressed int
}

// ValidateProduce checks a batch a client sent in a Produce request:
// everything Validate checks (errors wrap ErrCorrupt), then Kafka's
// produce-time rules. The base offset and partition leader epoch fields
// are ignored (the broker assigns them).
//
//   - a compression codec other than 0..4: ErrUnsupportedCompression;
//   - a control batch, a record count that is 0 or differs from
//     lastOffsetDelta+1, a negative producer epoch or base sequence with a
//     producer id, a transactional batch without one: ErrInvalidRecord;
//   - with CreateTime, a base or max timestamp outside the rules' window:
//     ErrInvalidTimestamp. Records between them are checked only with
//     NeedRecords. To name the offending record, a batch that fails here
//     is decoded (a rejected batch is rare, so the cost is acceptable);
//   - with NeedRecords or Compacted, each record as described there.
//
// Produce-time errors are *RecordError, whose Index is the offending
// record's position (-1 for the whole batch); they unwrap to the sentinel.
func ValidateProduce(b []byte, v ProduceRules) (Header, error) {
	h, err := Validate(b)
	if err != nil {
		return h, err
	}
	if err := checkProduceHeader(&h); err != nil {
		return h, err
	}
	decode := v.NeedRecords || v.Compacted
	if !v.LogAppendTime && !decode {
		if !v.timestampOK(h.BaseTimestamp) || !v.timestampOK(h.MaxTimestamp) {
			decode = true // find the offending record below
		}
	}
	if !decode {
		return h, nil
	}
	recs, err := decodeRecords(&h, b, v.MaxDecompressed)
	if err != nil {
		return h, err
	}
	for i := range recs {
		if err := v.checkRecord(&h, &recs[i], i); err != nil {
			return h, err
		}
	}
	if !v.LogAppendTime && !v.timestampOK(h.MaxTimestamp) {
		// Every record is in range but the header claims otherwise.
		return h, &RecordError{Index: -1, Err: ErrInvalidTimestamp, Message: v.timestampMessage(h.MaxTimestamp, "the batch's max timestamp")}
	}
	return h, nil
}

func checkProduceHeader(h *Header) error {
	if c := h.Compression(); c > CompressionZstd {
		return fmt.Errorf("%w: codec %d", ErrUnsupportedCompression, c)
	}
	if h.IsControl() {
		return batchError(ErrInvalidRecord, "clients may not send control batches")
	}
	if h.RecordCount == 0 {
		return batchError(ErrInvalidRecord, "the batch has no records")
	}
	if int64(h.RecordCount) != int64(h.LastOffsetDelta)+1 {
		return batchError(ErrInvalidRecord, "record count %d does not match last offset delta %d", h.RecordCount, h.LastOffsetDelta)
	}
	switch {
	case h.ProducerID < -1:
		return batchError(ErrInvalidRecord, "producer id %d", h.ProducerID)
	case h.ProducerID >= 0 && (h.ProducerEpoch < 0 || h.BaseSequence < 0):
		return batchError(ErrInvalidRecord, "producer id %d with epoch %d and base sequence %d", h.ProducerID, h.ProducerEpoch, h.BaseSequence)
	case h.ProducerID == -1 && h.IsTransactional():
		return batchError(ErrInvalidRecord, "a transactional batch needs a producer id")
	}
	return nil
}

func (v *ProduceRules) checkRecord(h *Header, r *Record, i int) error {
	if r.Offset-h.BaseOffset != int64(i) {
		return &RecordError{Index: i, Err: ErrInvalidRecord, Message: fmt.Sprintf("offset delta %d, want %d", r.Offset-h.BaseOffset, i)}
	}
	if !v.LogAppendTime && !v.timestampOK(r.Timestamp) {
		return &RecordError{Index: i, Err: ErrInvalidTimestamp, Message: v.timestampMessage(r.Timestamp, "the record's timestamp")}
	}
	if v.Compacted && r.Key == nil {
		return &RecordError{Index: i, Err: ErrInvalidRecord, Message: "compacted topic cannot accept a record without a key"}
	}
	return nil
}

// window returns the allowed timestamp range, saturating at the int64
// limits.
func (v *ProduceRules) window() (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if v.BeforeMaxMs > 0 && v.Now >= math.MinInt64+v.BeforeMaxMs {
		lo = v.Now - v.BeforeMaxMs
	}
	if v.AfterMaxMs > 0 && v.Now <= math.MaxInt64-v.AfterMaxMs {
		hi = v.Now + v.AfterMaxMs
	}
	return lo, hi
}

func (v *ProduceRules) timestampOK(ts int64) bool {
	lo, hi := v.window()
	return ts >= lo && ts <= hi
}

func (v *ProduceRules) timestampMessage(ts int64, what string) string {
	lo, hi := v.window()
	return fmt.Sprintf("%s %d is out of range: it must be within [%d, %d]", what, ts, lo, hi)
}
