package record

import (
	"bytes"
	"errors"
	"testing"
)

// seedBatches returns small valid batches of every codec, plus xerial
// snappy. They are kept small: the fuzzer minimizes every new interesting
// input, which is slow for inputs of kilobytes.
func seedBatches(t testing.TB) [][]byte {
	small := sampleRecords()[:3]
	var out [][]byte
	for _, c := range codecs {
		out = append(out, mustBuild(t, BatchSpec{Compression: c.codec, Idempotent: true, ProducerID: 3}, small))
		out = append(out, franzBatch(t, c.kgo, 0, small[:2]))
	}
	plain := mustBuild(t, BatchSpec{}, small[:2])
	out = append(out, rebatch(plain, CompressionSnappy, xerialSnappy(plain[HeaderSize:], 16)))
	return out
}

// FuzzValidate checks that no input makes Validate, ValidateProduce or
// Records panic, and that they agree with each other.
func FuzzValidate(f *testing.F) {
	for _, b := range seedBatches(f) {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, b []byte, fixCRCFirst bool) {
		if fixCRCFirst && len(b) >= HeaderSize {
			// Most mutations break the CRC; fixing it lets the fuzzer
			// reach the record decoder. The fuzzer's input must not be
			// modified, so work on a copy.
			b = fixCRC(append([]byte(nil), b...))
		}
		h, verr := Validate(b)
		_, perr := ValidateProduce(b, ProduceRules{Now: 1, BeforeMaxMs: 1 << 40, AfterMaxMs: 1 << 40, Compacted: true, MaxDecompressed: 1 << 20})
		recs, rerr := RecordsLimit(b, 1<<20)
		if verr != nil && (perr == nil || rerr == nil) {
			t.Fatalf("Validate failed (%v) but ValidateProduce (%v) or Records (%v) passed", verr, perr, rerr)
		}
		if rerr == nil && len(recs) != int(h.RecordCount) {
			t.Fatalf("%d records, header says %d", len(recs), h.RecordCount)
		}
		for _, err := range []error{verr, perr, rerr} {
			if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrInvalidRecord) &&
				!errors.Is(err, ErrInvalidTimestamp) && !errors.Is(err, ErrUnsupportedCompression) {
				t.Fatalf("error without a sentinel: %v", err)
			}
		}
	})
}

// FuzzSplit checks Split never panics and that its batches tile a prefix
// of the input.
func FuzzSplit(f *testing.F) {
	seeds := seedBatches(f)
	f.Add(bytes.Join(seeds, nil))
	f.Add(seeds[0][:30])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, buf []byte) {
		batches, err := Split(buf)
		n := 0
		for _, b := range batches {
			if len(b) < HeaderSize || !bytes.Equal(b, buf[n:n+len(b)]) {
				t.Fatalf("batch at %d does not tile the input", n)
			}
			n += len(b)
		}
		if (err == nil) != (n == len(buf)) {
			t.Fatalf("consumed %d of %d bytes with error %v", n, len(buf), err)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error without ErrCorrupt: %v", err)
		}
	})
}
