package log

import (
	"fmt"

	"github.com/gregor-streaming/gregor/internal/record"
)

// segView is a snapshot, taken under Log.mu, of what a reader may use of a
// segment without the lock: bytes below size and index entries below the
// counts. Readers hold Log.files shared while they use it.
type segView struct {
	s      *segment
	size   int64
	idxN   int
	tidxN  int
	maxTs  int64
	maxTsL int64
}

func viewOf(s *segment) segView {
	return segView{s: s, size: s.size, idxN: s.index.n, tidxN: s.tindex.n, maxTs: s.maxTs, maxTsL: s.maxTsLast}
}

// segmentFor returns the index of the segment holding offset (the last one
// whose base is <= offset); offset must be >= the first segment's base.
func (l *Log) segmentForLocked(offset int64) int {
	segs := l.mu.segs
	lo, hi := 0, len(segs)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if segs[mid].base <= offset {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// viewsFrom snapshots the segments from the one holding offset on, and
// takes Log.files shared; the caller must call l.files.RUnlock.
func (l *Log) viewsFrom(offset int64) ([]segView, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return nil, ErrClosed
	}
	if offset < l.mu.start || offset > l.mu.next {
		return nil, fmt.Errorf("%w: offset %d is outside [%d, %d]", ErrOffsetOutOfRange, offset, l.mu.start, l.mu.next)
	}
	var views []segView
	for _, s := range l.mu.segs[l.segmentForLocked(offset):] {
		views = append(views, viewOf(s))
	}
	l.files.RLock()
	return views, nil
}

// Read returns whole batches, starting with the one that contains offset,
// stopping before a batch whose base offset is >= maxOffset, while the
// total stays <= maxBytes but always including the first batch (KIP-74).
// It may stop at a segment's end. offset outside [StartOffset, NextOffset]
// is ErrOffsetOutOfRange; nothing to return is (nil, nil). Safe to call
// concurrently with Append; the result is a fresh slice owned by the
// caller.
func (l *Log) Read(offset int64, maxBytes int, maxOffset int64) ([]byte, error) {
	views, err := l.viewsFrom(offset)
	if err != nil {
		return nil, err
	}
	defer l.files.RUnlock()
	for _, v := range views {
		h, pos, found, err := v.locate(offset)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		if h.BaseOffset >= maxOffset {
			return nil, nil
		}
		return v.readFrom(pos, h.Size(), maxBytes, maxOffset)
	}
	return nil, nil
}

// locate finds the first batch in the view whose last offset is >= offset.
func (v segView) locate(offset int64) (record.Header, int64, bool, error) {
	pos := int64(0)
	if offset > v.s.base {
		var err error
		if pos, err = v.s.index.lookup(v.idxN, v.s.relOffset(min(offset, v.s.base+maxRel))); err != nil {
			return record.Header{}, 0, false, err
		}
	}
	var hb [record.HeaderSize]byte
	for pos < v.size {
		h, err := v.headerAt(hb[:], pos)
		if err != nil {
			return h, pos, false, err
		}
		if h.LastOffset() >= offset {
			return h, pos, true, nil
		}
		pos += int64(h.Size())
	}
	return record.Header{}, pos, false, nil
}

const maxRel = 1<<31 - 1

func (v segView) headerAt(hb []byte, pos int64) (record.Header, error) {
	if _, err := v.s.log.ReadAt(hb, pos); err != nil {
		return record.Header{}, fmt.Errorf("read batch header at %s:%d: %w", v.s.log.Name(), pos, err)
	}
	h, err := record.ParseHeader(hb)
	if err != nil {
		return h, err
	}
	if h.BatchLength < record.HeaderSize-record.LengthOffset || pos+int64(h.Size()) > v.size {
		return h, fmt.Errorf("%w: batch at %s:%d has length %d past the segment end %d", record.ErrCorrupt, v.s.log.Name(), pos, h.BatchLength, v.size)
	}
	return h, nil
}

// readFrom reads the batches from pos (where one of firstSize bytes
// starts) within the limits of Read.
func (v segView) readFrom(pos int64, firstSize, maxBytes int, maxOffset int64) ([]byte, error) {
	window := v.size - pos
	if window > int64(maxBytes) {
		window = int64(max(maxBytes, firstSize))
	}
	buf := make([]byte, window)
	if _, err := v.s.log.ReadAt(buf, pos); err != nil {
		return nil, fmt.Errorf("read %s:%d: %w", v.s.log.Name(), pos, err)
	}
	total := 0
	for total+record.HeaderSize <= len(buf) {
		h, err := record.ParseHeader(buf[total:])
		if err != nil {
			return nil, err
		}
		size := h.Size()
		if size < record.HeaderSize || total+size > len(buf) || h.BaseOffset >= maxOffset || (total > 0 && total+size > maxBytes) {
			break
		}
		total += size
	}
	return buf[:total], nil
}

// OffsetForTimestamp returns the first record at or after the log start
// offset whose timestamp is >= ts, and that timestamp. It finds the batch
// from the time index and the batch headers (its max timestamp), then
// decodes that one batch (decompressing it if needed) to find the record.
// ok is false if no record qualifies. If the batch cannot be decoded, the
// batch's base offset and max timestamp are returned (and logged).
func (l *Log) OffsetForTimestamp(ts int64) (offset, timestamp int64, ok bool, err error) {
	start := l.StartOffset()
	views, err := l.viewsFrom(start)
	if err != nil {
		return -1, -1, false, err
	}
	defer l.files.RUnlock()
	for _, v := range views {
		if v.maxTs < ts {
			continue
		}
		h, pos, found, err := v.firstAtOrAfter(ts, start)
		if err != nil {
			return -1, -1, false, fmt.Errorf("timestamp lookup in segment %d: %w", v.s.base, err)
		}
		if found {
			offset, timestamp, ok = l.recordAtOrAfter(v, h, pos, ts, start)
			return offset, timestamp, ok, nil
		}
	}
	return -1, -1, false, nil
}

// recordAtOrAfter decodes the batch h at pos and returns its first record
// at or after start with a timestamp >= ts.
func (l *Log) recordAtOrAfter(v segView, h record.Header, pos int64, ts, start int64) (int64, int64, bool) {
	buf := make([]byte, h.Size())
	_, err := v.s.log.ReadAt(buf, pos)
	var recs []record.Record
	if err == nil {
		recs, err = record.Records(buf)
	}
	if err != nil {
		l.logger.Error("decoding a batch for a timestamp lookup failed; answering with the batch", "segment", v.s.base, "offset", h.BaseOffset, "err", err)
		return max(h.BaseOffset, start), h.MaxTimestamp, true
	}
	for _, r := range recs {
		if r.Offset >= start && r.Timestamp >= ts {
			return r.Offset, r.Timestamp, true
		}
	}
	return max(h.BaseOffset, start), h.MaxTimestamp, true
}

// firstAtOrAfter scans the view from the time index's hint for the first
// batch ending at or after start with max timestamp >= ts, and returns it
// with its position.
func (v segView) firstAtOrAfter(ts, start int64) (record.Header, int64, bool, error) {
	pos := int64(0)
	e, ok, err := v.s.tindex.lookupBefore(v.tidxN, ts)
	if err != nil {
		return record.Header{}, 0, false, err
	}
	if ok {
		if pos, err = v.s.index.lookup(v.idxN, e.rel); err != nil {
			return record.Header{}, 0, false, err
		}
	}
	var hb [record.HeaderSize]byte
	for pos < v.size {
		h, err := v.headerAt(hb[:], pos)
		if err != nil {
			return h, 0, false, err
		}
		if h.LastOffset() >= start && h.MaxTimestamp >= ts {
			return h, pos, true, nil
		}
		pos += int64(h.Size())
	}
	return record.Header{}, 0, false, nil
}

// MaxTimestamp returns the offset of the first record holding the
// largest timestamp in the log, and that timestamp (-1, -1 if the log is
// empty), as KIP-734 asks. The segment's max-timestamp entry names the
// batch; that one batch is decoded (decompressed if needed) to find the
// record. If it cannot be decoded, the batch's base offset is returned
// (and logged).
func (l *Log) MaxTimestamp() (offset, timestamp int64, err error) {
	start := l.StartOffset()
	views, err := l.viewsFrom(start)
	if err != nil {
		return -1, -1, err
	}
	defer l.files.RUnlock()
	best := -1
	for i, v := range views {
		if v.maxTs >= 0 && (best < 0 || v.maxTs > views[best].maxTs) {
			best = i
		}
	}
	if best < 0 {
		return -1, -1, nil
	}
	v := views[best]
	h, pos, found, err := v.locate(v.maxTsL)
	if err != nil {
		return -1, -1, fmt.Errorf("max timestamp lookup in segment %d: %w", v.s.base, err)
	}
	if !found {
		return -1, -1, fmt.Errorf("%w: max timestamp offset %d not found in segment %d", record.ErrCorrupt, v.maxTsL, v.s.base)
	}
	offset, _, _ = l.recordAtOrAfter(v, h, pos, v.maxTs, start)
	return offset, v.maxTs, nil
}
