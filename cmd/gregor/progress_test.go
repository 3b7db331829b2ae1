package main

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the progress goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgress(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := t0
	var out syncBuffer
	p := newProgress("consumed", &out, func() time.Time { return now })
	ticks := make(chan time.Time)
	p.start(ticks)
	p.add(500, 5000)
	ticks <- t0.Add(time.Second)
	p.add(1500, 15000)
	ticks <- t0.Add(2 * time.Second) // unbuffered: the first line is written by now
	p.stop()                         // the second line is written before stop returns
	want := "consumed 500 records (500 rec/s)\nconsumed 2000 records (1500 rec/s)\n"
	if got := out.String(); got != want {
		t.Fatalf("progress lines:\n%q\nwant\n%q", got, want)
	}
	now = t0.Add(2 * time.Second)
	n, s := p.summary()
	if n != 2000 || s != "in 2s (1000 rec/s, 0.01 MB/s)" {
		t.Fatalf("summary = %d %q", n, s)
	}
}

func TestPerSecond(t *testing.T) {
	if perSecond(10, 0) != 0 || perSecond(10, 2*time.Second) != 5 {
		t.Fatal("perSecond")
	}
}
