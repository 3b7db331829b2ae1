package log

import (
	"path"
	"testing"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/record"
)

// FuzzOpen writes fuzzer bytes as a segment's .log and .index (the first
// segment, or the older of two), opens the log and reads all of it: Open
// must not panic or fail, and Read must return only whole batches — valid
// ones (CRC included) from the active segment, which recovery scans whole.
// An older segment is trusted below its last index entry, as in Kafka, so
// its batches are only checked for shape there (consumers verify CRCs).
func FuzzOpen(f *testing.F) {
	mem := fs.NewMem()
	l := openT(f, mem, "/s", testConfig())
	for i := 0; i < 8; i++ {
		appendT(f, l, plain(1+i%3, int64(i)))
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	read := func(name string) []byte {
		fl, err := mem.Open(path.Join("/s", name))
		if err != nil {
			f.Fatal(err)
		}
		defer fl.Close()
		b, err := readAll(fl)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	logBytes, idxBytes := read(segmentName(0, logSuffix)), read(segmentName(0, indexSuffix))
	f.Add(logBytes, idxBytes, false)
	f.Add(logBytes, idxBytes, true)
	f.Add(logBytes[:len(logBytes)-7], []byte{0, 0, 0, 9, 0, 0, 0, 1}, true)
	f.Add([]byte{}, []byte{}, false)
	f.Fuzz(func(t *testing.T, logB, idxB []byte, older bool) {
		m := fs.NewMem()
		dir := "/f"
		if err := m.MkdirAll(dir); err != nil {
			t.Fatal(err)
		}
		write := func(name string, b []byte) {
			fl, err := m.Create(path.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fl.Write(b); err != nil {
				t.Fatal(err)
			}
			if err := fl.Close(); err != nil {
				t.Fatal(err)
			}
		}
		write(segmentName(0, logSuffix), logB)
		write(segmentName(0, indexSuffix), idxB)
		if older {
			write(segmentName(1<<20, logSuffix), nil)
		}
		l, err := Open(m, dir, testConfig(), Options{Logger: discard})
		if err != nil {
			if older {
				return // overlapping segments are refused, not guessed at
			}
			t.Fatalf("Open: %v", err)
		}
		defer l.Close()
		for off := l.StartOffset(); off < l.NextOffset(); {
			b, err := l.Read(off, 1<<16, l.NextOffset())
			if err != nil {
				t.Fatalf("Read(%d): %v", off, err)
			}
			var hs []record.Header
			if older {
				hs = wholeBatches(t, b)
			} else {
				hs = batches(t, b)
			}
			if len(hs) == 0 {
				break // a gap up to the next segment
			}
			next := hs[len(hs)-1].LastOffset() + 1
			if next <= off {
				t.Fatalf("Read(%d) did not advance", off)
			}
			off = next
		}
		if _, err := l.Append(makeBatch(t, plain(1, 1)), AppendOptions{LogAppendTime: -1}); err != nil {
			t.Fatalf("Append after recovery: %v", err)
		}
	})
}
