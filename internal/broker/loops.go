package broker

import (
	"math"
	"time"
)

func (b *Broker) startLoops() {
	b.wg.Add(3)
	go b.reconcileLoop()
	go b.retentionLoop()
	go b.flushDueLoop()
	// log.flush.interval.ms is math.MaxInt64 when unset: no timer.
	if ms := b.static.LogFlushIntervalMs; ms > 0 && ms < math.MaxInt64/int64(time.Millisecond) {
		b.wg.Add(1)
		go b.flushLoop(time.Duration(ms) * time.Millisecond)
	}
}

// reconcileLoop applies every new metadata image.
func (b *Broker) reconcileLoop() {
	defer b.wg.Done()
	for {
		changed := b.meta.Changed()
		select {
		case <-b.stop:
			return
		case <-changed:
			if err := b.apply(); err != nil {
				b.logger.Error("applying metadata to partitions failed", "err", err)
			}
		}
	}
}

// retentionLoop deletes expired segments every
// log.retention.check.interval.ms.
func (b *Broker) retentionLoop() {
	defer b.wg.Done()
	every := time.Duration(b.static.LogRetentionCheckIntervalMs) * time.Millisecond
	if every <= 0 {
		every = 5 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case now := <-t.C:
			b.parts.EnforceRetention(now)
		}
	}
}

// flushLoop fsyncs every partition every log.flush.interval.ms (only
// relevant when flush.messages relaxes fsync-before-ack).
func (b *Broker) flushLoop(every time.Duration) {
	defer b.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.parts.FlushAll()
		}
	}
}

// flushDueLoop checks every second for partitions whose topic-level
// flush.ms has passed (only topics that relax fsync-before-ack have any).
func (b *Broker) flushDueLoop() {
	defer b.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case now := <-t.C:
			b.parts.FlushDue(now)
		}
	}
}
