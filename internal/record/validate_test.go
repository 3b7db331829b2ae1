package record

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestValidateProduce(t *testing.T) {
	const now = 1_700_000_000_000
	recs := func(ts ...int64) []Record {
		out := make([]Record, len(ts))
		for i, t := range ts {
			out[i] = Record{Timestamp: t, Key: []byte{byte(i)}, Value: []byte("v")}
		}
		return out
	}
	idem := BatchSpec{Idempotent: true, ProducerID: 9, ProducerEpoch: 0, BaseSequence: 0}
	window := ProduceRules{Now: now, BeforeMaxMs: 1000, AfterMaxMs: 1000}
	keyless := []Record{{Timestamp: now, Key: []byte("k")}, {Timestamp: now}}

	tests := []struct {
		name      string
		batch     []byte
		rules     ProduceRules
		want      error
		wantIndex int // for *RecordError
	}{
		{name: "plain batch", batch: mustBuild(t, BatchSpec{}, recs(now, now)), rules: window},
		{name: "idempotent batch", batch: mustBuild(t, idem, recs(now)), rules: window},
		{name: "base offset ignored", batch: withBaseOffset(mustBuild(t, BatchSpec{}, recs(now)), 1234)},
		{name: "all codecs decoded", batch: mustBuild(t, BatchSpec{Compression: CompressionZstd}, recs(now, now+1)), rules: ProduceRules{NeedRecords: true}},
		{name: "bad CRC", batch: flip(mustBuild(t, BatchSpec{}, recs(now)), 65), want: ErrCorrupt},
		{name: "codec 5", batch: fixCRC(setAttrs(mustBuild(t, BatchSpec{}, recs(now)), 5)), want: ErrUnsupportedCompression},
		{name: "control from client", batch: mustBuild(t, BatchSpec{Control: true, Transactional: true, Idempotent: true, ProducerID: 1}, []Record{EndTxnMarker(true, 0, now)}), want: ErrInvalidRecord, wantIndex: -1},
		{name: "count mismatch", batch: mustBuild(t, BatchSpec{BaseOffset: 0, UseRecordOffsets: true}, []Record{{Offset: 0}, {Offset: 2}}), want: ErrInvalidRecord, wantIndex: -1},
		{name: "negative epoch", batch: mustBuild(t, BatchSpec{Idempotent: true, ProducerID: 1, ProducerEpoch: -1}, recs(now)), want: ErrInvalidRecord, wantIndex: -1},
		{name: "negative sequence", batch: mustBuild(t, BatchSpec{Idempotent: true, ProducerID: 1, BaseSequence: -5}, recs(now)), want: ErrInvalidRecord, wantIndex: -1},
		{name: "producer id below -1", batch: mustBuild(t, BatchSpec{Idempotent: true, ProducerID: -2}, recs(now)), want: ErrInvalidRecord, wantIndex: -1},
		{name: "transactional without producer", batch: mustBuild(t, BatchSpec{Transactional: true}, recs(now)), want: ErrInvalidRecord, wantIndex: -1},
		{name: "too new, compressed", batch: mustBuild(t, BatchSpec{Compression: CompressionGzip}, recs(now, now, now+5000)), rules: window, want: ErrInvalidTimestamp, wantIndex: 2},
		{name: "first too old", batch: mustBuild(t, BatchSpec{}, recs(now-5000, now)), rules: window, want: ErrInvalidTimestamp, wantIndex: 0},
		{name: "no limits", batch: mustBuild(t, BatchSpec{}, recs(0, now*2)), rules: ProduceRules{Now: now}},
		{name: "log append time skips timestamps", batch: mustBuild(t, BatchSpec{}, recs(0)), rules: ProduceRules{Now: now, BeforeMaxMs: 1, LogAppendTime: true}},
		{name: "lying max timestamp", batch: fixCRC(setU64(mustBuild(t, BatchSpec{}, recs(now)), 35, now+5000)), rules: window, want: ErrInvalidTimestamp, wantIndex: -1},
		{name: "middle record checked with NeedRecords", batch: mustBuild(t, BatchSpec{}, recs(now, now-5000, now)), rules: ProduceRules{Now: now, BeforeMaxMs: 1000, NeedRecords: true}, want: ErrInvalidTimestamp, wantIndex: 1},
		{name: "middle record unchecked without NeedRecords", batch: mustBuild(t, BatchSpec{}, recs(now, now-5000, now)), rules: window},
		{name: "keyless on compacted topic", batch: mustBuild(t, BatchSpec{Compression: CompressionSnappy}, keyless), rules: ProduceRules{Compacted: true}, want: ErrInvalidRecord, wantIndex: 1},
		{name: "keyless on plain topic", batch: mustBuild(t, BatchSpec{}, keyless)},
		{name: "offset deltas not dense", batch: fixCRC(setU32(mustBuild(t, BatchSpec{BaseOffset: 0, UseRecordOffsets: true}, []Record{{Offset: 0}, {Offset: 2}}), 23, 1)), rules: ProduceRules{NeedRecords: true}, want: ErrInvalidRecord, wantIndex: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateProduce(tt.batch, tt.rules)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var re *RecordError
			if errors.As(err, &re) != (tt.want == ErrInvalidRecord || tt.want == ErrInvalidTimestamp) {
				t.Fatalf("RecordError %v for %v", re, err)
			}
			if re != nil && re.Index != tt.wantIndex {
				t.Errorf("index %d, want %d (%v)", re.Index, tt.wantIndex, err)
			}
		})
	}
}

func withBaseOffset(b []byte, off int64) []byte { SetBaseOffset(b, off); return b }

func flip(b []byte, at int) []byte { b[at] ^= 0xff; return b }

func setAttrs(b []byte, attrs uint16) []byte {
	binary.BigEndian.PutUint16(b[21:], attrs)
	return b
}

func setU64(b []byte, at int, v int64) []byte {
	binary.BigEndian.PutUint64(b[at:], uint64(v))
	return b
}

func TestSplit(t *testing.T) {
	a := mustBuild(t, BatchSpec{}, sampleRecords())
	b := mustBuild(t, BatchSpec{Compression: CompressionZstd}, sampleRecords()[:1])
	both := append(append([]byte(nil), a...), b...)
	tests := []struct {
		name  string
		buf   []byte
		count int
		want  error
	}{
		{"empty", nil, 0, nil},
		{"one", a, 1, nil},
		{"two", both, 2, nil},
		{"partial second", both[:len(both)-1], 1, ErrTruncated},
		{"partial length field", both[:len(a)+5], 1, ErrTruncated},
		{"length too small", append(append([]byte(nil), a...), setU32(b, 8, 3)...), 1, ErrCorrupt},
		{"negative length", setU32(a, 8, 0xffffffff), 0, ErrCorrupt},
	}
	for _, tt := range tests {
		got, err := Split(tt.buf)
		if len(got) != tt.count || !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: %d batches, %v; want %d, %v", tt.name, len(got), err, tt.count, tt.want)
		}
		for _, batch := range got {
			if _, err := Validate(batch); err != nil {
				t.Errorf("%s: split batch invalid: %v", tt.name, err)
			}
		}
	}
}
