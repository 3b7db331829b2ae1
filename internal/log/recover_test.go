package log

import (
	"os"
	"testing"

	"github.com/gregor-streaming/gregor/internal/fs"
)

// fillLog appends n 3-record batches and closes the log; it returns the
// size of one batch.
func fillLog(t *testing.T, fsys fs.FS, dir string, cfg Config, n int) int {
	t.Helper()
	l := openT(t, fsys, dir, cfg)
	var size int
	for i := 0; i < n; i++ {
		size = len(makeBatch(t, plain(3, int64(i))))
		appendT(t, l, plain(3, int64(i)))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return size
}

func TestRecoveryTornTail(t *testing.T) {
	tests := []struct {
		name     string
		damage   func(t *testing.T, path string, batchSize int)
		wantNext int64
	}{
		{"truncated mid batch", func(t *testing.T, p string, size int) {
			st, _ := os.Stat(p)
			if err := os.Truncate(p, st.Size()-int64(size)/2); err != nil {
				t.Fatal(err)
			}
		}, 27},
		{"truncated inside a header", func(t *testing.T, p string, size int) {
			st, _ := os.Stat(p)
			if err := os.Truncate(p, st.Size()-int64(size)+20); err != nil {
				t.Fatal(err)
			}
		}, 27},
		{"flipped byte in last batch", func(t *testing.T, p string, size int) {
			b, _ := os.ReadFile(p)
			b[len(b)-3] ^= 0xff
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, 27},
		{"garbage after last batch", func(t *testing.T, p string, size int) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			defer f.Close()
			if _, err := f.Write([]byte("not a batch at all, just junk bytes")); err != nil {
				t.Fatal(err)
			}
		}, 30},
		{"zeroed tail", func(t *testing.T, p string, size int) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			defer f.Close()
			if _, err := f.Write(make([]byte, 4096)); err != nil {
				t.Fatal(err)
			}
		}, 30},
		{"corrupt first batch", func(t *testing.T, p string, size int) {
			b, _ := os.ReadFile(p)
			b[30] ^= 0xff
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			size := fillLog(t, fs.OS{}, dir, testConfig(), 10)
			tc.damage(t, segFile(dir, 0, logSuffix), size)
			l := openT(t, fs.OS{}, dir, testConfig())
			defer l.Close()
			if got := l.NextOffset(); got != tc.wantNext {
				t.Fatalf("NextOffset = %d, want %d", got, tc.wantNext)
			}
			if tc.wantNext > 0 {
				b, err := l.Read(0, 1<<20, l.NextOffset())
				if err != nil {
					t.Fatal(err)
				}
				hs := batches(t, b)
				if hs[len(hs)-1].LastOffset()+1 != tc.wantNext {
					t.Fatalf("read ends at %d", hs[len(hs)-1].LastOffset())
				}
			}
			r := appendT(t, l, plain(1, 99))
			if r.BaseOffset != tc.wantNext {
				t.Fatalf("append after recovery at %d, want %d", r.BaseOffset, tc.wantNext)
			}
		})
	}
}

