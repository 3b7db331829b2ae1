package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// BatchSpec describes the header of a batch for Build. Its zero value
// builds an uncompressed, non-idempotent CreateTime batch at offset 0.
type BatchSpec struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	Compression          int8 // a Compression constant
	Transactional        bool
	Control              bool
	// Idempotent writes ProducerID, ProducerEpoch and BaseSequence; when
	// false the batch carries Kafka's "no producer" values (-1, -1, -1).
	Idempotent    bool
	ProducerID    int64
	ProducerEpoch int16
	BaseSequence  int32
	// UseRecordOffsets takes each record's offset delta from its Offset
	// (minus BaseOffset; they must increase), as a compacted batch with
	// gaps needs. Otherwise record i gets delta i and Offset is ignored.
	UseRecordOffsets bool
}

// Build encodes records as one v2 batch (CreateTime; use SetLogAppendTime
// afterwards for LogAppendTime) and computes its CRC. The base timestamp
// is the first record's, the max timestamp the largest. It fails with
// ErrInvalidRecord for no records or (with UseRecordOffsets) offsets that
// do not increase, and with ErrUnsupportedCompression for an
// unknown codec.
func Build(spec BatchSpec, records []Record) ([]byte, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: a batch needs at least one record", ErrInvalidRecord)
	}
	deltas, err := offsetDeltas(spec, records)
	if err != nil {
		return nil, err
	}
	baseTs, maxTs := records[0].Timestamp, records[0].Timestamp
	for _, r := range records {
		maxTs = max(maxTs, r.Timestamp)
	}
	var raw []byte
	for i, r := range records {
		raw = appendRecord(raw, &r, r.Timestamp-baseTs, deltas[i])
	}

	b := make([]byte, HeaderSize, HeaderSize+len(raw))
	if b, err = Compress(b, spec.Compression, raw); err != nil {
		return nil, err
	}
	if len(b)-LengthOffset > 1<<31-1 {
		return nil, errors.New("record: batch larger than 2 GiB")
	}
	attrs := uint16(spec.Compression) & CompressionMask
	if spec.Transactional {
		attrs |= TransactionalBit
	}
	if spec.Control {
		attrs |= ControlBit
	}
	pid, epoch, seq := int64(-1), int16(-1), int32(-1)
	if spec.Idempotent {
		pid, epoch, seq = spec.ProducerID, spec.ProducerEpoch, spec.BaseSequence
	}
	be := binary.BigEndian
	be.PutUint64(b[0:], uint64(spec.BaseOffset))
	be.PutUint32(b[8:], uint32(len(b)-LengthOffset))
	be.PutUint32(b[12:], uint32(spec.PartitionLeaderEpoch))
	b[16] = 2
	be.PutUint16(b[21:], attrs)
	be.PutUint32(b[23:], uint32(deltas[len(deltas)-1]))
	be.PutUint64(b[27:], uint64(baseTs))
	be.PutUint64(b[35:], uint64(maxTs))
	be.PutUint64(b[43:], uint64(pid))
	be.PutUint16(b[51:], uint16(epoch))
	be.PutUint32(b[53:], uint32(seq))
	be.PutUint32(b[57:], uint32(len(records)))
	be.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoli))
	return b, nil
}

func offsetDeltas(spec BatchSpec, records []Record) ([]int32, error) {
	deltas := make([]int32, len(records))
	for i, r := range records {
		if !spec.UseRecordOffsets {
			deltas[i] = int32(i)
			continue
		}
		d := r.Offset - spec.BaseOffset
		if d < 0 || d > 1<<31-1 || (i > 0 && d <= int64(deltas[i-1])) {
			return nil, fmt.Errorf("%w: record %d has offset %d after base %d and delta %d", ErrInvalidRecord, i, r.Offset, spec.BaseOffset, deltas[max(i-1, 0)])
		}
		deltas[i] = int32(d)
	}
	return deltas, nil
}

func appendBytes(b, v []byte) []byte {
	if v == nil {
		return binary.AppendVarint(b, -1)
	}
	return append(binary.AppendVarint(b, int64(len(v))), v...)
}

// appendRecord appends the v2 encoding of r.
func appendRecord(b []byte, r *Record, tsDelta int64, offDelta int32) []byte {
	var body []byte
	body = append(body, 0) // attributes
	body = binary.AppendVarint(body, tsDelta)
	body = binary.AppendVarint(body, int64(offDelta))
	body = appendBytes(body, r.Key)
	body = appendBytes(body, r.Value)
	body = binary.AppendVarint(body, int64(len(r.Headers)))
	for _, h := range r.Headers {
		body = append(binary.AppendVarint(body, int64(len(h.Key))), h.Key...)
		body = appendBytes(body, h.Value)
	}
	b = binary.AppendVarint(b, int64(len(body)))
	return append(b, body...)
}
