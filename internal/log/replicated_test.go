package log

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/record"
)

// leaderLog returns the bytes of a leader log holding batches written in
// epochs 1 and 3, and the leader log itself.
func leaderLog(t testing.TB) (*Log, []byte) {
	t.Helper()
	l := openT(t, fs.NewMem(), "/leader", testConfig())
	t.Cleanup(func() { l.Close() })
	for i, epoch := range []int32{1, 1, 3} {
		if _, err := l.Append(makeBatch(t, idem(7, 0, int32(3*i), 3)), AppendOptions{LeaderEpoch: epoch, LogAppendTime: -1}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := l.Read(0, 1<<20, l.NextOffset())
	if err != nil {
		t.Fatal(err)
	}
	return l, b
}

func TestAppendReplicatedKeepsTheLeadersLog(t *testing.T) {
	leader, all := leaderLog(t)
	f := openT(t, fs.NewMem(), "/follower", testConfig())
	defer f.Close()
	// A fetch cut in the middle of the last batch appends the whole ones.
	n, err := f.AppendReplicated(bytes.Clone(all[:len(all)-5]))
	if err != nil || f.NextOffset() != 6 {
		t.Fatalf("appended %d bytes, LEO %d, %v", n, f.NextOffset(), err)
	}
	if _, err := f.AppendReplicated(bytes.Clone(all[n:])); err != nil {
		t.Fatal(err)
	}
	got, err := f.Read(0, 1<<20, f.NextOffset())
	if err != nil || !bytes.Equal(got, all) {
		t.Fatalf("follower log differs from the leader's (%v)", err)
	}
	for _, e := range []int32{1, 3} {
		le, lend := leader.EndOffsetForEpoch(e)
		fe, fend := f.EndOffsetForEpoch(e)
		if le != fe || lend != fend {
			t.Fatalf("epoch %d: leader (%d,%d), follower (%d,%d)", e, le, lend, fe, fend)
		}
	}
	if p := f.Producers(); len(p) != 1 || p[0].LastSequence != 8 {
		t.Fatalf("producer state %+v", p)
	}
	// Not the log end: refused, nothing written.
	if _, err := f.AppendReplicated(bytes.Clone(all)); !errors.Is(err, ErrReplicaMismatch) {
		t.Fatalf("replaying from offset 0: %v", err)
	}
	bad := bytes.Clone(all[:n])
	bad[len(bad)-1] ^= 1
	g := openT(t, fs.NewMem(), "/g", testConfig())
	defer g.Close()
	if _, err := g.AppendReplicated(bad); !errors.Is(err, record.ErrCorrupt) {
		t.Fatalf("corrupt batch: %v", err)
	}
}

func TestTruncateReplicaDropsEmptyEpochs(t *testing.T) {
	_, all := leaderLog(t)
	f := openT(t, fs.NewMem(), "/follower", testConfig())
	defer f.Close()
	if _, err := f.AppendReplicated(bytes.Clone(all)); err != nil {
		t.Fatal(err)
	}
	// This replica led epoch 5 without writing anything.
	if err := f.AssignEpochStartOffset(5, f.NextOffset()); err != nil {
		t.Fatal(err)
	}
	if err := f.TruncateReplica(f.NextOffset()); err != nil {
		t.Fatal(err)
	}
	if e := f.LatestEpoch(); e != 3 {
		t.Fatalf("latest epoch %d after dropping the empty epoch 5, want 3", e)
	}
	if err := f.TruncateReplica(6); err != nil {
		t.Fatal(err)
	}
	if f.NextOffset() != 6 || f.LatestEpoch() != 1 {
		t.Fatalf("after truncating epoch 3: LEO %d, latest epoch %d", f.NextOffset(), f.LatestEpoch())
	}
}

// FuzzAppendReplicated feeds arbitrary fetched bytes to a follower log:
// it appends a prefix of whole valid batches or fails, never panics, and
// the log reopens with what was appended.
func FuzzAppendReplicated(f *testing.F) {
	_, all := leaderLog(f)
	f.Add(all)
	f.Add(all[:100])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		mem := fs.NewMem()
		l := openT(t, mem, "/f", testConfig())
		n, _ := l.AppendReplicated(bytes.Clone(b))
		end := l.NextOffset()
		if n > len(b) {
			t.Fatalf("appended %d of %d bytes", n, len(b))
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = openT(t, mem, "/f", testConfig())
		defer l.Close()
		if l.NextOffset() != end {
			t.Fatalf("reopened LEO %d, was %d", l.NextOffset(), end)
		}
	})
}

func TestResetReplica(t *testing.T) {
	mem := fs.NewMem()
	_, all := leaderLog(t)
	f := openT(t, mem, "/follower", testConfig())
	if _, err := f.AppendReplicated(bytes.Clone(all)); err != nil {
		t.Fatal(err)
	}
	if err := f.ResetReplica(5); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("reset below the log end: %v", err)
	}
	if err := f.ResetReplica(100); err != nil {
		t.Fatal(err)
	}
	if f.StartOffset() != 100 || f.NextOffset() != 100 || f.DurableOffset() != 100 || f.LatestEpoch() != -1 || len(f.Producers()) != 0 {
		t.Fatalf("after reset: start %d, LEO %d, durable %d, epoch %d, producers %v", f.StartOffset(), f.NextOffset(), f.DurableOffset(), f.LatestEpoch(), f.Producers())
	}
	// The leader's batches from 100 on follow.
	b := makeBatch(t, plain(2, 1000))
	record.SetBaseOffset(b, 100)
	record.SetPartitionLeaderEpoch(b, 4)
	if _, err := f.AppendReplicated(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f = openT(t, mem, "/follower", testConfig())
	defer f.Close()
	if f.StartOffset() != 100 || f.NextOffset() != 102 || f.LatestEpoch() != 4 {
		t.Fatalf("reopened: start %d, LEO %d, epoch %d", f.StartOffset(), f.NextOffset(), f.LatestEpoch())
	}
}

func TestAppendReplicatedAroundLogStart(t *testing.T) {
	f := openT(t, fs.NewMem(), "/follower", testConfig())
	defer f.Close()
	if err := f.ResetReplica(100); err != nil {
		t.Fatal(err)
	}
	// The leader's log start 100 falls inside its batch 98..101.
	b := makeBatch(t, plain(4, 1000))
	record.SetBaseOffset(b, 98)
	if _, err := f.AppendReplicated(b); err != nil {
		t.Fatal(err)
	}
	if f.StartOffset() != 100 || f.NextOffset() != 102 {
		t.Fatalf("start %d, LEO %d; want 100, 102", f.StartOffset(), f.NextOffset())
	}
	// A non-empty log never restarts for a batch behind its end.
	c := makeBatch(t, plain(1, 1000))
	record.SetBaseOffset(c, 101)
	if _, err := f.AppendReplicated(c); !errors.Is(err, ErrReplicaMismatch) {
		t.Fatalf("overlapping batch: %v", err)
	}
}
