package log

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/record"
)

// File name suffixes.
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	snapshotSuffix  = ".snapshot"
)

// segmentName returns the file name of a segment file: the base offset as
// 20 zero-padded digits, then the suffix.
func segmentName(base int64, suffix string) string {
	return fmt.Sprintf("%020d%s", base, suffix)
}

// parseSegmentName returns the offset in a name like
// 00000000000000000042.log, or ok false.
func parseSegmentName(name, suffix string) (int64, bool) {
	digits, found := strings.CutSuffix(name, suffix)
	if !found || len(digits) != 20 {
		return 0, false
	}
	off, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || off < 0 {
		return 0, false
	}
	return off, true
}

// segment is one .log file and its two indexes. Fields other than base and
// synced are guarded by Log.mu; the files are closed, removed or truncated
// only under Log.files held exclusively.
type segment struct {
	base   int64
	log    fs.File
	index  offsetIndex
	tindex timeIndex
	txn    txnIndex // aborted transactions whose ABORT marker is in this segment

	size            int64 // committed bytes: every byte below is a whole batch
	next            int64 // offset after the last batch (base when empty)
	maxTs           int64 // largest batch max timestamp, -1 when empty
	maxTsLast       int64 // last offset of the batch holding maxTs
	firstTs         int64 // max timestamp of the first batch (segment.ms), -1 when empty
	bytesSinceIndex int64

	synced atomic.Int64 // bytes of the .log known to be fsynced
}

func (s *segment) reset() {
	s.size, s.next = 0, s.base
	s.maxTs, s.maxTsLast, s.firstTs = -1, -1, -1
	s.bytesSinceIndex = 0
}

func (s *segment) paths(dir string) []string {
	return []string{
		path.Join(dir, segmentName(s.base, logSuffix)),
		path.Join(dir, segmentName(s.base, indexSuffix)),
		path.Join(dir, segmentName(s.base, timeIndexSuffix)),
	}
}

// openSegment opens (create true: creates, truncating) the three files of
// the segment at base.
func openSegment(fsys fs.FS, dir string, base int64, create bool) (*segment, error) {
	s := &segment{base: base}
	s.reset()
	var files []fs.File
	for _, p := range s.paths(dir) {
		var f fs.File
		var err error
		if create {
			f, err = fsys.Create(p)
		} else {
			f, err = fsys.OpenReadWrite(p)
			if errors.Is(err, fsNotExist) && !strings.HasSuffix(p, logSuffix) {
				f, err = fsys.Create(p)
			}
		}
		if err != nil {
			for _, g := range files {
				_ = g.Close() // already failing; the open error is the one to report
			}
			return nil, fmt.Errorf("open segment file %s: %w", p, err)
		}
		files = append(files, f)
	}
	s.log, s.index.f, s.tindex.f = files[0], files[1], files[2]
	return s, nil
}

func (s *segment) close() error {
	return errors.Join(s.log.Close(), s.index.f.Close(), s.tindex.f.Close(), s.txn.close())
}

