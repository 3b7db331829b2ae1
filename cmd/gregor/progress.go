package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progress counts records and bytes of a long-running produce or consume and
// prints a line to w at every tick. add is safe to call from any goroutine;
// start and stop must be called once each, from the same goroutine.
type progress struct {
	verb    string // "produced" or "consumed"
	w       io.Writer
	began   time.Time
	now     func() time.Time
	records atomic.Int64
	bytes   atomic.Int64
	// waiting, if set, counts records sent but not yet acknowledged; the
	// progress line shows it so a stalled produce does not look idle.
	waiting func() int64

	done chan struct{}
	wg   sync.WaitGroup
}

func newProgress(verb string, w io.Writer, now func() time.Time) *progress {
	return &progress{verb: verb, w: w, now: now, began: now(), done: make(chan struct{})}
}

// add counts n records of b bytes.
func (p *progress) add(n, b int64) {
	p.records.Add(n)
	p.bytes.Add(b)
}

// start prints a progress line at each value received from ticks, until
// stop. In production ticks is a one-second ticker, so runs shorter than a
// second print nothing; tests pass their own channel.
func (p *progress) start(ticks <-chan time.Time) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var last int64
		lastAt := p.began
		for {
			select {
			case <-p.done:
				return
			case at := <-ticks:
				n := p.records.Load()
				rate := perSecond(n-last, at.Sub(lastAt))
				// A failed progress write must not stop the real work;
				// the summary line reports any problem with stderr.
				_, _ = fmt.Fprintln(p.w, p.line(n, rate))
				last, lastAt = n, at
			}
		}
	}()
}

// line is one progress line.
func (p *progress) line(n int64, rate float64) string {
	s := fmt.Sprintf("%s %d records (%.0f rec/s)", p.verb, n, rate)
	if p.waiting != nil {
		s += fmt.Sprintf(", %d awaiting acknowledgement", p.waiting())
	}
	return s
}

// stop ends the progress goroutine and waits for it.
func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}

// summary is the closing line: "N records ... in 1.2s (X rec/s, Y MB/s)".
func (p *progress) summary() (records int64, text string) {
	n, b := p.records.Load(), p.bytes.Load()
	d := p.now().Sub(p.began)
	return n, fmt.Sprintf("in %s (%.0f rec/s, %.2f MB/s)",
		d.Round(time.Millisecond), perSecond(n, d), perSecond(b, d)/1e6)
}

// perSecond is n per second over d, 0 for an empty interval.
func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
