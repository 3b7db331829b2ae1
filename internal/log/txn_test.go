package log

import (
	"reflect"
	"testing"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/record"
)

// txnBatch builds a transactional data batch of n records.
func txnBatch(t testing.TB, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{Timestamp: 1000, Value: []byte("v")}
	}
	b, err := record.Build(record.BatchSpec{Transactional: true, Idempotent: true, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq}, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// markerBatch builds a COMMIT or ABORT control batch.
func markerBatch(t testing.TB, pid int64, epoch int16, commit bool) []byte {
	t.Helper()
	b, err := record.Build(record.BatchSpec{Transactional: true, Control: true, Idempotent: true, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: -1},
		[]record.Record{record.EndTxnMarker(commit, 0, 1000)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func appendRaw(t testing.TB, l *Log, b []byte) AppendResult {
	t.Helper()
	res, err := l.Append(b, AppendOptions{LeaderEpoch: 0, LogAppendTime: -1})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

func TestTxnLastStableOffsetAndAbortedIndex(t *testing.T) {
	mem := fs.NewMem()
	l := openT(t, mem, "/l", testConfig())
	appendRaw(t, l, makeBatch(t, plain(2, 1000))) // 0-1
	appendRaw(t, l, txnBatch(t, 10, 0, 0, 3))     // 2-4 txn A
	appendRaw(t, l, txnBatch(t, 11, 0, 0, 2))     // 5-6 txn B
	if got := l.LastStableOffset(l.NextOffset()); got != 2 {
		t.Fatalf("LSO with two open transactions = %d, want 2", got)
	}
	appendRaw(t, l, markerBatch(t, 10, 0, false)) // 7: abort A
	if got := l.LastStableOffset(l.NextOffset()); got != 5 {
		t.Fatalf("LSO after aborting A = %d, want 5 (B open)", got)
	}
	appendRaw(t, l, markerBatch(t, 11, 0, true)) // 8: commit B
	hw := l.NextOffset()
	if got := l.LastStableOffset(8); got != 5 {
		t.Fatalf("LSO with B's commit marker at the high watermark = %d, want 5", got)
	}
	if got := l.LastStableOffset(hw); got != hw {
		t.Fatalf("LSO with no open transaction = %d, want the high watermark %d", got, hw)
	}
	want := []AbortedTxn{{ProducerID: 10, FirstOffset: 2, LastOffset: 7, LastStableOffset: 5}}
	if got := l.AbortedTxns(0, hw); !reflect.DeepEqual(got, want) {
		t.Fatalf("aborted = %+v, want %+v", got, want)
	}
	if got := l.AbortedTxns(8, hw); len(got) != 0 {
		t.Fatalf("aborted from 8 = %+v, want none", got)
	}
	if got := l.AbortedTxns(0, 2); len(got) != 0 {
		t.Fatalf("aborted below 2 = %+v, want none", got)
	}
	appendRaw(t, l, txnBatch(t, 12, 0, 0, 1)) // 9: txn C stays open
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen: the snapshot carries the open transaction, the index the
	// aborted one.
	l = openT(t, mem, "/l", testConfig())
	if got := l.LastStableOffset(l.NextOffset()); got != 9 {
		t.Fatalf("LSO after reopen = %d, want 9", got)
	}
	if got := l.AbortedTxns(0, l.NextOffset()); !reflect.DeepEqual(got, want) {
		t.Fatalf("aborted after reopen = %+v, want %+v", got, want)
	}
	if got := l.OngoingTxns(); len(got) != 1 || got[0].ProducerID != 12 || got[0].FirstOffset != 9 {
		t.Fatalf("ongoing after reopen = %+v", got)
	}
	appendRaw(t, l, markerBatch(t, 12, 0, false))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTxnRecoveryWithoutSnapshot rebuilds the transaction state and the
// aborted index by replaying the log after a crash (no snapshot at close).
func TestTxnRecoveryWithoutSnapshot(t *testing.T) {
	mem := fs.NewMem()
	l := openT(t, mem, "/l", testConfig())
	appendRaw(t, l, txnBatch(t, 10, 0, 0, 2))     // 0-1
	appendRaw(t, l, markerBatch(t, 10, 0, false)) // 2
	appendRaw(t, l, txnBatch(t, 11, 0, 0, 1))     // 3, open
	if err := l.Flush(l.NextOffset()); err != nil {
		t.Fatal(err)
	}
	mem.Crash()
	if err := l.Close(); err == nil {
		t.Log("close after crash succeeded") // the crashed FS may or may not refuse; either is fine
	}
	l = openT(t, mem, "/l", testConfig())
	defer l.Close()
	if got := l.LastStableOffset(l.NextOffset()); got != 3 {
		t.Fatalf("LSO = %d, want 3", got)
	}
	want := []AbortedTxn{{ProducerID: 10, FirstOffset: 0, LastOffset: 2, LastStableOffset: 3}}
	if got := l.AbortedTxns(0, l.NextOffset()); !reflect.DeepEqual(got, want) {
		t.Fatalf("aborted = %+v, want %+v", got, want)
	}
}

// TestTxnIndexPerSegment keeps each ABORT in the index of the segment
// holding its marker, deletes it with the segment, and truncation drops
// entries past the new end.
func TestTxnIndexPerSegment(t *testing.T) {
	mem := fs.NewMem()
	cfg := testConfig()
	cfg.SegmentBytes = 200
	l := openT(t, mem, "/l", cfg)
	defer l.Close()
	var markers []int64
	for i := range 6 {
		pid := int64(100 + i)
		appendRaw(t, l, txnBatch(t, pid, 0, 0, 1))
		markers = append(markers, appendRaw(t, l, markerBatch(t, pid, 0, false)).BaseOffset)
	}
	if got := l.AbortedTxns(0, l.NextOffset()); len(got) != 6 {
		t.Fatalf("aborted = %d entries, want 6", len(got))
	}
	names, err := mem.ReadDir("/l")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		if _, ok := parseSegmentName(name, txnIndexSuffix); ok {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("%d .txnindex files, want one per segment with an abort (>= 2): %v", n, names)
	}
	if err := l.TruncateTo(markers[3]); err != nil {
		t.Fatal(err)
	}
	got := l.AbortedTxns(0, l.NextOffset())
	if len(got) != 3 || got[2].LastOffset != markers[2] {
		t.Fatalf("after truncate: %+v", got)
	}
	if l.LastStableOffset(l.NextOffset()) != markers[3]-1 {
		t.Fatalf("after truncating the 4th marker its transaction is open again: LSO %d, want %d", l.LastStableOffset(l.NextOffset()), markers[3]-1)
	}
}

func TestTxnIndexCodec(t *testing.T) {
	in := []AbortedTxn{{1, 2, 3, 4}, {-1, 1 << 40, 1<<40 + 9, 7}}
	var b []byte
	for _, e := range in {
		b = encodeTxnEntry(b, e)
	}
	if len(b) != 2*txnEntrySize || txnEntrySize != 34 {
		t.Fatalf("entry size %d", len(b))
	}
	if got := decodeTxnIndex(append(b, 0, 0, 1)); !reflect.DeepEqual(got, in) {
		t.Fatalf("decode = %+v", got)
	}
}

func FuzzTxnIndex(f *testing.F) {
	f.Add(encodeTxnEntry(nil, AbortedTxn{1, 2, 3, 4}))
	f.Add([]byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range decodeTxnIndex(b) {
			if got := decodeTxnIndex(encodeTxnEntry(nil, e)); len(got) != 1 || got[0] != e {
				t.Fatalf("round trip of %+v = %+v", e, got)
			}
		}
	})
}
