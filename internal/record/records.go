package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Record is one decoded record of a batch.
//
// Key, Value and header values alias the batch (uncompressed) or the
// decompressed buffer; they are nil for a null key or value and non-nil
// (possibly empty) otherwise. Control records (in a batch with the
// control bit) are returned like others; see ParseControl.
type Record struct {
	Offset    int64 // absolute: base offset + offset delta
	Timestamp int64 // absolute, ms; the batch's max timestamp under LogAppendTime
	Key       []byte
	Value     []byte
	Headers   []RecordHeader
}

// RecordHeader is one record header. Its key is never null.
type RecordHeader struct {
	Key   string
	Value []byte
}

// minRecordSize is the smallest encoding of a record: a one-byte length,
// attributes, timestamp delta, offset delta, key and value lengths and
// header count, one byte each.
const minRecordSize = 7

// Records validates batch (see Validate) and decodes its records,
// decompressing at most DefaultMaxDecompressed bytes.
func Records(batch []byte) ([]Record, error) { return RecordsLimit(batch, 0) }

// RecordsLimit is Records with a bound on the decompressed size of the
// records section (max <= 0 means DefaultMaxDecompressed). Errors wrap
// ErrCorrupt (bad bytes, or more than max bytes once decompressed) or
// ErrUnsupportedCompression.
func RecordsLimit(batch []byte, max int) ([]Record, error) {
	h, err := Validate(batch)
	if err != nil {
		return nil, err
	}
	return decodeRecords(&h, batch, max)
}

// decodeRecords decodes the records of a batch already validated.
func decodeRecords(h *Header, batch []byte, max int) ([]Record, error) {
	data, err := Decompress(h.Compression(), batch[HeaderSize:], max)
	if err != nil {
		return nil, err
	}
	if int64(h.RecordCount) > int64(len(data)/minRecordSize) {
		return nil, fmt.Errorf("%w: %d records cannot fit in %d bytes", ErrCorrupt, h.RecordCount, len(data))
	}
	recs := make([]Record, h.RecordCount)
	for i := range recs {
		n, err := decodeRecord(h, data, &recs[i])
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %w", ErrCorrupt, i, err)
		}
		data = data[n:]
	}
	if len(data) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last of %d records", ErrCorrupt, len(data), h.RecordCount)
	}
	return recs, nil
}

// cursor reads varints and byte strings; the first error sticks.
type cursor struct {
	b   []byte
	err error
}

var errShort = errors.New("record ends early")

func (c *cursor) varint64() int64 {
	if c.err != nil {
		return 0
	}
	v, n := binary.Varint(c.b)
	if n <= 0 {
		c.err = errors.New("bad varint")
		return 0
	}
	c.b = c.b[n:]
	return v
}

func (c *cursor) varint32() int32 {
	v := c.varint64()
	if v < math.MinInt32 || v > math.MaxInt32 {
		c.err = fmt.Errorf("varint %d overflows int32", v)
		return 0
	}
	return int32(v)
}

// bytes reads a varint length and that many bytes; length -1 is null.
func (c *cursor) bytes(nullable bool) []byte {
	n := c.varint32()
	if c.err != nil {
		return nil
	}
	switch {
	case n == -1 && nullable:
		return nil
	case n < 0:
		c.err = fmt.Errorf("length %d", n)
		return nil
	case int(n) > len(c.b):
		c.err = errShort
		return nil
	}
	out := c.b[:n:n]
	c.b = c.b[n:]
	return out
}

// decodeRecord decodes the record at the start of b into r and returns
// its size.
func decodeRecord(h *Header, b []byte, r *Record) (int, error) {
	c := cursor{b: b}
	length := c.varint32()
	if c.err != nil {
		return 0, c.err
	}
	if length < 0 || int(length) > len(c.b) {
		return 0, fmt.Errorf("length %d with %d bytes left", length, len(c.b))
	}
	size := len(b) - len(c.b) + int(length)
	c.b = c.b[:length]
	if len(c.b) < 1 {
		return 0, errShort
	}
	c.b = c.b[1:] // attributes: unused in v2
	tsDelta := c.varint64()
	offDelta := c.varint32()
	r.Offset = h.BaseOffset + int64(offDelta)
	r.Timestamp = h.BaseTimestamp + tsDelta
	if h.IsLogAppendTime() {
		r.Timestamp = h.MaxTimestamp
	}
	r.Key = c.bytes(true)
	r.Value = c.bytes(true)
	nh := c.varint32()
	if c.err != nil {
		return 0, c.err
	}
	if nh < 0 || int(nh) > len(c.b)/2 {
		return 0, fmt.Errorf("%d headers in %d bytes", nh, len(c.b))
	}
	if nh > 0 {
		r.Headers = make([]RecordHeader, nh)
		for i := range r.Headers {
			r.Headers[i].Key = string(c.bytes(false))
			r.Headers[i].Value = c.bytes(true)
		}
	}
	if c.err != nil {
		return 0, c.err
	}
	if len(c.b) > 0 {
		return 0, fmt.Errorf("%d bytes after the record's fields", len(c.b))
	}
	return size, nil
}
