package log

import (
	"errors"
	"fmt"
	"path"
	"time"
)

// DeleteRecordsBefore moves the log start offset to offset (persisted in
// the log-start-offset file) and deletes the segments wholly below it.
// offset above NextOffset is ErrOffsetOutOfRange; at or below StartOffset
// it is a no-op.
func (l *Log) DeleteRecordsBefore(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return ErrClosed
	}
	if offset > l.mu.next {
		return fmt.Errorf("%w: delete records before %d, log end offset is %d", ErrOffsetOutOfRange, offset, l.mu.next)
	}
	if offset <= l.mu.start {
		return nil
	}
	if err := l.writeLogStartOffsetLocked(offset); err != nil {
		return err
	}
	l.mu.start = offset
	k := 0
	for k+1 < len(l.mu.segs) && l.mu.segs[k+1].base <= offset {
		k++
	}
	return errors.Join(l.deleteOldestLocked(k, "delete records"), l.epochsFromStartLocked())
}

// EnforceRetention deletes the oldest segments (never the active one)
// whose largest timestamp is older than retention.ms, or while the log
// without them stays at or above retention.bytes, and moves the log start
// offset past them. A segment without timestamps (all -1) is kept by time
// retention. It returns how many segments it deleted.
func (l *Log) EnforceRetention(now time.Time) (deleted int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return 0, ErrClosed
	}
	cfg := l.mu.cfg
	var total int64
	for _, s := range l.mu.segs {
		total += s.size
	}
	k := 0
	for ; k+1 < len(l.mu.segs); k++ {
		s := l.mu.segs[k]
		expired := cfg.RetentionMs >= 0 && s.maxTs >= 0 && now.UnixMilli()-s.maxTs > cfg.RetentionMs
		oversized := cfg.RetentionBytes >= 0 && total-s.size >= cfg.RetentionBytes
		if !expired && !oversized {
			break
		}
		total -= s.size
	}
	if k == 0 {
		return 0, nil
	}
	l.mu.start = max(l.mu.start, l.mu.segs[k].base)
	return k, errors.Join(l.deleteOldestLocked(k, "retention"), l.epochsFromStartLocked())
}

func (l *Log) epochsFromStartLocked() error {
	if l.mu.epochs.truncateFromStart(l.mu.start) {
		return l.writeEpochsLocked()
	}
	return nil
}

// deleteOldestLocked removes the first k segments.
func (l *Log) deleteOldestLocked(k int, reason string) error {
	if k == 0 {
		return nil
	}
	doomed := l.mu.segs[:k]
	l.mu.segs = append([]*segment(nil), l.mu.segs[k:]...)
	l.files.Lock()
	var errs []error
	for _, s := range doomed {
		l.logger.Info("deleting segment", "reason", reason, "base_offset", s.base, "next_offset", s.next, "bytes", s.size, "max_timestamp", s.maxTs)
		errs = append(errs, s.remove(l.fsys, l.dir))
	}
	l.files.Unlock()
	errs = append(errs, l.fsys.SyncDir(l.dir))
	return errors.Join(errs...)
}

// TruncateTo removes every batch whose last offset is >= offset, so the
// log end offset becomes the base of the first removed batch (offset when
// it falls on a batch boundary). It rewrites the indexes, the leader epoch
// cache and the producer state. offset below StartOffset is
// ErrOffsetOutOfRange; at or above NextOffset it is a no-op.
func (l *Log) TruncateTo(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return ErrClosed
	}
	if offset >= l.mu.next {
		return nil
	}
	if offset < l.mu.start {
		return fmt.Errorf("%w: truncate to %d, log start offset is %d", ErrOffsetOutOfRange, offset, l.mu.start)
	}
	if err := l.truncateSegmentsLocked(offset); err != nil {
		l.mu.failed = fmt.Errorf("%w: truncate: %w", ErrFailed, err)
		return l.mu.failed
	}
	l.mu.next = l.active().next
	l.resetDurableLocked()
	var errs []error
	if l.mu.epochs.truncateFromEnd(l.mu.next) {
		errs = append(errs, l.writeEpochsLocked())
	}
	errs = append(errs, l.rebuildProducersLocked())
	return errors.Join(errs...)
}

func (l *Log) truncateSegmentsLocked(offset int64) error {
	l.files.Lock()
	defer l.files.Unlock()
	k := len(l.mu.segs)
	for k > 1 && l.mu.segs[k-1].base >= offset {
		k--
	}
	var errs []error
	for _, s := range l.mu.segs[k:] {
		l.logger.Info("deleting segment", "reason", "truncate", "base_offset", s.base, "truncate_to", offset)
		errs = append(errs, s.remove(l.fsys, l.dir))
	}
	l.mu.segs = l.mu.segs[:k]
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s := l.active()
	_, pos, _, err := viewOf(s).locate(offset)
	if err != nil {
		return err
	}
	if err := s.log.Truncate(pos); err != nil {
		return err
	}
	if _, err := l.rebuildSegment(s, pos); err != nil {
		return err
	}
	return errors.Join(s.syncAll(), l.fsys.SyncDir(l.dir))
}

// Close makes everything durable, writes a final producer snapshot and
// closes the files. Later calls return nil; other methods return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return nil
	}
	var errs []error
	if l.mu.failed == nil {
		s := l.active()
		errs = append(errs, s.finishTimeIndex())
		for _, s := range l.mu.segs {
			if s.synced.Load() < s.size || s == l.active() {
				errs = append(errs, s.syncAll())
			}
		}
		if err := errors.Join(errs...); err == nil {
			l.flush.mu.Lock()
			l.flush.durable = l.mu.next
			l.flush.mu.Unlock()
			errs = append(errs, l.writeSnapshotLocked())
		}
	}
	l.mu.closed = true
	l.files.Lock()
	for _, s := range l.mu.segs {
		errs = append(errs, s.close())
	}
	l.files.Unlock()
	return errors.Join(errs...)
}

// Delete closes the log and removes its directory.
func (l *Log) Delete() error {
	cerr := l.Close()
	if err := l.fsys.RemoveAll(path.Clean(l.dir)); err != nil {
		return errors.Join(cerr, fmt.Errorf("remove %s: %w", l.dir, err))
	}
	return cerr
}
