package log

import (
	"fmt"
	"sync"
)

// flusher is the group-commit state. Its mu is the last lock in the lock
// order and is never held during I/O.
type flusher struct {
	mu      sync.Mutex
	durable int64       // every offset below is fsynced
	gen     uint64      // bumped by TruncateTo: results of older rounds are void
	round   *flushRound // the fsync in flight, nil if none
}

// flushRound is one fsync pass; waiters block on done.
type flushRound struct {
	done chan struct{}
	err  error
}

// Flush returns once every offset below upTo (clamped to the log end
// offset) is fsynced. If one is in flight, Flush waits for it and, if it
// did not cover upTo, starts the next; one fsync pass covers every byte
// appended before it began, so concurrent callers share it (group commit).
// Appends continue during the fsync. An fsync error fails the log
// (ErrFailed): after a failed fsync the kernel may have dropped the dirty
// pages, so no later fsync can vouch for them.
func (l *Log) Flush(upTo int64) error {
	for {
		l.mu.Lock()
		upTo = min(upTo, l.mu.next)
		l.mu.Unlock()
		l.flush.mu.Lock()
		if upTo <= l.flush.durable {
			l.flush.mu.Unlock()
			return nil
		}
		if r := l.flush.round; r != nil {
			l.flush.mu.Unlock()
			<-r.done
			if r.err != nil {
				return r.err
			}
			continue
		}
		r := &flushRound{done: make(chan struct{})}
		l.flush.round = r
		gen := l.flush.gen
		l.flush.mu.Unlock()

		end, err := l.syncDirty()
		if err != nil {
			l.mu.Lock()
			if l.mu.failed == nil && !l.mu.closed {
				l.mu.failed = fmt.Errorf("%w: %w", ErrFailed, err)
			}
			l.mu.Unlock()
		}
		l.flush.mu.Lock()
		if err == nil && gen == l.flush.gen && end > l.flush.durable {
			l.flush.durable = end
		}
		r.err = err
		l.flush.round = nil
		close(r.done)
		l.flush.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// syncDirty fsyncs every segment with unsynced bytes and returns the log
// end offset those bytes reach.
func (l *Log) syncDirty() (int64, error) {
	type job struct {
		s    *segment
		size int64
	}
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return 0, ErrClosed
	}
	if l.mu.failed != nil {
		err := l.mu.failed
		l.mu.Unlock()
		return 0, err
	}
	end := l.mu.next
	var jobs []job
	for _, s := range l.mu.segs {
		if s.synced.Load() < s.size {
			jobs = append(jobs, job{s, s.size})
		}
	}
	l.files.RLock()
	l.mu.Unlock()
	defer l.files.RUnlock()
	for _, j := range jobs {
		if err := j.s.log.Sync(); err != nil {
			return 0, fmt.Errorf("fsync %s: %w", j.s.log.Name(), err)
		}
		j.s.markSynced(j.size)
	}
	return end, nil
}

// DurableOffset returns the offset below which everything is fsynced.
func (l *Log) DurableOffset() int64 {
	l.flush.mu.Lock()
	defer l.flush.mu.Unlock()
	return l.flush.durable
}

// resetDurableLocked lowers the durable offset to next after a truncation
// and voids fsync rounds in flight. Called with l.mu held.
func (l *Log) resetDurableLocked() {
	l.flush.mu.Lock()
	defer l.flush.mu.Unlock()
	l.flush.durable = min(l.flush.durable, l.mu.next)
	l.flush.gen++
}
