package broker

import (
	"math"
	"time"
)

func (b *Broker) startLoops() {
	b.wg.Add(1)
	go b.reconcileLoop()

	// log.retention.check.interval.ms: retention and producer expiry.
	retention := time.Duration(b.static.LogRetentionCheckIntervalMs) * time.Millisecond
	if retention <= 0 {
		retention = 5 * time.Minute
	}
	b.every(retention, b.parts.EnforceRetention)
	// Topic-level flush.ms (only topics that relax fsync-before-ack).
	b.every(time.Second, b.parts.FlushDue)
	// log.flush.interval.ms is math.MaxInt64 when unset: no timer.
	if ms := b.static.LogFlushIntervalMs; ms > 0 && ms < math.MaxInt64/int64(time.Millisecond) {
		b.every(time.Duration(ms)*time.Millisecond, func(time.Time) { b.parts.FlushAll() })
	}
}

// reconcileLoop applies every new metadata image. It takes the change
// channel before applying, so an image that arrives while it applies (or
// between Start's first apply and this loop, such as this broker's own
// registration, which ready.go waits for) is never missed. A failed apply
// (a partition that could not be opened: out of file descriptors, a disk
// error) is retried after a back-off of 1 s doubling to 30 s, even if no
// new image comes.
func (b *Broker) reconcileLoop() {
	defer b.wg.Done()
	var backoff time.Duration
	for {
		changed := b.meta.Changed()
		var retry <-chan time.Time
		if err := b.apply(); err != nil {
			backoff = min(max(2*backoff, time.Second), 30*time.Second)
			b.logger.Error("applying metadata to partitions failed; retrying", "err", err, "retry_in", backoff)
			retry = time.After(backoff)
		} else {
			backoff = 0
		}
		select {
		case <-b.stop:
			return
		case <-changed:
		case <-retry:
		}
	}
}

// every runs fn on a goroutine of its own each period until Close.
func (b *Broker) every(period time.Duration, fn func(now time.Time)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case now := <-t.C:
				fn(now)
			}
		}
	}()
}