func TestRecoveryIndexes(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 3000
	cfg.IndexIntervalBytes = 100
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"deleted index", func(t *testing.T, dir string) {
			if err := os.Remove(segFile(dir, 0, indexSuffix)); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted time index", func(t *testing.T, dir string) {
			if err := os.Remove(segFile(dir, 0, timeIndexSuffix)); err != nil {
				t.Fatal(err)
			}
		}},
		{"index of odd size", func(t *testing.T, dir string) {
			f, _ := os.OpenFile(segFile(dir, 0, indexSuffix), os.O_APPEND|os.O_WRONLY, 0)
			defer f.Close()
			if _, err := f.Write([]byte{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
		}},
		{"index entries not monotonic", func(t *testing.T, dir string) {
			p := segFile(dir, 0, indexSuffix)
			b, _ := os.ReadFile(p)
			if len(b) < 16 {
				t.Fatalf("index too small: %d", len(b))
			}
			copy(b[len(b)-8:], b[:8])
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"index position past the log", func(t *testing.T, dir string) {
			p := segFile(dir, 0, indexSuffix)
			b, _ := os.ReadFile(p)
			b = append(b, 0x7f, 0, 0, 0, 0x7f, 0, 0, 0)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"stray files", func(t *testing.T, dir string) {
			for _, n := range []string{"x.tmp", "00000000000000000000.log.deleted", segmentName(999999, indexSuffix)} {
				if err := os.WriteFile(dir+"/"+n, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fillLog(t, fs.OS{}, dir, cfg, 100)
			tc.damage(t, dir)
			l := openT(t, fs.OS{}, dir, cfg)
			defer l.Close()
			if got := l.NextOffset(); got != 300 {
				t.Fatalf("NextOffset = %d, want 300", got)
			}
			if len(l.mu.segs) < 3 {
				t.Fatalf("only %d segments", len(l.mu.segs))
			}
			for off := int64(0); off < 300; off++ {
				b, err := l.Read(off, 0, 300)
				if err != nil {
					t.Fatal(err)
				}
				if h := batches(t, b)[0]; h.BaseOffset > off || h.LastOffset() < off {
					t.Fatalf("Read(%d) = %+v", off, h)
				}
			}
			if off, ts, ok := offsetForTimestamp(t, l, 50); !ok || off != 150 || ts != 50 {
				t.Fatalf("OffsetForTimestamp(50) = %d, %d, %v", off, ts, ok)
			}
			names, _ := os.ReadDir(dir)
			for _, n := range names {
				if n.Name() == "x.tmp" || n.Name() == segmentName(999999, indexSuffix) {
					t.Fatalf("stray file %s survived", n.Name())
				}
			}
		})
	}
}

// TestRecoveryOlderSegmentTorn damages a non-last segment: it is cut and
// every later segment is dropped, so offsets stay dense.
func TestRecoveryOlderSegmentTorn(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 3000
	dir := t.TempDir()
	fillLog(t, fs.OS{}, dir, cfg, 100)
	p := segFile(dir, 0, logSuffix)
	b, _ := os.ReadFile(p)
	b[len(b)-5] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	l := openT(t, fs.OS{}, dir, cfg)
	defer l.Close()
	if len(l.mu.segs) != 1 {
		t.Fatalf("%d segments remain, want 1", len(l.mu.segs))
	}
	if l.NextOffset() == 0 || l.NextOffset() >= 300 {
		t.Fatalf("NextOffset = %d", l.NextOffset())
	}
}

// TestCrashKeepsFlushed simulates a power loss on the in-memory FS: what
// Flush covered survives, the log opens, and appends continue.
func TestCrashKeepsFlushed(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 3000
	mem := fs.NewMem()
	l := openT(t, mem, "/d/t-0", cfg)
	for i := 0; i < 50; i++ {
		appendT(t, l, plain(2, int64(i)))
	}
	if err := l.Flush(l.NextOffset()); err != nil {
		t.Fatal(err)
	}
	durable := l.DurableOffset()
	for i := 0; i < 7; i++ {
		appendT(t, l, plain(2, int64(i)))
	}
	mem.Crash()
	l2 := openT(t, mem, "/d/t-0", cfg)
	defer l2.Close()
	if got := l2.NextOffset(); got < durable {
		t.Fatalf("NextOffset after crash = %d, flushed up to %d", got, durable)
	}
	b, err := l2.Read(0, 1<<30, l2.NextOffset())
	if err != nil {
		t.Fatal(err)
	}
	batches(t, b)
	appendT(t, l2, plain(1, 1))
	// The stale handles of the crashed log fail; closing it reports that.
	if err := l.Close(); err == nil {
		t.Fatal("closing a log whose files were lost in a crash succeeded")
	}
}
