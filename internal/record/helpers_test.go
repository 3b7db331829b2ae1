package record

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var codecs = []struct {
	name  string
	codec int8
	kgo   kgo.CompressionCodec
}{
	{"none", CompressionNone, kgo.NoCompression()},
	{"gzip", CompressionGzip, kgo.GzipCompression()},
	{"snappy", CompressionSnappy, kgo.SnappyCompression()},
	{"lz4", CompressionLz4, kgo.Lz4Compression()},
	{"zstd", CompressionZstd, kgo.ZstdCompression()},
}

// sampleRecords covers null and empty keys and values, headers with null
// values, and timestamps that go backwards within a batch.
func sampleRecords() []Record {
	return []Record{
		{Timestamp: 1_700_000_000_000, Key: []byte("k0"), Value: []byte("v0")},
		{Timestamp: 1_700_000_000_500, Key: nil, Value: []byte("no key")},
		{Timestamp: 1_699_999_999_000, Key: []byte{}, Value: nil, Headers: []RecordHeader{
			{Key: "h1", Value: []byte("x")}, {Key: "", Value: nil},
		}},
		{Timestamp: 1_700_000_001_000, Key: []byte("k3"), Value: bytes.Repeat([]byte("abc"), 1000)},
	}
}

// franzBatch encodes records the way franz-go's client does: kmsg records,
// compressed by kgo's default compressor, in a kmsg.RecordBatch.
func franzBatch(t testing.TB, codec kgo.CompressionCodec, baseOffset int64, recs []Record) []byte {
	t.Helper()
	var raw []byte
	maxTs := recs[0].Timestamp
	for i, r := range recs {
		maxTs = max(maxTs, r.Timestamp)
		kr := kmsg.Record{
			TimestampDelta64: r.Timestamp - recs[0].Timestamp,
			OffsetDelta:      int32(i),
			Key:              r.Key,
			Value:            r.Value,
		}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
		}
		kr.Length = int32(len(kr.AppendTo(nil)) - 1) // Length 0 encodes in one byte
		raw = kr.AppendTo(raw)
	}
	comp, err := kgo.DefaultCompressor(codec)
	if err != nil {
		t.Fatal(err)
	}
	var attrs int16
	if comp != nil {
		var buf bytes.Buffer
		out, used := comp.Compress(&buf, raw)
		raw = append([]byte(nil), out...)
		attrs = int16(used)
	}
	kb := kmsg.RecordBatch{
		FirstOffset:          baseOffset,
		PartitionLeaderEpoch: -1,
		Magic:                2,
		Attributes:           attrs,
		LastOffsetDelta:      int32(len(recs) - 1),
		FirstTimestamp:       recs[0].Timestamp,
		MaxTimestamp:         maxTs,
		ProducerID:           42,
		ProducerEpoch:        3,
		FirstSequence:        7,
		NumRecords:           int32(len(recs)),
		Records:              raw,
	}
	kb.Length = int32(HeaderSize - LengthOffset + len(raw))
	b := kb.AppendTo(nil)
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoli))
	return b
}

// xerialSnappy frames raw the way snappy-java does, in blocks of chunk
// bytes.
func xerialSnappy(raw []byte, chunk int) []byte {
	out := append([]byte(nil), xerialMagic...)
	out = binary.BigEndian.AppendUint32(out, 1) // version
	out = binary.BigEndian.AppendUint32(out, 1) // compatible version
	for len(raw) > 0 {
		n := min(chunk, len(raw))
		block := s2.EncodeSnappy(nil, raw[:n])
		out = binary.BigEndian.AppendUint32(out, uint32(len(block)))
		out = append(out, block...)
		raw = raw[n:]
	}
	return out
}

// rebatch replaces the records section of an uncompressed batch with body
// compressed as codec, fixing the length and CRC.
func rebatch(b []byte, codec int8, body []byte) []byte {
	out := append(append([]byte(nil), b[:HeaderSize]...), body...)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-LengthOffset))
	attrs := binary.BigEndian.Uint16(out[21:])&^CompressionMask | uint16(codec)
	binary.BigEndian.PutUint16(out[21:], attrs)
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], castagnoli))
	return out
}

// fixCRC recomputes the CRC after a test edits a covered field.
func fixCRC(b []byte) []byte {
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoli))
	return b
}

func mustBuild(t testing.TB, spec BatchSpec, recs []Record) []byte {
	t.Helper()
	b, err := Build(spec, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
