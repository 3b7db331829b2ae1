package record

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchRecords returns n records of valueSize bytes of compressible but
// not trivial data.
func benchRecords(n, valueSize int) []Record {
	rng := rand.New(rand.NewPCG(1, 1))
	words := []string{"order", "user", "amount", "currency", "EUR", "created", "status", "ok"}
	recs := make([]Record, n)
	for i := range recs {
		var v []byte
		for len(v) < valueSize {
			v = append(v, words[rng.IntN(len(words))]...)
			v = fmt.Appendf(v, "%d,", rng.IntN(1000))
		}
		recs[i] = Record{Timestamp: 1_700_000_000_000 + int64(i), Key: fmt.Appendf(nil, "key-%d", i), Value: v[:valueSize]}
	}
	return recs
}

// BenchmarkValidate measures the produce hot path's check: the CRC-32C of
// a 16 KiB batch.
func BenchmarkValidate(b *testing.B) {
	batch := mustBuild(b, BatchSpec{}, benchRecords(17, 1000))
	if len(batch) < 16<<10 {
		b.Fatalf("batch is %d bytes", len(batch))
	}
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		if _, err := Validate(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateProduce is Validate plus the header-only produce rules.
func BenchmarkValidateProduce(b *testing.B) {
	batch := mustBuild(b, BatchSpec{}, benchRecords(17, 1000))
	rules := ProduceRules{Now: 1_700_000_000_000, BeforeMaxMs: 1 << 40, AfterMaxMs: 1 << 40}
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		if _, err := ValidateProduce(batch, rules); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecords measures decoding a batch of 100 records of 160 bytes
// per codec; bytes/s are of decoded records.
func BenchmarkRecords(b *testing.B) {
	recs := benchRecords(100, 160)
	plain := mustBuild(b, BatchSpec{}, recs)
	for _, c := range codecs {
		b.Run(c.name, func(b *testing.B) {
			batch := mustBuild(b, BatchSpec{Compression: c.codec}, recs)
			b.SetBytes(int64(len(plain) - HeaderSize))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Records(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
