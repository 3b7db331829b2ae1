package log

import (
	"errors"
	"fmt"
	"path"

	"github.com/gregor-streaming/gregor/internal/record"
)

// ErrReplicaMismatch: a replicated batch does not continue the log (its
// base offset is not the log end offset, or the producer state refused
// it). The follower must truncate and fetch again; nothing was written.
var ErrReplicaMismatch = errors.New("replicated batch does not continue the log")

// AppendReplicated appends record batches fetched from the partition
// leader, keeping the offsets, leader epochs and timestamps the leader
// gave them (a follower's log is a byte-for-byte prefix of the leader's).
// batches is a concatenation of whole batches; a trailing partial batch
// (a fetch cut at max bytes) is ignored. It returns how many bytes were
// appended. Each batch's CRC-32C is checked; the producer state and the
// leader epoch cache advance as for Append. The caller (the partition's
// single fetcher) must be the only writer: a follower's log takes no
// produce requests. Like Append, it does not fsync.
func (l *Log) AppendReplicated(batches []byte) (int, error) {
	done := 0
	for len(batches)-done >= record.HeaderSize {
		size := record.BatchSize(batches[done:])
		if size < 0 || size > len(batches)-done {
			break // partial batch at the end of a fetch
		}
		b := batches[done : done+size]
		h, err := record.Validate(b)
		if err != nil {
			return done, err
		}
		if next := l.NextOffset(); h.BaseOffset != next {
			if done == 0 && l.StartOffset() == next && h.BaseOffset >= 0 && h.BaseOffset < next && h.LastOffset() >= next {
				// An empty log reset to the leader's log start, which
				// falls inside this batch: hold the whole batch, as
				// the leader does, with the log start kept.
				if err := l.appendAround(b, next); err != nil {
					return done, err
				}
				done += size
				continue
			}
			return done, fmt.Errorf("%w: batch at offset %d, log end offset is %d", ErrReplicaMismatch, h.BaseOffset, next)
		}
		// Append keeps the base offset (it equals the log end offset),
		// restamps the same leader epoch and leaves the timestamps.
		res, err := l.Append(b, AppendOptions{LeaderEpoch: h.PartitionLeaderEpoch, LogAppendTime: -1})
		if err != nil {
			if errors.Is(err, ErrOutOfOrderSequence) || errors.Is(err, ErrInvalidProducerEpoch) {
				return done, fmt.Errorf("%w: %w", ErrReplicaMismatch, err)
			}
			return done, err
		}
		if res.Duplicate || res.BaseOffset != h.BaseOffset {
			return done, fmt.Errorf("%w: batch at %d stored at %d (duplicate %v)", ErrReplicaMismatch, h.BaseOffset, res.BaseOffset, res.Duplicate)
		}
		done += size
	}
	return done, nil
}

// TruncateReplica is TruncateTo for a follower cutting its divergent
// suffix: it also drops the leader epoch entries that start at or after
// the new log end offset when no batch is removed (an epoch this replica
// took as leader without writing anything, which no other replica knows).
func (l *Log) TruncateReplica(offset int64) error {
	if err := l.TruncateTo(offset); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return ErrClosed
	}
	if l.mu.epochs.truncateFromEnd(min(offset, l.mu.next)) {
		return l.writeEpochsLocked()
	}
	return nil
}

// appendAround restarts an empty log at batch's base offset, appends it
// and moves the log start offset back to start (inside the batch).
func (l *Log) appendAround(batch []byte, start int64) error {
	h, err := record.ParseHeader(batch)
	if err != nil {
		return err
	}
	if err := l.ResetReplica(h.BaseOffset); err != nil {
		return err
	}
	if _, err := l.Append(batch, AppendOptions{LeaderEpoch: h.PartitionLeaderEpoch, LogAppendTime: -1}); err != nil {
		return err
	}
	return l.DeleteRecordsBefore(start)
}

// ResetReplica empties a follower's log and restarts it at offset, the
// leader's log start offset, when everything the follower would fetch
// next was deleted on the leader (retention, DeleteRecords). Every
// segment, the leader epoch cache and the producer state (and snapshots)
// are dropped; the log start offset file records offset first, so a
// crash midway reopens at offset or with the old log intact. offset below
// the log end offset of a non-empty log is ErrOffsetOutOfRange (that is
// TruncateReplica's job).
func (l *Log) ResetReplica(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return err
	}
	if offset < 0 || offset < l.mu.next && l.mu.start != l.mu.next {
		return fmt.Errorf("%w: reset to %d below the log end offset %d", ErrOffsetOutOfRange, offset, l.mu.next)
	}
	if err := l.writeLogStartOffsetLocked(offset); err != nil {
		return err
	}
	if a := l.active(); a.base != offset {
		s, err := openSegment(l.fsys, l.dir, offset, true)
		if err != nil {
			return err
		}
		if err := l.fsys.SyncDir(l.dir); err != nil {
			return errors.Join(err, s.remove(l.fsys, l.dir))
		}
		l.mu.segs = append(l.mu.segs, s)
	}
	l.mu.next, l.mu.start = offset, offset
	l.mu.created = l.now()
	errs := []error{l.deleteOldestLocked(len(l.mu.segs)-1, "reset replica to the leader's log start")}
	l.mu.epochs = epochCache{}
	errs = append(errs, l.writeEpochsLocked())
	offs, err := l.listSnapshots()
	errs = append(errs, err)
	for _, o := range offs {
		errs = append(errs, removeIfExists(l.fsys, path.Join(l.dir, segmentName(o, snapshotSuffix))))
	}
	l.mu.producers = producers{}
	l.rebuildTxnsLocked()
	l.flush.mu.Lock()
	l.flush.durable = offset // nothing below offset is left to sync
	l.flush.gen++
	l.flush.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		l.mu.failed = fmt.Errorf("%w: reset replica: %w", ErrFailed, err)
		return l.mu.failed
	}
	return nil
}
