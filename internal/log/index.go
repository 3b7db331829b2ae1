package log

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"

	"github.com/gregor-streaming/gregor/internal/fs"
)

// Index entry sizes, as in Kafka's .index and .timeindex files.
const (
	offsetEntrySize = 8  // relative offset int32, file position int32
	timeEntrySize   = 12 // timestamp int64, relative offset int32
)

// offsetEntry maps the last offset of a batch (relative to the segment's
// base offset) to the file position where the batch starts.
type offsetEntry struct {
	rel int32
	pos int32
}

// timeEntry records that every batch up to and including the one holding
// rel has a max timestamp <= ts.
type timeEntry struct {
	ts  int64
	rel int32
}

// offsetIndex is a segment's .index file. n is the number of entries; it is
// guarded by Log.mu. Readers snapshot n under Log.mu and then read entries
// [0, n) without it: written entries never change until a truncation, which
// takes Log.files exclusively.
type offsetIndex struct {
	f    fs.File
	n    int
	last offsetEntry
}

func (x *offsetIndex) append(e offsetEntry) error {
	var b [offsetEntrySize]byte
	binary.BigEndian.PutUint32(b[0:], uint32(e.rel))
	binary.BigEndian.PutUint32(b[4:], uint32(e.pos))
	if _, err := x.f.Write(b[:]); err != nil {
		return fmt.Errorf("append to offset index %s: %w", x.f.Name(), err)
	}
	x.n++
	x.last = e
	return nil
}

func (x *offsetIndex) entry(i int) (offsetEntry, error) {
	var b [offsetEntrySize]byte
	if _, err := x.f.ReadAt(b[:], int64(i)*offsetEntrySize); err != nil {
		return offsetEntry{}, fmt.Errorf("read offset index %s entry %d: %w", x.f.Name(), i, err)
	}
	return offsetEntry{rel: int32(binary.BigEndian.Uint32(b[0:])), pos: int32(binary.BigEndian.Uint32(b[4:]))}, nil
}

// lookup returns the position of the largest entry among the first n whose
// relative offset is <= rel, or 0 if there is none. The batch containing
// rel starts at or after that position.
func (x *offsetIndex) lookup(n int, rel int32) (int64, error) {
	var err error
	i := sort.Search(n, func(i int) bool {
		if err != nil {
			return true
		}
		e, rerr := x.entry(i)
		if rerr != nil {
			err = rerr
			return true
		}
		return e.rel > rel
	})
	if err != nil {
		return 0, err
	}
	if i == 0 {
		return 0, nil
	}
	e, err := x.entry(i - 1)
	return int64(e.pos), err
}

// reset empties the index (before a rebuild).
func (x *offsetIndex) reset() error {
	if err := x.f.Truncate(0); err != nil {
		return fmt.Errorf("truncate offset index %s: %w", x.f.Name(), err)
	}
	x.n, x.last = 0, offsetEntry{}
	return nil
}

// timeIndex is a segment's .timeindex file, guarded like offsetIndex.
type timeIndex struct {
	f    fs.File
	n    int
	last timeEntry
}

// maybeAppend adds an entry if ts is above the last entry's timestamp.
func (x *timeIndex) maybeAppend(e timeEntry) error {
	if x.n > 0 && e.ts <= x.last.ts {
		return nil
	}
	var b [timeEntrySize]byte
	binary.BigEndian.PutUint64(b[0:], uint64(e.ts))
	binary.BigEndian.PutUint32(b[8:], uint32(e.rel))
	if _, err := x.f.Write(b[:]); err != nil {
		return fmt.Errorf("append to time index %s: %w", x.f.Name(), err)
	}
	x.n++
	x.last = e
	return nil
}

func (x *timeIndex) entry(i int) (timeEntry, error) {
	var b [timeEntrySize]byte
	if _, err := x.f.ReadAt(b[:], int64(i)*timeEntrySize); err != nil {
		return timeEntry{}, fmt.Errorf("read time index %s entry %d: %w", x.f.Name(), i, err)
	}
	return timeEntry{ts: int64(binary.BigEndian.Uint64(b[0:])), rel: int32(binary.BigEndian.Uint32(b[8:]))}, nil
}

// lookupBefore returns the last entry among the first n whose timestamp is
// below ts; ok is false if there is none.
func (x *timeIndex) lookupBefore(n int, ts int64) (e timeEntry, ok bool, err error) {
	i := sort.Search(n, func(i int) bool {
		if err != nil {
			return true
		}
		got, rerr := x.entry(i)
		if rerr != nil {
			err = rerr
			return true
		}
		return got.ts >= ts
	})
	if err != nil || i == 0 {
		return timeEntry{}, false, err
	}
	e, err = x.entry(i - 1)
	return e, err == nil, err
}

func (x *timeIndex) reset() error {
	if err := x.f.Truncate(0); err != nil {
		return fmt.Errorf("truncate time index %s: %w", x.f.Name(), err)
	}
	x.n, x.last = 0, timeEntry{}
	return nil
}

// readAll reads a whole file.
func readAll(f fs.File) ([]byte, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		return nil, err
	}
	return b, nil
}

// loadOffsetIndex checks an index file read from disk: a whole number of
// entries, relative offsets and positions strictly increasing, every
// position inside a log of logSize bytes. It returns the entry count and
// the last entry, or ok false if the file cannot be trusted.
func loadOffsetIndex(b []byte, logSize int64) (n int, last offsetEntry, ok bool) {
	if len(b)%offsetEntrySize != 0 {
		return 0, offsetEntry{}, false
	}
	n = len(b) / offsetEntrySize
	for i := 0; i < n; i++ {
		e := offsetEntry{
			rel: int32(binary.BigEndian.Uint32(b[i*offsetEntrySize:])),
			pos: int32(binary.BigEndian.Uint32(b[i*offsetEntrySize+4:])),
		}
		if e.rel < 0 || e.pos < 0 || int64(e.pos) >= logSize {
			return 0, offsetEntry{}, false
		}
		if i > 0 && (e.rel <= last.rel || e.pos <= last.pos) {
			return 0, offsetEntry{}, false
		}
		last = e
	}
	return n, last, true
}

// loadTimeIndex checks a time index: whole entries, timestamps strictly
// increasing, relative offsets non-decreasing and below maxRel.
func loadTimeIndex(b []byte, maxRel int32) (n int, last timeEntry, ok bool) {
	if len(b)%timeEntrySize != 0 {
		return 0, timeEntry{}, false
	}
	n = len(b) / timeEntrySize
	for i := 0; i < n; i++ {
		e := timeEntry{
			ts:  int64(binary.BigEndian.Uint64(b[i*timeEntrySize:])),
			rel: int32(binary.BigEndian.Uint32(b[i*timeEntrySize+8:])),
		}
		if e.rel < 0 || e.rel > maxRel {
			return 0, timeEntry{}, false
		}
		if i > 0 && (e.ts <= last.ts || e.rel < last.rel) {
			return 0, timeEntry{}, false
		}
		last = e
	}
	return n, last, true
}
