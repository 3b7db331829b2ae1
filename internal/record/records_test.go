package record

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func wantRecords(base int64, recs []Record) []Record {
	out := make([]Record, len(recs))
	for i, r := range recs {
		out[i] = r
		out[i].Offset = base + int64(i)
	}
	return out
}

func TestRecordsFromFranzGo(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			b := franzBatch(t, c.kgo, 100, sampleRecords())
			h, err := Validate(b)
			if err != nil {
				t.Fatal(err)
			}
			if h.Compression() != c.codec {
				t.Fatalf("codec %d, want %d", h.Compression(), c.codec)
			}
			got, err := Records(b)
			if err != nil {
				t.Fatal(err)
			}
			if want := wantRecords(100, sampleRecords()); !reflect.DeepEqual(got, want) {
				t.Errorf("records differ:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestRecordsXerialSnappy(t *testing.T) {
	plain := mustBuild(t, BatchSpec{BaseOffset: 5}, sampleRecords())
	for _, chunk := range []int{7, 100, 1 << 15} {
		b := rebatch(plain, CompressionSnappy, xerialSnappy(plain[HeaderSize:], chunk))
		got, err := Records(b)
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if want := wantRecords(5, sampleRecords()); !reflect.DeepEqual(got, want) {
			t.Errorf("chunk %d: records differ", chunk)
		}
	}
}

func TestBuildRoundTrip(t *testing.T) {
	specs := []BatchSpec{
		{BaseOffset: 0},
		{BaseOffset: 1 << 40, PartitionLeaderEpoch: 9, Idempotent: true, ProducerID: 77, ProducerEpoch: 2, BaseSequence: 1000},
		{Idempotent: true, ProducerID: 1, Transactional: true},
	}
	for _, c := range codecs {
		for _, spec := range specs {
			spec.Compression = c.codec
			b := mustBuild(t, spec, sampleRecords())
			got, err := Records(b)
			if err != nil {
				t.Fatalf("%s %+v: %v", c.name, spec, err)
			}
			if want := wantRecords(spec.BaseOffset, sampleRecords()); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: records differ", c.name)
			}
			checkFranzReads(t, b, spec)
		}
	}
}

// checkFranzReads decodes b with franz-go to confirm clients read what
// Build writes.
func checkFranzReads(t *testing.T, b []byte, spec BatchSpec) {
	t.Helper()
	var kb kmsg.RecordBatch
	if err := kb.ReadFrom(b); err != nil {
		t.Fatal(err)
	}
	raw, err := kgo.DefaultDecompressor().Decompress(kb.Records, kgo.CompressionCodecType(spec.Compression))
	if err != nil {
		t.Fatalf("franz-go cannot decompress codec %d: %v", spec.Compression, err)
	}
	recs := sampleRecords()
	for i := range recs {
		var kr kmsg.Record
		if err := kr.ReadFrom(raw); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !bytes.Equal(kr.Value, recs[i].Value) || kr.OffsetDelta != int32(i) {
			t.Errorf("franz-go record %d: delta %d value %q", i, kr.OffsetDelta, kr.Value)
		}
		raw = raw[len(kr.AppendTo(nil)):]
	}
	if kb.ProducerID != map[bool]int64{true: spec.ProducerID, false: -1}[spec.Idempotent] {
		t.Errorf("producer id %d", kb.ProducerID)
	}
}

func TestBuildRecordOffsets(t *testing.T) {
	recs := []Record{{Offset: 10, Key: []byte("a")}, {Offset: 13, Key: []byte("b")}}
	b := mustBuild(t, BatchSpec{BaseOffset: 10, UseRecordOffsets: true}, recs)
	h, _ := ParseHeader(b)
	if h.LastOffsetDelta != 3 || h.RecordCount != 2 {
		t.Errorf("last offset delta %d, count %d", h.LastOffsetDelta, h.RecordCount)
	}
	got, err := Records(b)
	if err != nil || got[1].Offset != 13 {
		t.Fatalf("records %+v, %v", got, err)
	}
	for _, bad := range [][]Record{
		{{Offset: 9}},
		{{Offset: 10}, {Offset: 10}},
	} {
		if _, err := Build(BatchSpec{BaseOffset: 10, UseRecordOffsets: true}, bad); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("offsets %+v: %v, want ErrInvalidRecord", bad, err)
		}
	}
	if _, err := Build(BatchSpec{}, nil); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("empty batch: %v", err)
	}
	if _, err := Build(BatchSpec{Compression: 6}, recs); !errors.Is(err, ErrUnsupportedCompression) {
		t.Errorf("codec 6: %v", err)
	}
}

