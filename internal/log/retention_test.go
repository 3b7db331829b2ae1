package log

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
)

func TestRetention(t *testing.T) {
	size := int64(len(makeBatch(t, plain(1, 0))))
	base := testConfig()
	base.SegmentBytes = 7 * size // seven batches per segment
	tests := []struct {
		name        string
		retMs       int64
		retBatches  int64 // retention.bytes in batches
		now         int64
		wantDeleted int
	}{
		{"unlimited", -1, -1, 1e9, 0},
		{"time: nothing old enough", 1000, -1, 1006, 0},
		{"time: first two segments", 1000, -1, 1014, 2},
		{"time: never the active segment", 0, -1, 1e9, 3},
		{"size: keep at least retention.bytes", -1, 14, 0, 2},
		{"size: just above two segments", -1, 15, 0, 1},
		{"size: zero deletes all but active", -1, 0, 0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.RetentionMs, cfg.RetentionBytes = tc.retMs, tc.retBatches*size
			if tc.retBatches < 0 {
				cfg.RetentionBytes = -1
			}
			l := openT(t, fs.NewMem(), "/r", cfg)
			defer l.Close()
			for i := 0; i < 28; i++ {
				appendT(t, l, plain(1, int64(i))) // timestamp i
			}
			if n := len(l.mu.segs); n != 4 {
				t.Fatalf("setup: %d segments", n)
			}
			bases := []int64{l.mu.segs[0].base, l.mu.segs[1].base, l.mu.segs[2].base, l.mu.segs[3].base}
			n, err := l.EnforceRetention(time.UnixMilli(tc.now))
			if err != nil || n != tc.wantDeleted {
				t.Fatalf("EnforceRetention = %d, %v; want %d", n, err, tc.wantDeleted)
			}
			if got, want := l.StartOffset(), bases[tc.wantDeleted]; got != want {
				t.Fatalf("StartOffset = %d, want %d", got, want)
			}
			if _, err := l.Read(l.StartOffset()-1, 10, 100); tc.wantDeleted > 0 && !errors.Is(err, ErrOffsetOutOfRange) {
				t.Fatalf("read below start: %v", err)
			}
			if cfg.RetentionBytes >= 0 && tc.wantDeleted > 0 && l.Size() < cfg.RetentionBytes {
				t.Fatalf("size %d went below retention.bytes %d", l.Size(), cfg.RetentionBytes)
			}
		})
	}
}

func TestDeleteRecordsBeforePersists(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 1000
	mem := fs.NewMem()
	l := openT(t, mem, "/d", cfg)
	for i := 0; i < 30; i++ {
		appendT(t, l, plain(1, int64(i)))
	}
	if err := l.AssignEpochStartOffset(2, 10); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteRecordsBefore(31); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("beyond LEO: %v", err)
	}
	segsBefore := len(l.mu.segs)
	if err := l.DeleteRecordsBefore(20); err != nil {
		t.Fatal(err)
	}
	if len(l.mu.segs) >= segsBefore {
		t.Fatalf("no segment deleted (%d -> %d)", segsBefore, len(l.mu.segs))
	}
	if err := l.DeleteRecordsBefore(5); err != nil { // below start: no-op
		t.Fatal(err)
	}
	check := func(l *Log) {
		t.Helper()
		if l.StartOffset() != 20 {
			t.Fatalf("StartOffset = %d", l.StartOffset())
		}
		if _, err := l.Read(19, 100, 30); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("Read(19): %v", err)
		}
		b, err := l.Read(20, 100, 30)
		if err != nil || batches(t, b)[0].BaseOffset != 20 {
			t.Fatalf("Read(20): %v", err)
		}
		if ep, off := l.EndOffsetForEpoch(1); ep != -1 && off > 20 {
			t.Fatalf("epoch cache not truncated from start: %d %d", ep, off)
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openT(t, mem, "/d", cfg)
	defer l.Close()
	check(l)
}

