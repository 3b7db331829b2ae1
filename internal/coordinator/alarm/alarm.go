package alarm

import (
	"sync"
	"time"
)

// Alarm holds the earliest time set since it was last cleared. Its zero
// value is not usable: use New.
type Alarm struct {
	mu struct {
		sync.Mutex
		next time.Time // zero: none
	}
	wake chan struct{}
}

// New returns an Alarm with no time set.
func New() *Alarm { return &Alarm{wake: make(chan struct{}, 1)} }

// Set makes the alarm ring at t or earlier: when t is before the time
// set (or none is), t becomes the time and the goroutine is woken to
// wait for it. A zero t is ignored.
func (a *Alarm) Set(t time.Time) {
	if t.IsZero() {
		return
	}
	a.mu.Lock()
	if !a.mu.next.IsZero() && !t.Before(a.mu.next) {
		a.mu.Unlock()
		return
	}
	a.mu.next = t
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Clear forgets the time set: the goroutine is about to do all its due
// work, which sets the next times again.
func (a *Alarm) Clear() {
	a.mu.Lock()
	a.mu.next = time.Time{}
	a.mu.Unlock()
}

// Next returns the time set (zero: none).
func (a *Alarm) Next() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mu.next
}

// Timer returns a channel that receives at the time set now (nil, which
// never receives, when none is set) and a function that stops it; call
// stop once done waiting.
func (a *Alarm) Timer() (fire <-chan time.Time, stop func()) {
	next := a.Next()
	if next.IsZero() {
		return nil, func() {}
	}
	t := time.NewTimer(max(time.Until(next), 0))
	return t.C, func() { t.Stop() }
}

// Wake receives after Set moved the time earlier (several Sets before a
// receive deliver one value).
func (a *Alarm) Wake() <-chan struct{} { return a.wake }
