package log

import (
	"errors"
	"testing"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/record"
)

func TestAppendReadAcrossRolls(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.SegmentBytes = 2000 // a few batches per segment
	l := openT(t, fs.OS{}, dir, cfg)
	var results []AppendResult
	for i := 0; i < 60; i++ {
		results = append(results, appendT(t, l, plain(1+i%4, int64(1000+i))))
	}
	check := func(l *Log) {
		t.Helper()
		if len(l.mu.segs) < 3 {
			t.Fatalf("expected several segments, got %d", len(l.mu.segs))
		}
		for _, r := range results {
			for off := r.BaseOffset; off <= r.LastOffset; off++ {
				b, err := l.Read(off, 1, l.NextOffset())
				if err != nil {
					t.Fatalf("Read(%d): %v", off, err)
				}
				hs := batches(t, b)
				if len(hs) != 1 || hs[0].BaseOffset != r.BaseOffset || hs[0].LastOffset() != r.LastOffset {
					t.Fatalf("Read(%d) = %+v, want the batch [%d,%d]", off, hs, r.BaseOffset, r.LastOffset)
				}
				if hs[0].PartitionLeaderEpoch != 1 {
					t.Fatalf("leader epoch %d not stamped", hs[0].PartitionLeaderEpoch)
				}
			}
		}
		// Reading everything in large chunks visits every offset once.
		next := int64(0)
		for next < l.NextOffset() {
			b, err := l.Read(next, 1<<20, l.NextOffset())
			if err != nil {
				t.Fatal(err)
			}
			hs := batches(t, b)
			if len(hs) == 0 || hs[0].BaseOffset != next {
				t.Fatalf("read at %d returned %+v", next, hs)
			}
			next = hs[len(hs)-1].LastOffset() + 1
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openT(t, fs.OS{}, dir, cfg)
	defer l.Close()
	if got, want := l.NextOffset(), results[len(results)-1].LastOffset+1; got != want {
		t.Fatalf("NextOffset after reopen = %d, want %d", got, want)
	}
	check(l)
	r := appendT(t, l, plain(2, 5000))
	if r.BaseOffset != results[len(results)-1].LastOffset+1 {
		t.Fatalf("append after reopen got base %d", r.BaseOffset)
	}
}

func TestReadRules(t *testing.T) {
	l := openT(t, fs.OS{}, t.TempDir(), testConfig())
	defer l.Close()
	// Batches [0,4] [5,9] [10,14], each the same size.
	var size int
	for i := 0; i < 3; i++ {
		b := makeBatch(t, plain(5, 1000))
		size = len(b)
		if _, err := l.Append(b, AppendOptions{LeaderEpoch: 0, LogAppendTime: -1}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		offset    int64
		maxBytes  int
		maxOffset int64
		want      []int64 // base offsets returned
		err       error
	}{
		{"contains offset mid batch", 7, 10 * size, 15, []int64{5, 10}, nil},
		{"KIP-74 first batch beyond maxBytes", 0, 1, 15, []int64{0}, nil},
		{"maxBytes fits exactly two", 0, 2 * size, 15, []int64{0, 5}, nil},
		{"maxBytes just short of two", 0, 2*size - 1, 15, []int64{0}, nil},
		{"high watermark stops", 0, 10 * size, 10, []int64{0, 5}, nil},
		{"batch at high watermark not returned", 10, 10 * size, 10, nil, nil},
		{"offset equals log end", 15, 100, 15, nil, nil},
		{"offset above log end", 16, 100, 15, nil, ErrOffsetOutOfRange},
		{"negative offset", -1, 100, 15, nil, ErrOffsetOutOfRange},
		{"last offset of last batch", 14, 0, 15, []int64{10}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := l.Read(tc.offset, tc.maxBytes, tc.maxOffset)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			var got []int64
			for _, h := range batches(t, b) {
				got = append(got, h.BaseOffset)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got bases %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got bases %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestIndexLookupBigLog(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 256 << 10
	cfg.IndexIntervalBytes = 1000
	l := openT(t, fs.NewMem(), "/p-0", cfg)
	defer l.Close()
	var last []int64
	for i := 0; i < 4000; i++ {
		r := appendT(t, l, plain(1+i%7, int64(i)))
		last = append(last, r.LastOffset)
	}
	if l.active().index.n == 0 {
		t.Fatal("no index entries written")
	}
	for off := int64(0); off < l.NextOffset(); off += 7 {
		b, err := l.Read(off, 0, l.NextOffset())
		if err != nil {
			t.Fatal(err)
		}
		hs := batches(t, b)
		if len(hs) != 1 || hs[0].BaseOffset > off || hs[0].LastOffset() < off {
			t.Fatalf("Read(%d) returned %+v", off, hs)
		}
	}
	// Time index: timestamps equal the batch number.
	for _, ts := range []int64{0, 1, 999, 2500, 3999} {
		off, gotTs, ok := offsetForTimestamp(t, l, ts)
		if !ok || gotTs != ts {
			t.Fatalf("OffsetForTimestamp(%d) = %d, %d, %v", ts, off, gotTs, ok)
		}
		want := int64(0)
		if ts > 0 {
			want = last[ts-1] + 1
		}
		if off != want {
			t.Fatalf("OffsetForTimestamp(%d) offset = %d, want %d", ts, off, want)
		}
	}
	if off, ts, ok := offsetForTimestamp(t, l, 4000); ok {
		t.Fatalf("OffsetForTimestamp past the end = %d, %d", off, ts)
	}
	if off, ts := maxTimestamp(t, l); ts != 3999 || off != last[3998]+1 {
		t.Fatalf("MaxTimestamp = %d, %d", off, ts)
	}
}

func TestMaxTimestampNonMonotonic(t *testing.T) {
	l := openT(t, fs.OS{}, t.TempDir(), testConfig())
	defer l.Close()
	if off, ts := maxTimestamp(t, l); off != -1 || ts != -1 {
		t.Fatalf("empty log MaxTimestamp = %d, %d", off, ts)
	}
	for _, ts := range []int64{100, 500, 300, 200} {
		appendT(t, l, plain(2, ts))
	}
	if off, ts := maxTimestamp(t, l); off != 2 || ts != 500 {
		t.Fatalf("MaxTimestamp = %d, %d, want 2, 500", off, ts)
	}
	if off, ts, ok := offsetForTimestamp(t, l, 250); !ok || off != 2 || ts != 500 {
		t.Fatalf("OffsetForTimestamp(250) = %d, %d, %v", off, ts, ok)
	}
	// Inside a batch the largest timestamp may be on any record: the
	// answer is that record's offset (KIP-734), not the batch's.
	appendT(t, l, batchSpec{records: 4, ts: 400, pid: -1, epoch: -1, seq: -1, valueSize: 10, tsDeltas: []int64{0, 200, 300, 300}})
	if off, ts := maxTimestamp(t, l); off != 10 || ts != 700 {
		t.Fatalf("MaxTimestamp with the max on the third record of batch 8-11 = %d, %d, want 10, 700", off, ts)
	}
}

func TestLogAppendTime(t *testing.T) {
	l := openT(t, fs.OS{}, t.TempDir(), testConfig())
	defer l.Close()
	res, err := l.Append(makeBatch(t, plain(3, 10)), AppendOptions{LeaderEpoch: 2, LogAppendTime: 777})
	if err != nil {
		t.Fatal(err)
	}
	if res.LogAppendTime != 777 {
		t.Fatalf("LogAppendTime = %d", res.LogAppendTime)
	}
	b, err := l.Read(0, 100, 10)
	if err != nil {
		t.Fatal(err)
	}
	h := batches(t, b)[0]
	if !h.IsLogAppendTime() || h.MaxTimestamp != 777 || h.PartitionLeaderEpoch != 2 {
		t.Fatalf("stored header %+v", h)
	}
}

func TestAppendRejectsLengthMismatch(t *testing.T) {
	l := openT(t, fs.OS{}, t.TempDir(), testConfig())
	defer l.Close()
	b := makeBatch(t, plain(1, 1))
	if _, err := l.Append(append(b, 0), AppendOptions{LogAppendTime: -1}); !errors.Is(err, record.ErrCorrupt) {
		t.Fatalf("err = %v", err)
	}
}

func TestClosedLog(t *testing.T) {
	l := openT(t, fs.OS{}, t.TempDir(), testConfig())
	appendT(t, l, plain(1, 1))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := l.Append(makeBatch(t, plain(1, 1)), AppendOptions{LogAppendTime: -1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if _, err := l.Read(0, 10, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if err := l.Flush(1); err != nil {
		t.Fatalf("Flush of durable data after Close: %v", err)
	}
}