func TestTruncateTo(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 1000
	mem := fs.NewMem()
	l := openT(t, mem, "/t", cfg)
	for i := 0; i < 30; i++ {
		appendT(t, l, batchSpec{records: 2, ts: int64(i), pid: 9, epoch: 0, seq: int32(2 * i), valueSize: 10})
	}
	if err := l.AssignEpochStartOffset(5, 40); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(60); err != nil {
		t.Fatal(err)
	}
	// 41 is inside the batch [40,41]: that batch goes too.
	if err := l.TruncateTo(41); err != nil {
		t.Fatal(err)
	}
	if l.NextOffset() != 40 || l.DurableOffset() > 40 {
		t.Fatalf("after truncate: next %d durable %d", l.NextOffset(), l.DurableOffset())
	}
	if l.LatestEpoch() != 1 {
		t.Fatalf("epoch 5 starting at 40 survived: latest %d", l.LatestEpoch())
	}
	if ps := l.Producers(); len(ps) != 1 || ps[0].LastSequence != 39 {
		t.Fatalf("producer state not rebuilt: %+v", ps)
	}
	r := appendT(t, l, batchSpec{records: 2, ts: 1, pid: 9, epoch: 0, seq: 40, valueSize: 10})
	if r.BaseOffset != 40 || r.Duplicate {
		t.Fatalf("append after truncate: %+v", r)
	}
	if off, ts := maxTimestamp(t, l); ts != 19 || off != 38 {
		t.Fatalf("MaxTimestamp after truncate = %d, %d", off, ts)
	}
	if err := l.TruncateTo(0); err != nil {
		t.Fatal(err)
	}
	if l.NextOffset() != 0 || l.Size() != 0 {
		t.Fatalf("truncate to 0: next %d size %d", l.NextOffset(), l.Size())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openT(t, mem, "/t", cfg)
	defer l.Close()
	if l.NextOffset() != 0 {
		t.Fatalf("reopened NextOffset %d", l.NextOffset())
	}
}

func TestEpochCache(t *testing.T) {
	var c epochCache
	c.assign(1, 0)
	c.assign(2, 10)
	c.assign(2, 15) // same epoch, later offset: no-op
	c.assign(4, 20)
	tests := []struct {
		epoch   int32
		wantEp  int32
		wantOff int64
	}{
		{-1, -1, -1},
		{0, 0, 0}, // below every epoch: the first start offset
		{1, 1, 10},
		{2, 2, 20},
		{3, 2, 20}, // unknown epoch between: the largest below it
		{4, 4, 100},
		{5, -1, -1},
	}
	for _, tc := range tests {
		ep, off := c.endOffsetFor(tc.epoch, 100)
		if ep != tc.wantEp || off != tc.wantOff {
			t.Errorf("endOffsetFor(%d) = %d, %d; want %d, %d", tc.epoch, ep, off, tc.wantEp, tc.wantOff)
		}
	}
	got, err := decodeEpochCheckpoint(c.encode())
	if err != nil || len(got.entries) != 3 || got.entries[2] != (epochEntry{4, 20}) {
		t.Fatalf("checkpoint round trip: %+v, %v", got, err)
	}
	c.assign(3, 12) // a lower epoch at a lower offset drops later entries
	if c.latest() != 3 || len(c.entries) != 3 {
		t.Fatalf("after assign(3,12): %+v", c.entries)
	}
	c.truncateFromStart(11)
	if c.entries[0] != (epochEntry{2, 11}) {
		t.Fatalf("truncateFromStart: %+v", c.entries)
	}
	for _, bad := range []string{"", "1\n0\n", "0\n2\n1 0\n", "0\n2\n2 5\n1 6\n", "0\n1\nx y\n"} {
		if _, err := decodeEpochCheckpoint([]byte(bad)); !errors.Is(err, errBadCheckpoint) {
			t.Errorf("decode %q: %v", bad, err)
		}
	}
}

func TestEpochCacheThroughLog(t *testing.T) {
	mem := fs.NewMem()
	l := openT(t, mem, "/e", testConfig())
	for epoch := int32(0); epoch < 3; epoch++ {
		for i := 0; i < 2; i++ {
			if _, err := l.Append(makeBatch(t, plain(5, 1)), AppendOptions{LeaderEpoch: epoch, LogAppendTime: -1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openT(t, mem, "/e", testConfig())
	defer l.Close()
	if l.LatestEpoch() != 2 {
		t.Fatalf("LatestEpoch = %d", l.LatestEpoch())
	}
	if ep, off := l.EndOffsetForEpoch(0); ep != 0 || off != 10 {
		t.Fatalf("EndOffsetForEpoch(0) = %d, %d", ep, off)
	}
	if ep, off := l.EndOffsetForEpoch(2); ep != 2 || off != 30 {
		t.Fatalf("EndOffsetForEpoch(2) = %d, %d", ep, off)
	}
}

// TestFlushGroupCommit holds the first fsync at a gate: appends continue
// meanwhile, and the two callers arriving during it share one more fsync.
func TestFlushGroupCommit(t *testing.T) {
	cfs := &countFS{FS: fs.NewMem(), entered: make(chan struct{})}
	l := openT(t, cfs, "/g", testConfig())
	defer l.Close()
	appendT(t, l, plain(1, 1))
	gate := make(chan struct{})
	cfs.gate.Store(&gate)
	start := cfs.logSyncs.Load()
	errs := make(chan error, 3)
	go func() { errs <- l.Flush(1) }()
	<-cfs.entered // the first fsync is in progress
	cfs.gate.Store(nil)
	appendT(t, l, plain(1, 2)) // appends are not blocked by the fsync
	appendT(t, l, plain(1, 3))
	var wg sync.WaitGroup
	for _, upTo := range []int64{2, 3} {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- l.Flush(upTo) }()
	}
	close(gate)
	wg.Wait()
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := cfs.logSyncs.Load() - start; got != 2 {
		t.Fatalf("%d fsyncs for three flushes, want 2", got)
	}
	if l.DurableOffset() != 3 {
		t.Fatalf("DurableOffset = %d", l.DurableOffset())
	}
	if err := l.Flush(3); err != nil || cfs.logSyncs.Load()-start != 2 {
		t.Fatalf("flush of durable data fsynced again: %v", err)
	}
}

func TestFlushFailureFailsLog(t *testing.T) {
	ffs := fs.NewFault(fs.NewMem())
	l := openT(t, ffs, "/f", testConfig())
	defer l.Close()
	appendT(t, l, plain(1, 1))
	ffs.Inject(fs.Fault{Op: fs.OpSync})
	if err := l.Flush(1); !errors.Is(err, fs.ErrInjected) {
		t.Fatalf("Flush: %v", err)
	}
	ffs.Clear()
	if _, err := l.Append(makeBatch(t, plain(1, 1)), AppendOptions{LogAppendTime: -1}); !errors.Is(err, ErrFailed) {
		t.Fatalf("Append after failed fsync: %v", err)
	}
	if err := l.Flush(1); !errors.Is(err, ErrFailed) {
		t.Fatalf("Flush after failed fsync: %v", err)
	}
}

func TestWriteFailureIsUndone(t *testing.T) {
	ffs := fs.NewFault(fs.NewMem())
	l := openT(t, ffs, "/w", testConfig())
	defer l.Close()
	appendT(t, l, plain(1, 1))
	ffs.Inject(fs.Fault{Op: fs.OpWrite, Times: 1, Partial: true})
	if _, err := l.Append(makeBatch(t, plain(1, 1)), AppendOptions{LogAppendTime: -1}); !errors.Is(err, fs.ErrInjected) {
		t.Fatalf("Append: %v", err)
	}
	r := appendT(t, l, plain(1, 2))
	if r.BaseOffset != 1 {
		t.Fatalf("base after failed write = %d", r.BaseOffset)
	}
	b, err := l.Read(0, 1<<20, 2)
	if err != nil || len(batches(t, b)) != 2 {
		t.Fatalf("read after failed write: %v", err)
	}
}

func TestDelete(t *testing.T) {
	mem := fs.NewMem()
	l := openT(t, mem, "/x/t-1", testConfig())
	appendT(t, l, plain(1, 1))
	if err := l.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Stat("/x/t-1"); !errors.Is(err, fsNotExist) {
		t.Fatalf("dir still there: %v", err)
	}
}
