package main

import (
	"math/bits"
	"sync"
	"time"
)

// histogram counts durations in log-linear buckets: exact below 128 ns,
// then 64 buckets per power of two (under 1.6% relative error), so a
// latency run of any length uses a fixed 30 KiB. Safe for concurrent use.
type histogram struct {
	mu     sync.Mutex
	counts [histBuckets]uint64
	n      uint64
	sum    float64
	max    int64
}

const (
	histSubBits = 7 // 1<<histSubBits exact values, then 1<<(histSubBits-1) buckets per octave
	histHalf    = 1 << (histSubBits - 1)
	histBuckets = (64-histSubBits+1)*histHalf + histHalf
)

// histIndex maps a non-negative value to its bucket.
func histIndex(v int64) int {
	if v < 1<<histSubBits {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - histSubBits // >= 1
	return e*histHalf + int(uint64(v)>>e)
}

// histUpper is the largest value in bucket i.
func histUpper(i int) int64 {
	if i < 1<<histSubBits {
		return int64(i)
	}
	e := i/histHalf - 1
	m := int64(i - e*histHalf)
	return (m+1)<<e - 1
}

// record adds one duration; negative durations count as zero.
func (h *histogram) record(d time.Duration) {
	v := max(int64(d), 0)
	h.mu.Lock()
	h.counts[histIndex(v)]++
	h.n++
	h.sum += float64(v)
	h.max = max(h.max, v)
	h.mu.Unlock()
}

// quantile returns the upper bound of the bucket holding the q-quantile
// (0 < q <= 1), capped at the largest value seen; 0 when empty.
func (h *histogram) quantile(q float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	want := uint64(q*float64(h.n) + 0.5)
	want = min(max(want, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= want {
			return time.Duration(min(histUpper(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// latencySummary is a histogram's report, in milliseconds.
type latencySummary struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
}

func (h *histogram) summary() *latencySummary {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	s := &latencySummary{P50: ms(h.quantile(0.5)), P99: ms(h.quantile(0.99)), P999: ms(h.quantile(0.999))}
	h.mu.Lock()
	defer h.mu.Unlock()
	s.Count, s.Max = h.n, ms(time.Duration(h.max))
	if h.n > 0 {
		s.Mean = h.sum / float64(h.n) / 1e6
	}
	return s
}
