package log

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/record"
)

// snapshotsKept is how many producer snapshots are kept on disk.
const snapshotsKept = 3

// Log is one partition replica's durable log. See the package doc for the
// concurrency contract and lock order.
type Log struct {
	fsys   fs.FS
	dir    string
	logger *slog.Logger
	now    func() time.Time

	// files is held shared by Read, OffsetForTimestamp and Flush while
	// they use segment files without mu, and exclusively (under mu) to
	// close, remove or truncate segment files.
	files sync.RWMutex

	mu struct {
		sync.Mutex
		cfg       Config
		segs      []*segment // by base offset; the last is active
		next      int64      // log end offset
		start     int64      // log start offset
		epochs    epochCache
		producers producers
		txns      txnState
		closed    bool
		failed    error // non-nil: appends refused (wraps ErrFailed)
		created   time.Time
	}

	flush flusher
}

// Open opens the log in dir (creating it if missing) and recovers it: see
// docs/storage.md. The returned Log owns its files until Close or Delete.
func Open(fsys fs.FS, dir string, cfg Config, opts Options) (*Log, error) {
	l := &Log{fsys: fsys, dir: dir, logger: opts.Logger, now: opts.Now}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.mu.cfg = cfg.normalized()
	l.mu.producers = producers{}
	if err := fsys.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("create log dir %s: %w", dir, err)
	}
	if err := l.recover(); err != nil {
		for _, s := range l.mu.segs {
			_ = s.close() // recovery already failed; its error is the one to report
		}
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	l.flush.durable = l.mu.next
	return l, nil
}

// Append appends one batch (already checked by record.Validate) and returns
// its offsets. It takes ownership of batch and rewrites its base offset,
// leader epoch and, if asked, its timestamp type in place. Idempotence
// errors are ErrInvalidProducerEpoch and ErrOutOfOrderSequence; a retried
// batch returns Duplicate with its original offsets. Append does not fsync:
// call Flush for durability.
func (l *Log) Append(batch []byte, a AppendOptions) (AppendResult, error) {
	h, err := record.ParseHeader(batch)
	if err != nil {
		return AppendResult{}, err
	}
	if h.Size() != len(batch) {
		return AppendResult{}, fmt.Errorf("%w: batch length field says %d bytes, got %d", record.ErrCorrupt, h.Size(), len(batch))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return AppendResult{}, err
	}
	res := AppendResult{LogAppendTime: -1, LogStartOffset: l.mu.start}
	dup, err := l.mu.producers.check(&h)
	if err != nil {
		return res, err
	}
	m, err := markerOf(&h, batch)
	if err != nil {
		return res, err
	}
	if dup != nil {
		res.BaseOffset, res.LastOffset, res.LogAppendTime, res.Duplicate = dup.FirstOffset, dup.LastOffset, dup.AppendTime, true
		return res, nil
	}
	record.SetBaseOffset(batch, l.mu.next)
	if a.LeaderEpoch >= 0 {
		record.SetPartitionLeaderEpoch(batch, a.LeaderEpoch)
	}
	if a.LogAppendTime >= 0 {
		record.SetLogAppendTime(batch, a.LogAppendTime)
		res.LogAppendTime = a.LogAppendTime
	}
	if h, err = record.ParseHeader(batch); err != nil {
		return res, err
	}
	if err := l.maybeRollLocked(&h); err != nil {
		return res, err
	}
	if err := l.writeBatchLocked(&h, batch); err != nil {
		return res, err
	}
	if a.LeaderEpoch >= 0 && a.LeaderEpoch > l.mu.epochs.latest() {
		l.mu.epochs.assign(a.LeaderEpoch, h.BaseOffset)
		if err := l.writeEpochsLocked(); err != nil {
			// The batch is in the log; the cache is right in memory and is
			// rewritten at the next epoch change or close.
			l.logger.Error("writing leader epoch checkpoint failed", "epoch", a.LeaderEpoch, "err", err)
		}
	}
	done := l.mu.producers.update(&h, res.LogAppendTime, m)
	l.mu.next = h.LastOffset() + 1
	res.BaseOffset, res.LastOffset = h.BaseOffset, h.LastOffset()
	if err := l.trackTxnLocked(l.active(), &h, done, m == abortMarker); err != nil {
		// The marker is in the log; recovery rebuilds the index entry
		// from it. Until then the failed log refuses appends.
		l.mu.failed = fmt.Errorf("%w: %w", ErrFailed, err)
		return res, l.mu.failed
	}
	return res, nil
}

func (l *Log) writableLocked() error {
	if l.mu.closed {
		return ErrClosed
	}
	return l.mu.failed
}

func (l *Log) active() *segment { return l.mu.segs[len(l.mu.segs)-1] }

// writeBatchLocked writes batch at the end of the active segment and
// indexes it. A failed write is cut off again; if that fails too the log is
// marked failed.
func (l *Log) writeBatchLocked(h *record.Header, batch []byte) error {
	s := l.active()
	pos := s.size
	if _, err := s.log.Write(batch); err != nil {
		if terr := s.log.Truncate(pos); terr != nil {
			l.mu.failed = fmt.Errorf("%w: write: %w; undoing it: %w", ErrFailed, err, terr)
			return l.mu.failed
		}
		return fmt.Errorf("append to %s: %w", s.log.Name(), err)
	}
	s.track(h, pos)
	if err := s.indexBatch(h, pos, l.mu.cfg.IndexIntervalBytes); err != nil {
		l.mu.failed = fmt.Errorf("%w: %w", ErrFailed, err)
		return l.mu.failed
	}
	return nil
}