func TestRecordsLogAppendTime(t *testing.T) {
	b := mustBuild(t, BatchSpec{Compression: CompressionLz4}, sampleRecords())
	SetLogAppendTime(b, 42)
	got, err := Records(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.Timestamp != 42 {
			t.Errorf("offset %d timestamp %d, want 42", r.Offset, r.Timestamp)
		}
	}
}

func TestDecompressBomb(t *testing.T) {
	zeros := make([]byte, 1<<20)
	for _, c := range codecs[1:] {
		comp, err := Compress(nil, c.codec, zeros)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decompress(c.codec, comp, 1000); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: 1 MiB under a 1000-byte limit: %v, want ErrCorrupt", c.name, err)
		}
		out, err := Decompress(c.codec, comp, 1<<20)
		if err != nil || len(out) != 1<<20 {
			t.Errorf("%s: exact limit: %d bytes, %v", c.name, len(out), err)
		}
	}
	xerial := xerialSnappy(zeros, 1<<16)
	if _, err := Decompress(CompressionSnappy, xerial, 1<<16); !errors.Is(err, ErrCorrupt) {
		t.Errorf("xerial over limit: %v", err)
	}
	if _, err := Decompress(5, nil, 0); !errors.Is(err, ErrUnsupportedCompression) {
		t.Errorf("codec 5: %v", err)
	}
}

func TestRecordsCorrupt(t *testing.T) {
	good := mustBuild(t, BatchSpec{}, sampleRecords())
	tests := []struct {
		name string
		b    []byte
	}{
		{"count too high", fixCRC(setU32(good, 57, 5))},
		{"count too low", fixCRC(setU32(good, 57, 3))},
		{"count absurd", fixCRC(setU32(good, 57, 1<<30))},
		{"garbage gzip", rebatch(good, CompressionGzip, []byte("not gzip"))},
		{"garbage snappy", rebatch(good, CompressionSnappy, []byte{0xff, 0xff, 0xff})},
		{"truncated xerial", rebatch(good, CompressionSnappy, append(xerialSnappy(good[HeaderSize:], 50)[:40:40], 0, 0))},
		{"garbage lz4", rebatch(good, CompressionLz4, []byte("nope"))},
		{"garbage zstd", rebatch(good, CompressionZstd, []byte("nope"))},
		{"record length past end", rebatch(good, CompressionNone, []byte{0x20, 0, 0, 0, 0, 0, 0, 0})},
	}
	for _, tt := range tests {
		if _, err := Records(tt.b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", tt.name, err)
		}
	}
}

func setU32(b []byte, at int, v uint32) []byte {
	out := append([]byte(nil), b...)
	out[at], out[at+1], out[at+2], out[at+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return out
}

func TestControlMarker(t *testing.T) {
	spec := BatchSpec{Control: true, Transactional: true, Idempotent: true, ProducerID: 5, ProducerEpoch: 1}
	b := mustBuild(t, spec, []Record{EndTxnMarker(true, 17, 1000)})
	h, err := Validate(b)
	if err != nil || !h.IsControl() || !h.IsTransactional() {
		t.Fatalf("header %+v, %v", h, err)
	}
	recs, err := Records(b)
	if err != nil {
		t.Fatal(err)
	}
	typ, epoch, err := ParseControl(recs[0])
	if typ != ControlCommit || epoch != 17 || err != nil {
		t.Errorf("ParseControl = %d, %d, %v", typ, epoch, err)
	}
	if _, _, err := ParseControl(Record{Key: []byte{0}}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short key: %v", err)
	}
}
