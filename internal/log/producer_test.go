package log

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
)

func TestIdempotence(t *testing.T) {
	type step struct {
		b       batchSpec
		err     error
		dup     bool
		wantOff int64 // base offset expected
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{{b: idem(7, 0, 0, 2), wantOff: 0}, {b: idem(7, 0, 2, 3), wantOff: 2}}},
		{"duplicate of last returns original", []step{{b: idem(7, 0, 0, 2)}, {b: idem(7, 0, 2, 3), wantOff: 2}, {b: idem(7, 0, 2, 3), dup: true, wantOff: 2}}},
		{"duplicate of an older batch", []step{{b: idem(7, 0, 0, 1)}, {b: idem(7, 0, 1, 1), wantOff: 1}, {b: idem(7, 0, 2, 1), wantOff: 2}, {b: idem(7, 0, 0, 1), dup: true, wantOff: 0}}},
		{"out of order gap", []step{{b: idem(7, 0, 0, 2)}, {b: idem(7, 0, 5, 1), err: ErrOutOfOrderSequence}}},
		{"out of order overlap", []step{{b: idem(7, 0, 0, 2)}, {b: idem(7, 0, 1, 2), err: ErrOutOfOrderSequence}}},
		{"old epoch", []step{{b: idem(7, 3, 0, 1)}, {b: idem(7, 2, 1, 1), err: ErrInvalidProducerEpoch}}},
		{"new epoch at seq 0", []step{{b: idem(7, 0, 0, 1)}, {b: idem(7, 0, 1, 1), wantOff: 1}, {b: idem(7, 1, 0, 1), wantOff: 2}, {b: idem(7, 1, 1, 1), wantOff: 3}}},
		{"new epoch not at seq 0", []step{{b: idem(7, 0, 0, 1)}, {b: idem(7, 1, 4, 1), err: ErrOutOfOrderSequence}}},
		{"unknown producer any sequence", []step{{b: idem(8, 5, 1234, 2), wantOff: 0}, {b: idem(8, 5, 1236, 1), wantOff: 2}}},
		{"sequence wraps", []step{{b: idem(7, 0, math.MaxInt32-1, 2)}, {b: idem(7, 0, 0, 1), wantOff: 2}}},
		{"no producer id skips checks", []step{{b: plain(1, 1)}, {b: plain(1, 1), wantOff: 1}}},
		{"producers independent", []step{{b: idem(1, 0, 0, 1)}, {b: idem(2, 0, 0, 1), wantOff: 1}, {b: idem(1, 0, 1, 1), wantOff: 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := openT(t, fs.NewMem(), "/l", testConfig())
			defer l.Close()
			for i, s := range tc.steps {
				size := l.Size()
				res, err := l.Append(makeBatch(t, s.b), AppendOptions{LeaderEpoch: 0, LogAppendTime: -1})
				if !errors.Is(err, s.err) {
					t.Fatalf("step %d: err = %v, want %v", i, err, s.err)
				}
				if err != nil || s.dup {
					if l.Size() != size {
						t.Fatalf("step %d: rejected or duplicate batch wrote bytes", i)
					}
				}
				if err != nil {
					continue
				}
				if res.Duplicate != s.dup || res.BaseOffset != s.wantOff && (s.wantOff != 0 || s.dup) {
					t.Fatalf("step %d: result %+v, want dup %v base %d", i, res, s.dup, s.wantOff)
				}
			}
		})
	}
}

func TestProducerStateSurvivesReopenAndCrash(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 1500 // rolls (and snapshots) every few batches
	for _, crash := range []bool{false, true} {
		mem := fs.NewMem()
		l := openT(t, mem, "/p", cfg)
		seq := int32(0)
		var lastRes AppendResult
		for i := 0; i < 40; i++ {
			lastRes = appendT(t, l, idem(42, 1, seq, 3))
			seq += 3
			appendT(t, l, plain(1, 5))
		}
		if crash {
			if err := l.Flush(l.NextOffset()); err != nil {
				t.Fatal(err)
			}
			mem.Crash()
		} else if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l2 := openT(t, mem, "/p", cfg)
		res, err := l2.Append(makeBatch(t, idem(42, 1, seq-3, 3)), AppendOptions{LogAppendTime: -1})
		if err != nil || !res.Duplicate || res.BaseOffset != lastRes.BaseOffset {
			t.Fatalf("crash=%v: retry after reopen = %+v, %v; want duplicate of %+v", crash, res, err, lastRes)
		}
		if _, err := l2.Append(makeBatch(t, idem(42, 1, seq+1, 1)), AppendOptions{LogAppendTime: -1}); !errors.Is(err, ErrOutOfOrderSequence) {
			t.Fatalf("crash=%v: gap after reopen: %v", crash, err)
		}
		if _, err := l2.Append(makeBatch(t, idem(42, 0, seq, 1)), AppendOptions{LogAppendTime: -1}); !errors.Is(err, ErrInvalidProducerEpoch) {
			t.Fatalf("crash=%v: old epoch after reopen: %v", crash, err)
		}
		ps := l2.Producers()
		if len(ps) != 1 || ps[0].ProducerID != 42 || ps[0].ProducerEpoch != 1 || ps[0].LastSequence != seq-1 {
			t.Fatalf("crash=%v: Producers() = %+v", crash, ps)
		}
		if crash {
			_ = l.Close() // stale handles after the crash; the error is expected
		}
		if err := l2.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpireProducers(t *testing.T) {
	cfg := testConfig()
	cfg.MaxProducerIdleMs = 1000
	l := openT(t, fs.NewMem(), "/p", cfg)
	defer l.Close()
	appendT(t, l, idem(1, 0, 0, 1)) // timestamp 1000
	if n := l.ExpireProducers(time.UnixMilli(2000)); n != 0 {
		t.Fatalf("expired %d producers too early", n)
	}
	if n := l.ExpireProducers(time.UnixMilli(2001)); n != 1 {
		t.Fatalf("expired %d producers, want 1", n)
	}
	// Without state, any sequence is accepted again.
	if _, err := l.Append(makeBatch(t, idem(1, 0, 77, 1)), AppendOptions{LogAppendTime: -1}); err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotCodec(t *testing.T) {
	p := producers{
		1: {Epoch: 3, LastTimestamp: 99, Batches: []batchMeta{{FirstSeq: 0, LastSeq: 4, FirstOffset: 10, LastOffset: 14, AppendTime: -1}}},
		2: {Epoch: 0, LastTimestamp: 5},
	}
	got, err := decodeSnapshot(encodeSnapshot(p))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Epoch != 3 || got[1].Batches[0] != p[1].Batches[0] || got[2].LastTimestamp != 5 {
		t.Fatalf("round trip = %+v", got)
	}
	b := encodeSnapshot(p)
	b[len(b)-1] ^= 1
	if _, err := decodeSnapshot(b); !errors.Is(err, errBadSnapshot) {
		t.Fatalf("corrupt snapshot decoded: %v", err)
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(encodeSnapshot(producers{1: {Epoch: 1, Batches: []batchMeta{{LastSeq: 3}}}}))
	f.Add([]byte("GPS1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		if _, err := decodeSnapshot(encodeSnapshot(p)); err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
	})
}
