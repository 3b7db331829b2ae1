package alarm

import (
	"testing"
	"time"
)

func TestSetKeepsTheEarliestAndWakes(t *testing.T) {
	a := New()
	if fire, stop := a.Timer(); fire != nil {
		stop()
		t.Fatal("Timer of an alarm with no time set is not nil")
	}
	base := time.Now().Add(time.Hour)
	a.Set(time.Time{})
	select {
	case <-a.Wake():
		t.Fatal("a zero time woke the goroutine")
	default:
	}
	a.Set(base)
	<-a.Wake()
	a.Set(base.Add(time.Minute)) // later: ignored, no wake-up
	if got := a.Next(); !got.Equal(base) {
		t.Fatalf("Next = %v, want %v", got, base)
	}
	select {
	case <-a.Wake():
		t.Fatal("a later time woke the goroutine")
	default:
	}
	a.Set(base.Add(-time.Minute))
	a.Set(base.Add(-2 * time.Minute)) // two Sets, one wake-up pending
	<-a.Wake()
	if got := a.Next(); !got.Equal(base.Add(-2 * time.Minute)) {
		t.Fatalf("Next = %v, want the earliest", got)
	}
	a.Clear()
	if got := a.Next(); !got.IsZero() {
		t.Fatalf("Next after Clear = %v", got)
	}
	a.Set(base.Add(time.Minute)) // after Clear any time is the earliest
	if got := a.Next(); !got.Equal(base.Add(time.Minute)) {
		t.Fatalf("Next after Clear and Set = %v", got)
	}
}

func TestTimerFiresAtAPassedTime(t *testing.T) {
	a := New()
	a.Set(time.Now().Add(-time.Second))
	fire, stop := a.Timer()
	defer stop()
	<-fire // a time already passed fires at once
}
