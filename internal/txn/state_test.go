package txn

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

func newIDs(next int64) func() (int64, error) {
	return func() (int64, error) { next++; return next, nil }
}

func fresh() Metadata {
	return Metadata{ID: "t", ProducerID: 7, ProducerEpoch: 0, LastProducerID: -1, LastProducerEpoch: -1, TimeoutMs: 1000, State: Empty, StartMs: -1}
}

var (
	tpA = TopicPartition{"a", 0}
	tpB = TopicPartition{"b", 1}
)

// TestLifecycle walks a transactional id through commit, abort, timeout
// and re-initialization.
func TestLifecycle(t *testing.T) {
	m := fresh()
	m, changed, err := AddPartitions(m, 7, 0, true, []TopicPartition{tpB, tpA, tpA}, 100)
	if err != nil || !changed || m.State != Ongoing || m.StartMs != 100 || !reflect.DeepEqual(m.Partitions, []TopicPartition{tpA, tpB}) {
		t.Fatalf("add: %+v %v %v", m, changed, err)
	}
	if _, changed, _ := AddPartitions(m, 7, 0, true, []TopicPartition{tpA}, 150); changed {
		t.Fatal("adding a partition already in the transaction must not write")
	}
	if m.Deadline().UnixMilli() != 1100 {
		t.Fatalf("deadline %v", m.Deadline())
	}
	d, n, err := End(m, 7, 0, true, true, 200)
	if err != nil || d != EndPrepare || n.State != PrepareCommit {
		t.Fatalf("end: %v %+v %v", d, n, err)
	}
	if _, _, err := AddPartitions(n, 7, 0, true, []TopicPartition{tpA}, 210); !errors.Is(err, kerr.ConcurrentTransactions) {
		t.Fatalf("add while preparing: %v", err)
	}
	if _, _, err := Init(n, InitInput{TimeoutMs: 1000, ProducerID: -1}, newIDs(100)); !errors.Is(err, kerr.ConcurrentTransactions) {
		t.Fatalf("init while preparing: %v", err)
	}
	c := Complete(n, 300)
	if c.State != CompleteCommit || len(c.Partitions) != 0 || c.StartMs != -1 {
		t.Fatalf("complete: %+v", c)
	}
	if d, _, err := End(c, 7, 0, true, true, 310); err != nil || d != EndDone {
		t.Fatalf("retried commit: %v %v", d, err)
	}
	if _, _, err := End(c, 7, 0, true, false, 310); !errors.Is(err, kerr.InvalidTxnState) {
		t.Fatalf("abort after commit: %v", err)
	}

	// Timeout: abort with a bumped epoch.
	m, _, _ = AddPartitions(c, 7, 0, true, []TopicPartition{tpA}, 1000)
	if _, ok, _ := TimedOut(m, 1999, newIDs(100)); ok {
		t.Fatal("timed out early")
	}
	to, ok, err := TimedOut(m, 2000, newIDs(100))
	if err != nil || !ok || to.State != PrepareAbort || to.ProducerEpoch != 1 || to.LastProducerEpoch != 0 {
		t.Fatalf("timeout: %+v %v %v", to, ok, err)
	}
	// The fenced producer is refused.
	to = Complete(to, 2001)
	if _, _, err := AddPartitions(to, 7, 0, true, []TopicPartition{tpA}, 2002); !errors.Is(err, kerr.ProducerFenced) {
		t.Fatalf("fenced producer: %v", err)
	}
	if _, _, err := AddPartitions(to, 7, 0, false, []TopicPartition{tpA}, 2002); !errors.Is(err, kerr.InvalidProducerEpoch) {
		t.Fatalf("fenced producer, old version: %v", err)
	}
	if _, _, err := AddPartitions(to, 8, 1, true, []TopicPartition{tpA}, 2002); !errors.Is(err, kerr.InvalidProducerIDMapping) {
		t.Fatalf("wrong producer id: %v", err)
	}
}

