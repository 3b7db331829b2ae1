package log

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/gregor-streaming/gregor/internal/record"
)

const (
	logStartOffsetName = "log-start-offset"
	recoveryBufSize    = 1 << 20
	scanBufSize        = 64 << 10
	progressEvery      = 256 << 20 // log recovery progress every this many bytes
)

// strayFile reports whether name is left over from an interrupted
// operation and can be deleted.
func strayFile(name string) bool {
	for _, suf := range []string{tmpSuffix, ".deleted", ".cleaned", ".swap"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// recover lists and opens the segments, recovers them, and loads the log
// start offset, the leader epoch cache and the producer state.
func (l *Log) recover() error {
	bases, err := l.cleanDir()
	if err != nil {
		return err
	}
	fileStart, err := l.readLogStartOffset()
	if err != nil {
		return err
	}
	l.mu.created = l.now()
	if len(bases) == 0 {
		if err := l.createFirstSegment(max(fileStart, 0)); err != nil {
			return err
		}
	}
	for i, base := range bases {
		s, err := openSegment(l.fsys, l.dir, base, false)
		if err != nil {
			return err
		}
		l.mu.segs = append(l.mu.segs, s)
		last := i == len(bases)-1
		truncated, err := l.recoverSegment(s, last)
		if err != nil {
			return err
		}
		if truncated && !last {
			if err := l.dropSegmentFiles(bases[i+1:]); err != nil {
				return err
			}
			break
		}
	}
	for i := 1; i < len(l.mu.segs); i++ {
		if prev, s := l.mu.segs[i-1], l.mu.segs[i]; prev.next > s.base {
			return fmt.Errorf("%w: segment %d ends at offset %d, after the next segment's base %d", record.ErrCorrupt, prev.base, prev.next, s.base)
		}
	}
	act := l.active()
	l.mu.next = act.next
	l.mu.start = min(max(l.mu.segs[0].base, fileStart), l.mu.next)
	if err := act.syncAll(); err != nil {
		return err
	}
	if err := l.loadEpochs(); err != nil {
		return err
	}
	return l.rebuildProducersLocked()
}

// cleanDir deletes stray and orphan files and returns the segment bases.
func (l *Log) cleanDir() ([]int64, error) {
	names, err := l.fsys.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", l.dir, err)
	}
	logs := map[int64]bool{}
	var bases []int64
	for _, n := range names {
		if base, ok := parseSegmentName(n, logSuffix); ok {
			logs[base] = true
			bases = append(bases, base)
		}
	}
	for _, n := range names {
		orphan := false
		for _, suf := range []string{indexSuffix, timeIndexSuffix, txnIndexSuffix} {
			if base, ok := parseSegmentName(n, suf); ok && !logs[base] {
				orphan = true
			}
		}
		if orphan || strayFile(n) {
			l.logger.Info("deleting leftover file", "file", n)
			if err := removeIfExists(l.fsys, path.Join(l.dir, n)); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	return bases, nil
}

func (l *Log) createFirstSegment(base int64) error {
	s, err := openSegment(l.fsys, l.dir, base, true)
	if err != nil {
		return err
	}
	l.mu.segs = append(l.mu.segs, s)
	return l.fsys.SyncDir(l.dir)
}

func (l *Log) dropSegmentFiles(bases []int64) error {
	for _, base := range bases {
		l.logger.Warn("deleting segment after a truncated one", "base_offset", base)
		for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix, txnIndexSuffix} {
			if err := removeIfExists(l.fsys, path.Join(l.dir, segmentName(base, suf))); err != nil {
				return err
			}
		}
	}
	return l.fsys.SyncDir(l.dir)
}

// recoverSegment brings a segment's summary and indexes in line with its
// .log. The last segment is always scanned in full; an older one is
// trusted if its indexes check out and the batches after its last index
// entry are whole. It reports whether bytes were cut off.
func (l *Log) recoverSegment(s *segment, last bool) (bool, error) {
	size, err := s.log.Size()
	if err != nil {
		return false, err
	}
	if !last {
		ok, err := l.trustSegment(s, size)
		if err != nil || ok {
			return false, err
		}
		l.logger.Warn("rebuilding segment indexes", "base_offset", s.base)
	}
	return l.rebuildSegment(s, size)
}

// trustSegment loads an older segment's indexes and checks its tail.
func (l *Log) trustSegment(s *segment, size int64) (bool, error) {
	ib, err := readAll(s.index.f)
	if err != nil {
		return false, err
	}
	tb, err := readAll(s.tindex.f)
	if err != nil {
		return false, err
	}
	n, lastEntry, ok := loadOffsetIndex(ib, size)
	if !ok {
		return false, nil
	}
	from := int64(0)
	if n > 0 {
		from = int64(lastEntry.pos)
	}
	sc := newBatchScanner(s.log, from, size, scanBufSize, true)
	for {
		h, pos, _, err := sc.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || h.BaseOffset < s.base || !s.fits(h.LastOffset()) {
			return false, nil
		}
		s.track(&h, pos)
	}
	tn, tlast, ok := loadTimeIndex(tb, s.relOffset(max(s.next-1, s.base)))
	if !ok || s.size != size {
		return false, nil
	}
	s.index.n, s.index.last = n, lastEntry
	s.tindex.n, s.tindex.last = tn, tlast
	if tn > 0 && tlast.ts > s.maxTs {
		s.maxTs, s.maxTsLast = tlast.ts, s.base+int64(tlast.rel)
	}
	return true, nil
}

// rebuildSegment scans the whole segment, checking every batch's CRC and
// that offsets increase, rewrites both indexes, and cuts the .log at the
// first bad batch.
func (l *Log) rebuildSegment(s *segment, size int64) (bool, error) {
	s.reset()
	if err := errors.Join(s.index.reset(), s.tindex.reset()); err != nil {
		return false, err
	}
	interval := l.mu.cfg.IndexIntervalBytes
	sc := newBatchScanner(s.log, 0, size, recoveryBufSize, true)
	nextReport := int64(progressEvery)
	for {
		h, pos, _, err := sc.next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err == nil && (h.BaseOffset < s.next || !s.fits(h.LastOffset())) {
			err = fmt.Errorf("%w: base offset %d at position %d is below %d or too far from the segment base", errTorn, h.BaseOffset, pos, s.next)
		}
		if err != nil {
			return true, l.cutSegment(s, pos, size, err)
		}
		s.track(&h, pos)
		if err := s.indexBatch(&h, pos, interval); err != nil {
			return false, err
		}
		if s.size >= nextReport {
			l.logger.Info("recovering segment", "base_offset", s.base, "bytes_scanned", s.size, "bytes_total", size)
			nextReport += progressEvery
		}
	}
}

func (l *Log) cutSegment(s *segment, pos, size int64, cause error) error {
	l.logger.Warn("truncating torn or corrupt log tail",
		"segment", s.base, "position", pos, "offset", s.next, "bytes_dropped", size-pos, "cause", cause)
	if err := s.log.Truncate(pos); err != nil {
		return fmt.Errorf("truncate %s: %w", s.log.Name(), err)
	}
	return s.syncAll()
}

// readLogStartOffset reads the log-start-offset file ("0\n<offset>\n");
// -1 if there is none.
func (l *Log) readLogStartOffset() (int64, error) {
	b, ok, err := readFileIfExists(l.fsys, path.Join(l.dir, logStartOffsetName))
	if err != nil || !ok {
		return -1, err
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 || lines[0] != "0" {
		l.logger.Warn("ignoring malformed log-start-offset file", "content", string(b))
		return -1, nil
	}
	off, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || off < 0 {
		l.logger.Warn("ignoring malformed log-start-offset file", "content", string(b))
		return -1, nil
	}
	return off, nil
}

func (l *Log) writeLogStartOffsetLocked(off int64) error {
	return writeFileAtomic(l.fsys, l.dir, logStartOffsetName, fmt.Appendf(nil, "0\n%d\n", off))
}

// loadEpochs reads the leader epoch checkpoint and drops entries outside
// [start, next).
func (l *Log) loadEpochs() error {
	b, ok, err := readFileIfExists(l.fsys, path.Join(l.dir, epochCheckpointName))
	if err != nil || !ok {
		return err
	}
	c, err := decodeEpochCheckpoint(b)
	if err != nil {
		l.logger.Warn("ignoring unreadable leader epoch checkpoint", "err", err)
		return nil
	}
	l.mu.epochs = c
	changed := l.mu.epochs.truncateFromEnd(l.mu.next)
	if l.mu.epochs.truncateFromStart(l.mu.start) || changed {
		return l.writeEpochsLocked()
	}
	return nil
}

// rebuildProducersLocked loads the newest usable producer snapshot at or
// below the log end offset (deleting newer ones) and replays the batch
// headers after it.
func (l *Log) rebuildProducersLocked() error {
	offs, err := l.listSnapshots()
	if err != nil {
		return err
	}
	l.mu.producers = producers{}
	from := int64(math.MinInt64)
	for i := len(offs) - 1; i >= 0; i-- {
		p := path.Join(l.dir, segmentName(offs[i], snapshotSuffix))
		if offs[i] > l.mu.next {
			if err := removeIfExists(l.fsys, p); err != nil {
				return err
			}
			continue
		}
		b, ok, err := readFileIfExists(l.fsys, p)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		st, err := decodeSnapshot(b)
		if err != nil {
			l.logger.Warn("ignoring unreadable producer snapshot", "file", p, "err", err)
			continue
		}
		l.mu.producers, from = st, offs[i]
		break
	}
	if err := l.loadTxnIndexesLocked(max(from, 0)); err != nil {
		return err
	}
	l.rebuildTxnsLocked()
	return l.replayProducersLocked(from)
}

// replayProducersLocked updates producer state with every batch whose base
// offset is >= from.
func (l *Log) replayProducersLocked(from int64) error {
	for _, s := range l.mu.segs {
		if s.next <= from || s.size == 0 {
			continue
		}
		pos := int64(0)
		if from > s.base {
			var err error
			if pos, err = s.index.lookup(s.index.n, s.relOffset(from)); err != nil {
				return err
			}
		}
		sc := newBatchScanner(s.log, pos, s.size, scanBufSize, false)
		for {
			h, bpos, _, err := sc.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if h.BaseOffset >= from {
				if err := l.replayBatchLocked(s, &h, bpos); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// replayBatchLocked applies one batch header (at pos in s) to the
// producer and transaction state; a control batch is read whole to learn
// its marker type.
func (l *Log) replayBatchLocked(s *segment, h *record.Header, pos int64) error {
	m := noMarker
	if h.IsControl() && h.HasProducer() {
		b := make([]byte, h.Size())
		if _, err := s.log.ReadAt(b, pos); err != nil {
			return fmt.Errorf("read control batch at %s:%d: %w", s.log.Name(), pos, err)
		}
		var err error
		if m, err = markerOf(h, b); err != nil {
			l.logger.Warn("ignoring an unreadable control batch", "offset", h.BaseOffset, "err", err)
		}
	}
	done := l.mu.producers.update(h, appendTimeOf(h), m)
	return l.trackTxnLocked(s, h, done, m == abortMarker)
}
