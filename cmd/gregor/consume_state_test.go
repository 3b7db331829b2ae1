package main

import (
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestComputeBounds(t *testing.T) {
	seen := offsetsSeen{
		starts:    map[int32]int64{0: 0, 1: 10, 2: 5},
		ends:      map[int32]int64{0: 100, 1: 10, 2: 50},
		committed: map[int32]int64{2: 40, 0: -1},
	}
	got, err := computeBounds(position{kind: posFromEnd, n: 20}, seen, nil)
	want := map[int32]partBounds{0: {80, 100}, 1: {10, 10}, 2: {40, 50}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("computeBounds = %v, %v; want %v", got, err, want)
	}
	got, err = computeBounds(position{kind: posEarliest}, seen, []int32{1})
	if err != nil || !reflect.DeepEqual(got, map[int32]partBounds{1: {10, 10}}) {
		t.Fatalf("only partition 1: %v, %v", got, err)
	}
	if _, err := computeBounds(position{}, seen, []int32{7}); !errors.Is(err, errNoSuchPartition) {
		t.Fatalf("partition 7: %v, want errNoSuchPartition", err)
	}
	if ps := sortedPartitions(want); !reflect.DeepEqual(ps, []int32{0, 1, 2}) {
		t.Fatalf("sortedPartitions = %v", ps)
	}
}

func TestComputeBoundsTimestamp(t *testing.T) {
	seen := offsetsSeen{
		starts: map[int32]int64{0: 0, 1: 0},
		ends:   map[int32]int64{0: 10, 1: 10},
		atTime: map[int32]int64{0: 4, 1: -1},
	}
	got, err := computeBounds(position{kind: posTimestamp, n: 1}, seen, nil)
	want := map[int32]partBounds{0: {4, 10}, 1: {10, 10}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("computeBounds = %v, %v; want %v", got, err, want)
	}
}

func rec(p int32, o int64) *kgo.Record { return &kgo.Record{Partition: p, Offset: o} }

func controlRec(p int32, o int64) *kgo.Record {
	r := rec(p, o)
	r.Attrs = kgo.NewRecordAttrs(kgo.RecordAttrsOpts{Control: true})
	return r
}

func TestTrackerUntilEnd(t *testing.T) {
	bounds := map[int32]partBounds{0: {0, 2}, 1: {5, 5}, 2: {0, 3}}
	tr := newConsumeTracker(0, true, bounds)
	steps := []struct {
		r         *kgo.Record
		wantPrint bool
		wantDone  bool
	}{
		{rec(0, 0), true, false},
		{rec(2, 0), true, false},
		{rec(0, 1), true, false},  // partition 0 reaches its end (2)
		{rec(0, 2), false, false}, // past the end seen at start: not printed
		{rec(2, 1), true, false},
		{controlRec(2, 2), false, true}, // a commit marker ends partition 2
	}
	for i, s := range steps {
		if got := tr.observe(s.r); got != s.wantPrint {
			t.Fatalf("step %d: print = %t, want %t", i, got, s.wantPrint)
		}
		if got := tr.done(); got != s.wantDone {
			t.Fatalf("step %d: done = %t, want %t", i, got, s.wantDone)
		}
	}
}

func TestTrackerAlreadyAtEnd(t *testing.T) {
	tr := newConsumeTracker(0, true, map[int32]partBounds{0: {3, 3}})
	if !tr.done() {
		t.Fatal("a partition starting at its end should be done at once")
	}
	if tr := newConsumeTracker(0, false, map[int32]partBounds{0: {3, 3}}); tr.done() {
		t.Fatal("without --until-end consume never ends by itself")
	}
}

func TestTrackerCount(t *testing.T) {
	tr := newConsumeTracker(2, false, nil)
	if tr.remaining() != 2 {
		t.Fatalf("remaining = %d", tr.remaining())
	}
	if !tr.observe(rec(0, 0)) || tr.observe(controlRec(0, 1)) || !tr.observe(rec(0, 2)) {
		t.Fatal("first two data records should print, the control record not")
	}
	if !tr.done() || tr.observe(rec(0, 3)) || tr.remaining() != 0 {
		t.Fatal("done after two records")
	}
	if newConsumeTracker(0, false, nil).remaining() != 0 {
		t.Fatal("no limit: remaining 0")
	}
}