// remove closes and deletes the segment's files, the .log first so that a
// crash in between leaves only orphan indexes (deleted at the next Open).
func (s *segment) remove(fsys fs.FS, dir string) error {
	errs := []error{s.close()}
	for _, p := range append(s.paths(dir), path.Join(dir, segmentName(s.base, txnIndexSuffix))) {
		if err := fsys.Remove(p); err != nil && !errors.Is(err, fsNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// syncAll fsyncs the log and both indexes.
func (s *segment) syncAll() error {
	if err := errors.Join(s.log.Sync(), s.index.f.Sync(), s.tindex.f.Sync(), s.txn.sync()); err != nil {
		return fmt.Errorf("sync segment %d: %w", s.base, err)
	}
	s.markSynced(s.size)
	return nil
}

func (s *segment) markSynced(size int64) {
	for {
		cur := s.synced.Load()
		if size <= cur || s.synced.CompareAndSwap(cur, size) {
			return
		}
	}
}

// relOffset converts an absolute offset of this segment to a relative one.
func (s *segment) relOffset(off int64) int32 { return int32(off - s.base) }

// fits reports whether offsets up to last can be stored relative to base.
func (s *segment) fits(last int64) bool { return last-s.base <= math.MaxInt32 }

// track updates the in-memory summary for a batch written at pos.
func (s *segment) track(h *record.Header, pos int64) {
	if s.firstTs < 0 {
		s.firstTs = h.MaxTimestamp
	}
	if h.MaxTimestamp > s.maxTs {
		s.maxTs, s.maxTsLast = h.MaxTimestamp, h.LastOffset()
	}
	s.next = h.LastOffset() + 1
	s.size = pos + int64(h.Size())
}

// indexBatch adds the index entries owed for a batch of the given size
// written at pos (Kafka's rule: an entry once more than interval bytes
// were appended since the last one), then accounts for its bytes.
func (s *segment) indexBatch(h *record.Header, pos int64, interval int) error {
	if s.bytesSinceIndex > int64(interval) || interval == 0 {
		if err := s.index.append(offsetEntry{rel: s.relOffset(h.LastOffset()), pos: int32(pos)}); err != nil {
			return err
		}
		if err := s.tindex.maybeAppend(timeEntry{ts: s.maxTs, rel: s.relOffset(s.maxTsLast)}); err != nil {
			return err
		}
		s.bytesSinceIndex = 0
	}
	s.bytesSinceIndex += int64(h.Size())
	return nil
}

// finishTimeIndex appends the segment's max timestamp to the time index if
// it is not the last entry yet (at roll and close, as Kafka does).
func (s *segment) finishTimeIndex() error {
	if s.maxTs < 0 {
		return nil
	}
	return s.tindex.maybeAppend(timeEntry{ts: s.maxTs, rel: s.relOffset(s.maxTsLast)})
}

var fsNotExist = os.ErrNotExist

// errTorn marks the end of the valid part of a segment: a short, torn or
// corrupt batch.
var errTorn = errors.New("torn or corrupt batch")

// batchScanner walks the batches of a segment file sequentially from pos
// to end through a buffer.
type batchScanner struct {
	f        fs.File
	r        *bufio.Reader
	pos, end int64
	validate bool   // read every batch whole and check its CRC
	big      []byte // holds a batch larger than the buffer
}

func newBatchScanner(f fs.File, pos, end int64, bufSize int, validate bool) *batchScanner {
	sr := io.NewSectionReader(f, pos, end-pos)
	return &batchScanner{f: f, r: bufio.NewReaderSize(sr, bufSize), pos: pos, end: end, validate: validate}
}

// next returns the header of the batch at s.pos, its position and, when
// validating, its bytes (valid until the next call). It returns io.EOF at
// a clean end and an error wrapping errTorn where the valid data ends.
func (s *batchScanner) next() (record.Header, int64, []byte, error) {
	pos := s.pos
	hb, err := s.r.Peek(record.HeaderSize)
	if len(hb) == 0 && errors.Is(err, io.EOF) {
		return record.Header{}, pos, nil, io.EOF
	}
	if err != nil {
		return record.Header{}, pos, nil, s.torn(fmt.Errorf("short batch header (%d bytes): %w", len(hb), err))
	}
	h, err := record.ParseHeader(hb)
	if err != nil {
		return h, pos, nil, s.torn(err)
	}
	size := int64(h.Size())
	if h.BatchLength < record.HeaderSize-record.LengthOffset || pos+size > s.end {
		return h, pos, nil, s.torn(fmt.Errorf("batch length %d at position %d runs past %d", h.BatchLength, pos, s.end))
	}
	var b []byte
	if s.validate {
		if b, err = s.readBatch(int(size)); err != nil {
			return h, pos, nil, s.torn(err)
		}
		if h, err = record.Validate(b); err != nil {
			return h, pos, nil, s.torn(err)
		}
	}
	if _, err := s.r.Discard(int(size)); err != nil {
		return h, pos, nil, s.torn(err)
	}
	s.pos += size
	return h, pos, b, nil
}

func (s *batchScanner) readBatch(size int) ([]byte, error) {
	if size <= s.r.Size() {
		return s.r.Peek(size)
	}
	if cap(s.big) < size {
		s.big = make([]byte, size)
	}
	b := s.big[:size]
	if _, err := s.f.ReadAt(b, s.pos); err != nil {
		return nil, err
	}
	return b, nil
}

func (s *batchScanner) torn(err error) error {
	return fmt.Errorf("%w at position %d: %w", errTorn, s.pos, err)
}
