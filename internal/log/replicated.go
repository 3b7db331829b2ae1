package log

import (
	"errors"
	"fmt"

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
