package group

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// logOf is the __consumer_offsets log of a group's life: every diff the
// coordinator would have written, in order.
type logOf struct {
	t      *testing.T
	stored consumerImage
	recs   []kv
}

func (l *logOf) store(g *Consumer) {
	want := consumerRecords(g)
	l.recs = append(l.recs, consumerDiff(l.stored, want)...)
	l.stored = want
}

// replay decodes the log as the coordinator's load does.
func (l *logOf) replay() consumerImages {
	l.t.Helper()
	imgs := consumerImages{}
	for _, r := range l.recs {
		d, err := decodeRecord(r.key, r.value)
		if err != nil {
			l.t.Fatal(err)
		}
		if !imgs.replay(d) {
			l.t.Fatalf("not a consumer group record: %+v", d)
		}
	}
	return imgs
}

// TestConsumerReplay drives a group through joins, a revocation in
// progress, a static member and a leave, storing the diff after each
// step; replaying the records rebuilds the same group, and its members
// carry on with their epochs and assignments, with no new group epoch.
func TestConsumerReplay(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 6}, TopicMeta{"b", topicB, 2})
	l := &logOf{t: t}
	step := func(r ConsumerHeartbeatResponse) ConsumerHeartbeatResponse {
		t.Helper()
		wantOK(t, r)
		l.store(h.g)
		return r
	}
	r1 := step(h.join("m1", "a", "b"))
	step(h.join("m2", "a"))
	r1 = step(h.beat("m1", 1, r1.Assignment)) // m1 revoking
	inst := "static-1"
	step(h.hb(ConsumerHeartbeatRequest{Version: 1, MemberID: "m3", InstanceID: &inst, RebalanceTimeoutMs: 20000,
		SubscribedTopicNames: []string{"b"}, OwnedSent: true, Owned: Assignment{}}))
	step(h.join("m4", "a"))
	step(h.hb(ConsumerHeartbeatRequest{MemberID: "m4", MemberEpoch: EpochLeave}))
	if h.g.Member("m1").State != MemberUnrevokedPartitions {
		t.Fatalf("m1 should be revoking: %v", h.g.Member("m1").State)
	}

	imgs := l.replay()
	if len(imgs) != 1 || len(imgs["g"]) != len(l.stored) {
		t.Fatalf("replayed %d groups, %d records; stored %d", len(imgs), len(imgs["g"]), len(l.stored))
	}
	later := h.now.Add(time.Minute)
	g := restoreConsumer("g", testConsumerLimits, imgs["g"], later)
	assertSameConsumer(t, h.g, g)
	if g.Member("m1").revokeDeadline != later.Add(10*time.Second) || g.Member("m2").sessionDeadline != later.Add(45*time.Second) {
		t.Fatalf("deadlines: revoke %v session %v", g.Member("m1").revokeDeadline, g.Member("m2").sessionDeadline)
	}
	// Restored records re-encode to what is stored: nothing to write.
	if d := consumerDiff(imgs["g"], consumerRecords(g)); len(d) != 0 {
		t.Fatalf("restored group differs from its records: %d records", len(d))
	}

	// The members carry on: m1 finishes revoking, m2 gets the released
	// partitions, no new group epoch.
	h.g, h.now = g, later
	epoch := g.Epoch()
	owned := r1.Assignment
	for i := 0; i < 3 && h.g.Member("m1").Epoch != epoch; i++ {
		r1 = wantOK(t, h.beat("m1", h.g.Member("m1").Epoch, owned))
		if r1.HasAssignment {
			owned = r1.Assignment
		}
	}
	r1.Assignment = owned
	if r1.MemberEpoch != epoch {
		t.Fatalf("m1 after revoking: epoch %d, want %d", r1.MemberEpoch, epoch)
	}
	r2 := wantOK(t, h.beat("m2", h.g.Member("m2").Epoch, Assignment{}))
	if len(r2.Assignment[topicA]) == 0 || r2.Assignment.intersects(r1.Assignment) {
		t.Fatalf("m2: %+v, m1 %+v", r2.Assignment, r1.Assignment)
	}
	if g.Epoch() != epoch {
		t.Fatalf("group epoch %d after the restore, was %d: a rebalance", g.Epoch(), epoch)
	}
}

