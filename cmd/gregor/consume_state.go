package main

import (
	"errors"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"
)

// errNoSuchPartition is returned when --partition names a partition the
// topic does not have.
var errNoSuchPartition = errors.New("no such partition")

// partBounds is where consume starts in one partition and the end offset
// (high watermark, or last stable offset under read_committed) seen when it
// started.
type partBounds struct {
	start, end int64
}

// offsetsSeen is what the brokers said about one topic before consuming,
// per partition: log start offsets, end offsets, the offsets found for a
// --from @TIMESTAMP (nil otherwise) and the group's committed offsets (nil
// without --group; a missing partition has no commit).
type offsetsSeen struct {
	starts, ends, atTime, committed map[int32]int64
}

// computeBounds picks the partitions to consume (only, or all when only is
// empty) and where each starts: at its committed offset if the group has
// one, otherwise at pos resolved against that partition's offsets.
func computeBounds(pos position, seen offsetsSeen, only []int32) (map[int32]partBounds, error) {
	parts := only
	if len(parts) == 0 {
		for p := range seen.starts {
			parts = append(parts, p)
		}
	}
	out := make(map[int32]partBounds, len(parts))
	for _, p := range parts {
		start, ok := seen.starts[p]
		end, okEnd := seen.ends[p]
		if !ok || !okEnd {
			return nil, fmt.Errorf("partition %d: %w (the topic has %d)",
				p, errNoSuchPartition, len(seen.starts))
		}
		at := int64(-1)
		if t, ok := seen.atTime[p]; ok {
			at = t
		}
		b := partBounds{start: pos.resolve(start, end, at), end: end}
		if c, ok := seen.committed[p]; ok && c >= 0 {
			b.start = c
		}
		out[p] = b
	}
	return out, nil
}

// sortedPartitions returns the keys of bounds in increasing order.
func sortedPartitions(bounds map[int32]partBounds) []int32 {
	ps := make([]int32, 0, len(bounds))
	for p := range bounds {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}

// consumeTracker decides, record by record, what consume prints and when it
// is done. It is used from one goroutine only.
type consumeTracker struct {
	limit    int64           // stop after this many printed records; 0: no limit
	untilEnd bool            // stop once every partition reached its end
	ends     map[int32]int64 // end offset per partition, for untilEnd
	pending  map[int32]bool  // partitions not yet at their end, for untilEnd
	printed  int64
}

// newConsumeTracker starts tracking. With untilEnd, partitions whose start
// is already at their end are done from the beginning.
func newConsumeTracker(limit int64, untilEnd bool, bounds map[int32]partBounds) *consumeTracker {
	t := &consumeTracker{limit: limit, untilEnd: untilEnd,
		ends: make(map[int32]int64), pending: make(map[int32]bool)}
	if untilEnd {
		for p, b := range bounds {
			t.ends[p] = b.end
			if b.start < b.end {
				t.pending[p] = true
			}
		}
	}
	return t
}

// observe takes the next consumed record (including control records, which
// consume asks kgo to keep so that it sees every offset up to the end) and
// reports whether to print it.
func (t *consumeTracker) observe(r *kgo.Record) bool {
	if t.done() {
		return false
	}
	if t.untilEnd {
		end, ok := t.ends[r.Partition]
		if !ok || r.Offset >= end {
			delete(t.pending, r.Partition)
			return false
		}
		if r.Offset+1 >= end {
			delete(t.pending, r.Partition)
		}
	}
	if r.Attrs.IsControl() {
		return false
	}
	t.printed++
	return true
}

// done reports whether consume should stop.
func (t *consumeTracker) done() bool {
	if t.limit > 0 && t.printed >= t.limit {
		return true
	}
	return t.untilEnd && len(t.pending) == 0
}

// remaining is how many records may still be printed; 0 means no limit.
func (t *consumeTracker) remaining() int {
	if t.limit == 0 {
		return 0
	}
	return int(t.limit - t.printed)
}