// maybeRollLocked starts a new segment if the batch would take the active
// one past segment.bytes, the active one is older than segment.ms, or the
// batch's offsets do not fit the 32-bit relative offsets of the indexes.
func (l *Log) maybeRollLocked(h *record.Header) error {
	s := l.active()
	if s.size == 0 {
		return nil
	}
	cfg := l.mu.cfg
	// segment.ms counts from the first batch's timestamp as in Kafka, but
	// never from before the segment was created or opened: a producer
	// sending old timestamps must not roll a segment per batch.
	age := l.now().UnixMilli() - max(s.firstTs, l.mu.created.UnixMilli())
	if s.size+int64(h.Size()) <= cfg.SegmentBytes && age <= cfg.SegmentMs && s.fits(h.LastOffset()) {
		return nil
	}
	return l.rollLocked()
}

// rollLocked makes the active segment durable and read-only and starts a
// new one at the log end offset, with a producer snapshot.
func (l *Log) rollLocked() error {
	old := l.active()
	if err := old.finishTimeIndex(); err != nil {
		return err
	}
	if err := old.syncAll(); err != nil {
		return err
	}
	s, err := openSegment(l.fsys, l.dir, l.mu.next, true)
	if err != nil {
		return err
	}
	if err := l.fsys.SyncDir(l.dir); err != nil {
		return fmt.Errorf("roll segment: sync dir: %w", errors.Join(err, s.remove(l.fsys, l.dir)))
	}
	l.mu.segs = append(l.mu.segs, s)
	l.mu.created = l.now()
	l.logger.Info("rolled segment", "base_offset", s.base, "previous_bytes", old.size)
	if err := l.writeSnapshotLocked(); err != nil {
		// Snapshots only shorten recovery: it rebuilds state by scanning.
		l.logger.Warn("writing producer snapshot failed", "offset", l.mu.next, "err", err)
	}
	return nil
}

// writeSnapshotLocked writes the producer state as <next>.snapshot and
// prunes old snapshots.
func (l *Log) writeSnapshotLocked() error {
	name := segmentName(l.mu.next, snapshotSuffix)
	if err := writeFileAtomic(l.fsys, l.dir, name, encodeSnapshot(l.mu.producers)); err != nil {
		return err
	}
	offs, err := l.listSnapshots()
	if err != nil {
		return err
	}
	for i := 0; i < len(offs)-snapshotsKept; i++ {
		if err := removeIfExists(l.fsys, path.Join(l.dir, segmentName(offs[i], snapshotSuffix))); err != nil {
			return err
		}
	}
	return nil
}

// listSnapshots returns the offsets of the snapshot files, ascending.
func (l *Log) listSnapshots() ([]int64, error) {
	names, err := l.fsys.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	var offs []int64
	for _, n := range names {
		if off, ok := parseSegmentName(n, snapshotSuffix); ok {
			offs = append(offs, off)
		}
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	return offs, nil
}

func (l *Log) writeEpochsLocked() error {
	return writeFileAtomic(l.fsys, l.dir, epochCheckpointName, l.mu.epochs.encode())
}

// NextOffset returns the log end offset: the offset the next batch gets.
func (l *Log) NextOffset() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.next
}

// StartOffset returns the log start offset.
func (l *Log) StartOffset() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.start
}

// Size returns the bytes in the log's .log files.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for _, s := range l.mu.segs {
		n += s.size
	}
	return n
}

// SetConfig replaces the configuration; it applies from the next append
// or retention pass.
func (l *Log) SetConfig(cfg Config) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mu.cfg = cfg.normalized()
}

// AssignEpochStartOffset records in the leader epoch cache (and its
// checkpoint file) that epoch starts at offset.
func (l *Log) AssignEpochStartOffset(epoch int32, offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return ErrClosed
	}
	if epoch < 0 || offset < 0 {
		return fmt.Errorf("leader epoch %d at offset %d: both must be >= 0", epoch, offset)
	}
	if !l.mu.epochs.assign(epoch, offset) {
		return nil
	}
	return l.writeEpochsLocked()
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the largest known epoch
// <= epoch and the start offset of the next higher epoch (the log end
// offset for the latest epoch); (-1, -1) if unknown.
func (l *Log) EndOffsetForEpoch(epoch int32) (leaderEpoch int32, endOffset int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.epochs.endOffsetFor(epoch, l.mu.next)
}

// LatestEpoch returns the latest leader epoch in the cache, -1 if none.
func (l *Log) LatestEpoch() int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.epochs.latest()
}

// Producers returns the idempotent producers' state, by producer id.
func (l *Log) Producers() []ProducerInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.producers.info()
}

// ExpireProducers forgets producers whose last batch's timestamp is more
// than producer.id.expiration.ms before now, and returns how many.
func (l *Log) ExpireProducers(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.producers.expire(now.UnixMilli() - l.mu.cfg.MaxProducerIdleMs)
}
