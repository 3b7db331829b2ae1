package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// HeaderSize is the size of a v2 batch header, and the smallest valid batch.
const HeaderSize = 61

// LengthOffset is the number of bytes before the batch length field ends:
// a batch occupies LengthOffset + BatchLength bytes in all.
const LengthOffset = 12

// Attribute bits.
const (
	CompressionMask  = 0x07
	TimestampTypeBit = 0x08 // set: LogAppendTime
	TransactionalBit = 0x10
	ControlBit       = 0x20
	DeleteHorizonBit = 0x40
)

// Compression codecs, as in the attributes' low three bits.
const (
	CompressionNone   = 0
	CompressionGzip   = 1
	CompressionSnappy = 2
	CompressionLz4    = 3
	CompressionZstd   = 4
)

// ErrCorrupt marks a batch whose bytes are not a valid v2 batch: bad length,
// bad magic, CRC mismatch, bad record count. Check with errors.Is.
var ErrCorrupt = errors.New("corrupt record batch")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is the decoded fixed header of a v2 batch.
type Header struct {
	BaseOffset           int64
	BatchLength          int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	BaseTimestamp        int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	RecordCount          int32
}

// Compression returns the codec bits of the attributes.
func (h *Header) Compression() int8 { return int8(h.Attributes & CompressionMask) }

// IsTransactional reports whether the batch belongs to a transaction.
func (h *Header) IsTransactional() bool { return h.Attributes&TransactionalBit != 0 }

// IsControl reports whether the batch is a control batch (txn marker).
func (h *Header) IsControl() bool { return h.Attributes&ControlBit != 0 }

// IsLogAppendTime reports whether the timestamp type is LogAppendTime.
func (h *Header) IsLogAppendTime() bool { return h.Attributes&TimestampTypeBit != 0 }

// LastOffset is the offset of the last record in the batch.
func (h *Header) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// Size is the total size of the batch in bytes.
func (h *Header) Size() int { return LengthOffset + int(h.BatchLength) }

// HasProducer reports whether the batch carries an idempotent producer id.
func (h *Header) HasProducer() bool { return h.ProducerID >= 0 }

// LastSequence is the sequence of the last record, wrapping at MaxInt32 as
// Kafka does.
func (h *Header) LastSequence() int32 {
	return IncSequence(h.BaseSequence, h.LastOffsetDelta)
}

// IncSequence adds n to a sequence number, wrapping past MaxInt32 to 0.
func IncSequence(seq, n int32) int32 {
	if int64(seq)+int64(n) > int64(^uint32(0)>>1) {
		return int32(int64(seq) + int64(n) - int64(^uint32(0)>>1) - 1)
	}
	return seq + n
}

// ParseHeader decodes the header at the start of b. It checks only that b is
// long enough for a header; use Validate for a full check.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w: %d bytes is shorter than a batch header (%d)", ErrCorrupt, len(b), HeaderSize)
	}
	be := binary.BigEndian
	return Header{
		BaseOffset:           int64(be.Uint64(b[0:])),
		BatchLength:          int32(be.Uint32(b[8:])),
		PartitionLeaderEpoch: int32(be.Uint32(b[12:])),
		Magic:                int8(b[16]),
		CRC:                  be.Uint32(b[17:]),
		Attributes:           int16(be.Uint16(b[21:])),
		LastOffsetDelta:      int32(be.Uint32(b[23:])),
		BaseTimestamp:        int64(be.Uint64(b[27:])),
		MaxTimestamp:         int64(be.Uint64(b[35:])),
		ProducerID:           int64(be.Uint64(b[43:])),
		ProducerEpoch:        int16(be.Uint16(b[51:])),
		BaseSequence:         int32(be.Uint32(b[53:])),
		RecordCount:          int32(be.Uint32(b[57:])),
	}, nil
}

// Validate checks that b is exactly one well-formed v2 batch: its length
// field matches len(b), magic is 2, the record count and the
// last offset delta are not negative, and the CRC-32C matches. It does not
// decompress. (Compaction leaves gaps, so a stored batch may hold fewer
// records than its offset range; produce-time checks are stricter.)
func Validate(b []byte) (Header, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return h, err
	}
	if h.Magic != 2 {
		return h, fmt.Errorf("%w: magic %d, only magic 2 (v2 batches) is supported", ErrCorrupt, h.Magic)
	}
	if h.BatchLength < HeaderSize-LengthOffset || h.Size() != len(b) {
		return h, fmt.Errorf("%w: batch length field %d does not match %d bytes", ErrCorrupt, h.BatchLength, len(b))
	}
	if h.RecordCount < 0 || h.LastOffsetDelta < 0 {
		return h, fmt.Errorf("%w: record count %d with last offset delta %d", ErrCorrupt, h.RecordCount, h.LastOffsetDelta)
	}
	if got := crc32.Checksum(b[21:], castagnoli); got != h.CRC {
		return h, fmt.Errorf("%w: CRC-32C is %08x, header says %08x", ErrCorrupt, got, h.CRC)
	}
	return h, nil
}

// SetBaseOffset rewrites the base offset in place. The CRC does not cover it.
func SetBaseOffset(b []byte, off int64) { binary.BigEndian.PutUint64(b[0:], uint64(off)) }

// SetPartitionLeaderEpoch rewrites the leader epoch in place. The CRC does
// not cover it.
func SetPartitionLeaderEpoch(b []byte, epoch int32) {
	binary.BigEndian.PutUint32(b[12:], uint32(epoch))
}

// SetLogAppendTime sets the timestamp type to LogAppendTime and the max
// timestamp to ts, then recomputes the CRC (both are covered by it).
func SetLogAppendTime(b []byte, ts int64) {
	attrs := binary.BigEndian.Uint16(b[21:]) | TimestampTypeBit
	binary.BigEndian.PutUint16(b[21:], attrs)
	binary.BigEndian.PutUint64(b[35:], uint64(ts))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoli))
}

// BatchSize reads the total size of the batch starting at b from its length
// field; b needs at least LengthOffset bytes. It returns -1 if b is shorter.
func BatchSize(b []byte) int {
	if len(b) < LengthOffset {
		return -1
	}
	return LengthOffset + int(int32(binary.BigEndian.Uint32(b[8:])))
}
