package log

import (
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"path"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/record"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// batchSpec describes a test batch.
type batchSpec struct {
	records   int
	ts        int64 // timestamp of every record (base and max)
	pid       int64 // -1: no producer
	epoch     int16
	seq       int32
	valueSize int
	// tsDeltas, if set, are the records' timestamp deltas from ts (the
	// batch's max timestamp is then ts + the largest delta).
	tsDeltas []int64
}

func plain(records int, ts int64) batchSpec {
	return batchSpec{records: records, ts: ts, pid: -1, epoch: -1, seq: -1, valueSize: 10}
}

func idem(pid int64, epoch int16, seq int32, records int) batchSpec {
	return batchSpec{records: records, ts: 1000, pid: pid, epoch: epoch, seq: seq, valueSize: 10}
}

// makeBatch builds a valid uncompressed v2 batch with base offset 0.
func makeBatch(t testing.TB, b batchSpec) []byte {
	t.Helper()
	var recs []byte
	maxTs := b.ts
	for i := 0; i < b.records; i++ {
		var delta int64
		if i < len(b.tsDeltas) {
			delta = b.tsDeltas[i]
			maxTs = max(maxTs, b.ts+delta)
		}
		var body []byte
		body = append(body, 0)                     // attributes
		body = binary.AppendVarint(body, delta)    // timestamp delta
		body = binary.AppendVarint(body, int64(i)) // offset delta
		body = binary.AppendVarint(body, -1)       // key: null
		body = binary.AppendVarint(body, int64(b.valueSize))
		body = append(body, make([]byte, b.valueSize)...)
		body = binary.AppendVarint(body, 0) // headers
		recs = binary.AppendVarint(recs, int64(len(body)))
		recs = append(recs, body...)
	}
	out := make([]byte, record.HeaderSize, record.HeaderSize+len(recs))
	be := binary.BigEndian
	be.PutUint32(out[8:], uint32(record.HeaderSize-record.LengthOffset+len(recs)))
	be.PutUint32(out[12:], 0xffffffff)
	out[16] = 2
	be.PutUint32(out[23:], uint32(b.records-1))
	be.PutUint64(out[27:], uint64(b.ts))
	be.PutUint64(out[35:], uint64(maxTs))
	be.PutUint64(out[43:], uint64(b.pid))
	be.PutUint16(out[51:], uint16(b.epoch))
	be.PutUint32(out[53:], uint32(b.seq))
	be.PutUint32(out[57:], uint32(b.records))
	out = append(out, recs...)
	be.PutUint32(out[17:], crc32.Checksum(out[21:], crc32.MakeTable(crc32.Castagnoli)))
	if _, err := record.Validate(out); err != nil {
		t.Fatalf("test batch invalid: %v", err)
	}
	return out
}

func testConfig() Config {
	c := DefaultConfig()
	c.SegmentBytes = 1 << 20
	c.IndexIntervalBytes = 256
	return c
}

func openT(t testing.TB, fsys fs.FS, dir string, cfg Config) *Log {
	t.Helper()
	l, err := Open(fsys, dir, cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func appendT(t testing.TB, l *Log, b batchSpec) AppendResult {
	t.Helper()
	res, err := l.Append(makeBatch(t, b), AppendOptions{LeaderEpoch: 1, LogAppendTime: -1})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

// batches splits Read output into validated headers.
func batches(t testing.TB, b []byte) []record.Header {
	t.Helper()
	hs := wholeBatches(t, b)
	for _, h := range hs {
		if _, err := record.Validate(b[:h.Size()]); err != nil {
			t.Fatalf("read returned an invalid batch: %v", err)
		}
		b = b[h.Size():]
	}
	return hs
}

// wholeBatches checks that b is a sequence of whole batches by their
// headers (not their CRCs) and returns the headers.
func wholeBatches(t testing.TB, b []byte) []record.Header {
	t.Helper()
	var hs []record.Header
	for len(b) > 0 {
		n := record.BatchSize(b)
		if n < record.HeaderSize || n > len(b) {
			t.Fatalf("read returned a partial batch: size %d of %d bytes", n, len(b))
		}
		h, err := record.ParseHeader(b[:n])
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
		b = b[n:]
	}
	return hs
}

// countFS counts fsyncs of .log files and can hold them at a gate.
type countFS struct {
	fs.FS
	logSyncs atomic.Int64
	gate     atomic.Pointer[chan struct{}] // non-nil: .log syncs block until closed
	entered  chan struct{}                 // receives when a gated sync starts
}

type countFile struct {
	fs.File
	c *countFS
}

func (c *countFS) wrap(f fs.File, err error) (fs.File, error) {
	if err != nil {
		return nil, err
	}
	return countFile{f, c}, nil
}

func (c *countFS) Create(n string) (fs.File, error)        { return c.wrap(c.FS.Create(n)) }
func (c *countFS) OpenReadWrite(n string) (fs.File, error) { return c.wrap(c.FS.OpenReadWrite(n)) }
func (c *countFS) Open(n string) (fs.File, error)          { return c.wrap(c.FS.Open(n)) }

func (f countFile) Sync() error {
	if strings.HasSuffix(f.Name(), logSuffix) {
		f.c.logSyncs.Add(1)
		if g := f.c.gate.Load(); g != nil {
			f.c.entered <- struct{}{}
			<-*g
		}
	}
	return f.File.Sync()
}

func segFile(dir string, base int64, suffix string) string {
	return path.Join(dir, segmentName(base, suffix))
}

var discard = slog.New(slog.DiscardHandler)

// offsetForTimestamp is l.OffsetForTimestamp failing the test on an error.
func offsetForTimestamp(t testing.TB, l *Log, ts int64) (int64, int64, bool) {
	t.Helper()
	off, got, ok, err := l.OffsetForTimestamp(ts)
	if err != nil {
		t.Fatalf("OffsetForTimestamp(%d): %v", ts, err)
	}
	return off, got, ok
}

// maxTimestamp is l.MaxTimestamp failing the test on an error.
func maxTimestamp(t testing.TB, l *Log) (int64, int64) {
	t.Helper()
	off, ts, err := l.MaxTimestamp()
	if err != nil {
		t.Fatalf("MaxTimestamp: %v", err)
	}
	return off, ts
}