func assertSameConsumer(t *testing.T, want, got *Consumer) {
	t.Helper()
	if got.Epoch() != want.Epoch() || got.AssignmentEpoch() != want.AssignmentEpoch() || got.State() != want.State() {
		t.Fatalf("epoch %d/%d state %v, want %d/%d %v", got.Epoch(), got.AssignmentEpoch(), got.State(), want.Epoch(), want.AssignmentEpoch(), want.State())
	}
	if !reflect.DeepEqual(got.target, want.target) || !reflect.DeepEqual(got.owners, want.owners) ||
		!reflect.DeepEqual(got.static, want.static) || !reflect.DeepEqual(got.subscribed, want.subscribed) ||
		!reflect.DeepEqual(got.subscribedNames, want.subscribedNames) {
		t.Fatalf("target %v owners %v static %v subscribed %v; want %v %v %v %v",
			got.target, got.owners, got.static, got.subscribed, want.target, want.owners, want.static, want.subscribed)
	}
	if len(got.members) != len(want.members) {
		t.Fatalf("%d members, want %d", len(got.members), len(want.members))
	}
	for id, w := range want.members {
		g := *got.members[id]
		wc := *w
		g.sessionDeadline, g.revokeDeadline, wc.sessionDeadline, wc.revokeDeadline = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, wc) {
			t.Errorf("member %s:\n got %+v\nwant %+v", id, g, wc)
		}
	}
}

// TestConsumerReplayDeletes: the last member leaving keeps an empty
// group; deleting it (tombstones) leaves nothing; a classic group's
// metadata written later ends a consumer group of the same id.
func TestConsumerReplayDeletes(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 2})
	l := &logOf{t: t}
	wantOK(t, h.join("m1", "a"))
	l.store(h.g)
	wantOK(t, h.hb(ConsumerHeartbeatRequest{MemberID: "m1", MemberEpoch: EpochLeave}))
	l.store(h.g)
	g := restoreConsumer("g", testConsumerLimits, l.replay()["g"], t0)
	if !g.IsEmpty() || g.Epoch() != 2 || len(g.target) != 0 {
		t.Fatalf("empty group: epoch %d, %d members, targets %v", g.Epoch(), g.Size(), g.target)
	}
	l.recs = append(l.recs, consumerDiff(l.stored, nil)...)
	if imgs := l.replay(); len(imgs) != 0 {
		t.Fatalf("deleted group replayed: %v", imgs)
	}

	l = &logOf{t: t}
	l.store(h.g)
	imgs := l.replay()
	hh := newHarness(t, testLimits)
	hh.join("", "", consumerProtocols)
	d, err := decodeRecord(groupKey("g"), groupValue(hh.g))
	if err != nil {
		t.Fatal(err)
	}
	if imgs.replay(d) || len(imgs) != 0 {
		t.Fatalf("classic metadata did not end the consumer group: %v", imgs)
	}
}

// TestConsumerDiffOrder: a leaving member's tombstones come before the
// group's new epoch, as Kafka writes them.
func TestConsumerDiffOrder(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 2})
	wantOK(t, h.join("m1", "a"))
	wantOK(t, h.join("m2", "a"))
	before := consumerRecords(h.g)
	wantOK(t, h.hb(ConsumerHeartbeatRequest{MemberID: "m2", MemberEpoch: EpochLeave}))
	var got []int16
	for _, r := range consumerDiff(before, consumerRecords(h.g)) {
		k, err := decodeConsumerKey(r.key)
		if err != nil {
			t.Fatal(err)
		}
		v := k.version
		if r.value == nil {
			v = -v
		}
		got = append(got, v)
	}
	want := []int16{-8, -7, -5, 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("diff order %v, want %v (negative: tombstone)", got, want)
	}
}

// BenchmarkConsumerStoreKeepalive measures what storing costs a
// heartbeat that changed nothing in a group of 500 members: encoding the
// group's records and finding no difference.
func BenchmarkConsumerStoreKeepalive(b *testing.B) {
	h := newCH(b, testConsumerLimits, TopicMeta{"a", topicA, 1000})
	for i := range 500 {
		if r := h.join(fmt.Sprintf("member-%03d", i), "a"); r.Err != 0 {
			b.Fatalf("join: %d %s", r.Err, r.ErrMessage)
		}
	}
	stored := consumerRecords(h.g)
	b.ReportAllocs()
	for b.Loop() {
		if d := consumerDiff(stored, consumerRecords(h.g)); len(d) != 0 {
			b.Fatalf("%d records differ", len(d))
		}
	}
}