func TestInit(t *testing.T) {
	m := fresh()
	d, n, err := Init(m, InitInput{TimeoutMs: 5000, ProducerID: -1, NowMs: 10}, newIDs(100))
	if err != nil || d != InitBump || n.ProducerEpoch != 1 || n.TimeoutMs != 5000 || n.State != Empty {
		t.Fatalf("bump: %v %+v %v", d, n, err)
	}
	// KIP-360: the current id/epoch bumps; the previous one (a retry of
	// that bump) gets the current epoch back; an older epoch is fenced.
	if d, _, err := Init(n, InitInput{TimeoutMs: 5000, ProducerID: 7, ProducerEpoch: 1}, newIDs(100)); err != nil || d != InitBump {
		t.Fatalf("bump with current epoch: %v %v", d, err)
	}
	if d, _, err := Init(n, InitInput{TimeoutMs: 5000, ProducerID: 7, ProducerEpoch: 0}, newIDs(100)); err != nil || d != InitRetry {
		t.Fatalf("retry of a bump: %v %v", d, err)
	}
	_, n2, _ := Init(n, InitInput{TimeoutMs: 5000, ProducerID: -1}, newIDs(100))
	_, n2, _ = Init(n2, InitInput{TimeoutMs: 5000, ProducerID: -1}, newIDs(100)) // epoch 3, last 2
	if _, _, err := Init(n2, InitInput{TimeoutMs: 5000, ProducerID: 7, ProducerEpoch: 1, FencedOK: true}, newIDs(100)); !errors.Is(err, kerr.ProducerFenced) {
		t.Fatalf("zombie init: %v", err)
	}
	// An open transaction is aborted first with a fencing epoch.
	o, _, _ := AddPartitions(n, 7, 1, true, []TopicPartition{tpA}, 20)
	d, a, err := Init(o, InitInput{TimeoutMs: 5000, ProducerID: -1, NowMs: 30}, newIDs(100))
	if err != nil || d != InitAbortFirst || a.State != PrepareAbort || a.ProducerEpoch != 2 || len(a.Partitions) != 1 {
		t.Fatalf("init over an open transaction: %v %+v %v", d, a, err)
	}
	// Epoch exhaustion moves to a new producer id.
	x := fresh()
	x.ProducerEpoch = math.MaxInt16 - 1
	_, y, err := Init(x, InitInput{TimeoutMs: 5000, ProducerID: -1}, newIDs(100))
	if err != nil || y.ProducerID != 101 || y.ProducerEpoch != 0 || y.LastProducerID != 7 {
		t.Fatalf("epoch exhaustion: %+v %v", y, err)
	}
}

func TestExpired(t *testing.T) {
	m := fresh()
	m.UpdateMs = 0
	if Expired(m, 9_999, 10*time.Second) {
		t.Fatal("expired too early")
	}
	if !Expired(m, 10_000, 10*time.Second) {
		t.Fatal("not expired")
	}
	m.State = Ongoing
	if Expired(m, 1<<40, 1) {
		t.Fatal("an open transaction must not expire")
	}
}

func TestCodecRoundTrip(t *testing.T) {
	m := fresh()
	m.State, m.StartMs, m.UpdateMs = Ongoing, 5, 6
	m.Partitions = []TopicPartition{tpA, {"a", 3}, tpB}
	id, got, ok, err := decodeRecord(encodeKey("t"), encodeValue(m))
	if err != nil || !ok || id != "t" {
		t.Fatalf("decode: %v %v", ok, err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
	}
	if id, _, ok, err := decodeRecord(encodeKey("gone"), nil); err != nil || ok || id != "gone" {
		t.Fatalf("tombstone: %q %v %v", id, ok, err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	m := fresh()
	m.Partitions = []TopicPartition{tpA}
	f.Add(encodeKey("t"), encodeValue(m))
	f.Add([]byte{0, 0}, []byte{0, 0, 1})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		id, m, ok, err := decodeRecord(key, value)
		if err != nil || !ok {
			return
		}
		_, again, ok2, err := decodeRecord(encodeKey(id), encodeValue(m))
		if err != nil || !ok2 || !reflect.DeepEqual(again, m) {
			t.Fatalf("re-encoding %+v: %+v %v", m, again, err)
		}
	})
}
