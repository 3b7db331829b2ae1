package group

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

var (
	topicA = TopicID{1}
	topicB = TopicID{2}
	topicX = TopicID{3}
)

var testConsumerLimits = ConsumerLimits{SessionTimeout: 45 * time.Second, HeartbeatInterval: 5 * time.Second, Assignors: []string{"uniform", "range"}}

// ch drives one Consumer with a fake clock and a topic snapshot the test
// changes.
type ch struct {
	t      testing.TB
	g      *Consumer
	now    time.Time
	topics *TopicSnapshot
	stores int
}

func newCH(t testing.TB, l ConsumerLimits, topics ...TopicMeta) *ch {
	return &ch{t: t, g: NewConsumer("g", l, t0), now: t0, topics: NewTopicSnapshot(1, topics)}
}

func (h *ch) setTopics(topics ...TopicMeta) {
	h.topics = NewTopicSnapshot(h.topics.Version+1, topics)
}

func (h *ch) advance(d time.Duration) {
	h.now = h.now.Add(d)
	if h.g.Tick(h.now).Store {
		h.stores++
	}
}

func (h *ch) hb(req ConsumerHeartbeatRequest) ConsumerHeartbeatResponse {
	h.t.Helper()
	req.Version = 1
	if r := ValidateConsumerHeartbeat("g", &req, h.g.limits.Assignors); r != nil {
		return *r
	}
	resp, out := h.g.Heartbeat(h.now, req, h.topics)
	if out.Store {
		h.stores++
	}
	return resp
}

// join sends a first heartbeat subscribing to topics by name.
func (h *ch) join(id string, topics ...string) ConsumerHeartbeatResponse {
	h.t.Helper()
	return h.hb(ConsumerHeartbeatRequest{MemberID: id, RebalanceTimeoutMs: 10000, SubscribedTopicNames: topics, OwnedSent: true, Owned: Assignment{}})
}

// beat sends a full heartbeat reporting owned.
func (h *ch) beat(id string, epoch int32, owned Assignment) ConsumerHeartbeatResponse {
	h.t.Helper()
	return h.hb(ConsumerHeartbeatRequest{MemberID: id, MemberEpoch: epoch, RebalanceTimeoutMs: -1, OwnedSent: true, Owned: owned})
}

func wantOK(t *testing.T, r ConsumerHeartbeatResponse) ConsumerHeartbeatResponse {
	t.Helper()
	if r.Err != 0 {
		t.Fatalf("heartbeat failed: %v %s", kerr.ErrorForCode(r.Err), r.ErrMessage)
	}
	return r
}

func wantErr(t *testing.T, r ConsumerHeartbeatResponse, want *kerr.Error) {
	t.Helper()
	if r.Err != want.Code {
		t.Fatalf("got %v (%s), want %v", kerr.ErrorForCode(r.Err), r.ErrMessage, want)
	}
}

func TestConsumerJoinAndReconcileWithRevocation(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 4})
	r := wantOK(t, h.join("m1", "a"))
	if r.MemberEpoch != 1 || !r.HasAssignment || len(r.Assignment[topicA]) != 4 {
		t.Fatalf("first member: %+v", r)
	}
	if h.g.State() != Stable {
		t.Fatalf("state %v", h.g.State())
	}
	m1Owned := r.Assignment

	// A second member joins: the group epoch moves to 2 and the target
	// splits the partitions, but m2 gets nothing m1 still owns.
	r2 := wantOK(t, h.join("m2", "a"))
	if r2.MemberEpoch != 2 || len(r2.Assignment[topicA]) != 0 || h.g.Member("m2").State != MemberUnreleasedPartitions {
		t.Fatalf("m2 before m1 revoked: %+v state %v", r2, h.g.Member("m2").State)
	}
	if h.g.State() != Reconciling {
		t.Fatalf("state %v, want Reconciling", h.g.State())
	}
	// m1 is told to drop two partitions and keeps epoch 1 until it does.
	r1 := wantOK(t, h.beat("m1", 1, m1Owned))
	if r1.MemberEpoch != 1 || len(r1.Assignment[topicA]) != 2 || h.g.Member("m1").State != MemberUnrevokedPartitions {
		t.Fatalf("m1 revoking: %+v", r1)
	}
	// A keepalive (owned unknown) changes nothing.
	if r := wantOK(t, h.hb(ConsumerHeartbeatRequest{MemberID: "m1", MemberEpoch: 1, RebalanceTimeoutMs: -1})); r.HasAssignment || r.MemberEpoch != 1 {
		t.Fatalf("keepalive: %+v", r)
	}
	// m2 still waits.
	if r := wantOK(t, h.beat("m2", 2, Assignment{})); len(r.Assignment[topicA]) != 0 {
		t.Fatalf("m2 got partitions still owned by m1: %+v", r)
	}
	// m1 revokes: it moves to epoch 2.
	r1 = wantOK(t, h.beat("m1", 1, r1.Assignment))
	if r1.MemberEpoch != 2 || h.g.Member("m1").State != MemberStable {
		t.Fatalf("m1 after revoking: %+v", r1)
	}
	// Now m2 gets the released partitions.
	r2 = wantOK(t, h.beat("m2", 2, Assignment{}))
	if !r2.HasAssignment || len(r2.Assignment[topicA]) != 2 || r2.Assignment.intersects(r1.Assignment) {
		t.Fatalf("m2 after release: %+v (m1 %+v)", r2, r1.Assignment)
	}
	if h.g.State() != Stable {
		t.Fatalf("state %v", h.g.State())
	}
	// The response moving m1 to epoch 2 may be lost: its previous epoch
	// with a subset of its assignment is accepted, anything else fenced.
	if r := wantOK(t, h.beat("m1", 1, r1.Assignment)); r.MemberEpoch != 2 {
		t.Fatalf("previous epoch: %+v", r)
	}
	wantErr(t, h.beat("m1", 1, m1Owned), kerr.FencedMemberEpoch)
	// An unchanged assignment is not resent to a keepalive.
	if r := wantOK(t, h.hb(ConsumerHeartbeatRequest{MemberID: "m2", MemberEpoch: 2, RebalanceTimeoutMs: -1})); r.HasAssignment {
		t.Fatalf("assignment resent: %+v", r)
	}
}

func TestConsumerEpochErrors(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 2})
	wantOK(t, h.join("m1", "a"))
	wantErr(t, h.beat("m1", 5, Assignment{}), kerr.FencedMemberEpoch)
	wantErr(t, h.beat("nobody", 1, Assignment{}), kerr.UnknownMemberID)
	wantOK(t, h.join("m2", "a"))
	// m1 is at epoch 1 with previous epoch 0; epoch 0 with owned
	// partitions is a (re)join: refused as INVALID_REQUEST.
	wantErr(t, h.beat("m1", 0, Assignment{topicA: {0}}), kerr.InvalidRequest)
	wantOK(t, h.beat("m2", 2, Assignment{}))
	if code := h.g.ValidateCommit("m1", 7, 9); code != kerr.StaleMemberEpoch.Code {
		t.Fatalf("commit with a wrong epoch: %v", kerr.ErrorForCode(code))
	}
	if code := h.g.ValidateCommit("m1", h.g.Member("m1").Epoch, 8); code != kerr.UnsupportedVersion.Code {
		t.Fatalf("commit v8: %v", kerr.ErrorForCode(code))
	}
	if code := h.g.ValidateCommit("m1", h.g.Member("m1").Epoch, 9); code != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(code))
	}
	if code := h.g.ValidateCommit("", -1, 9); code != kerr.UnknownMemberID.Code {
		t.Fatalf("simple commit to a non-empty group: %v", kerr.ErrorForCode(code))
	}
}

func TestConsumerValidation(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 2})
	empty, bad, unknown := "", "(", "sticky"
	for name, tc := range map[string]struct {
		req  ConsumerHeartbeatRequest
		want *kerr.Error
	}{
		"no member id":         {ConsumerHeartbeatRequest{RebalanceTimeoutMs: 1, SubscribedTopicNames: []string{"a"}, OwnedSent: true}, kerr.InvalidRequest},
		"empty instance id":    {ConsumerHeartbeatRequest{MemberID: "m", InstanceID: &empty, RebalanceTimeoutMs: 1, SubscribedTopicNames: []string{"a"}, OwnedSent: true}, kerr.InvalidRequest},
		"no rebalance tmo":     {ConsumerHeartbeatRequest{MemberID: "m", RebalanceTimeoutMs: -1, SubscribedTopicNames: []string{"a"}, OwnedSent: true}, kerr.InvalidRequest},
		"no subscription":      {ConsumerHeartbeatRequest{MemberID: "m", RebalanceTimeoutMs: 1, OwnedSent: true}, kerr.InvalidRequest},
		"owned on join":        {ConsumerHeartbeatRequest{MemberID: "m", RebalanceTimeoutMs: 1, SubscribedTopicNames: []string{"a"}, OwnedSent: true, Owned: Assignment{topicA: {0}}}, kerr.InvalidRequest},
		"epoch below -2":       {ConsumerHeartbeatRequest{MemberID: "m", MemberEpoch: -3}, kerr.InvalidRequest},
		"static leave no id":   {ConsumerHeartbeatRequest{MemberID: "m", MemberEpoch: -2}, kerr.InvalidRequest},
		"unsupported assignor": {ConsumerHeartbeatRequest{MemberID: "m", RebalanceTimeoutMs: 1, SubscribedTopicNames: []string{"a"}, OwnedSent: true, ServerAssignor: &unknown}, kerr.UnsupportedAssignor},
		"bad regex":            {ConsumerHeartbeatRequest{MemberID: "m", RebalanceTimeoutMs: 1, SubscribedTopicRegex: &bad, OwnedSent: true}, kerr.InvalidRegularExpression},
	} {
		t.Run(name, func(t *testing.T) { wantErr(t, h.hb(tc.req), tc.want) })
	}
	if h.g.Size() != 0 {
		t.Fatalf("invalid requests added members: %d", h.g.Size())
	}
}

func TestConsumerLeaveAndSessionExpiry(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 4})
	r1 := wantOK(t, h.join("m1", "a"))
	wantOK(t, h.join("m2", "a"))
	r1 = wantOK(t, h.beat("m1", 1, r1.Assignment))
	r1 = wantOK(t, h.beat("m1", 1, r1.Assignment))
	r2 := wantOK(t, h.beat("m2", 2, Assignment{}))
	if len(r2.Assignment[topicA]) != 2 {
		t.Fatalf("m2: %+v", r2)
	}
	// m2 leaves: m1 gets everything back at the next epoch.
	if r := wantOK(t, h.hb(ConsumerHeartbeatRequest{MemberID: "m2", MemberEpoch: EpochLeave})); r.MemberEpoch != EpochLeave {
		t.Fatalf("leave: %+v", r)
	}
	r1 = wantOK(t, h.beat("m1", r1.MemberEpoch, r1.Assignment))
	if len(r1.Assignment[topicA]) != 4 || r1.MemberEpoch != 3 {
		t.Fatalf("m1 after m2 left: %+v (group epoch %d)", r1, h.g.Epoch())
	}
	// m1 stops heartbeating: it is removed after the session timeout.
	h.advance(44 * time.Second)
	if h.g.Size() != 1 {
		t.Fatal("expired early")
	}
	h.advance(time.Second)
	if h.g.Size() != 0 || h.g.State() != Empty {
		t.Fatalf("not expired: %d members, %v", h.g.Size(), h.g.State())
	}
	wantErr(t, h.beat("m1", r1.MemberEpoch, r1.Assignment), kerr.UnknownMemberID)
}

func TestConsumerRevocationTimeout(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 2})
	r1 := wantOK(t, h.join("m1", "a"))
	wantOK(t, h.join("m2", "a"))
	wantOK(t, h.beat("m1", 1, r1.Assignment)) // told to revoke; 10 s rebalance timeout
	h.advance(9 * time.Second)
	wantOK(t, h.beat("m2", 2, Assignment{}))
	h.advance(time.Second)
	if h.g.Member("m1") != nil {
		t.Fatal("a member that never revoked was not fenced after its rebalance timeout")
	}
	r2 := wantOK(t, h.beat("m2", 2, Assignment{}))
	if len(r2.Assignment[topicA]) != 2 {
		t.Fatalf("m2 after m1 was fenced: %+v", r2)
	}
}

func TestConsumerRegexAndNewPartitions(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"orders-eu", topicA, 2}, TopicMeta{"other", topicX, 3})
	re := "orders-.*"
	r := wantOK(t, h.hb(ConsumerHeartbeatRequest{MemberID: "m1", RebalanceTimeoutMs: 1000, SubscribedTopicRegex: &re, OwnedSent: true, Owned: Assignment{}}))
	if len(r.Assignment) != 1 || len(r.Assignment[topicA]) != 2 {
		t.Fatalf("regex assignment: %+v", r.Assignment)
	}
	// A new topic matching the regex, and new partitions: new target.
	h.setTopics(TopicMeta{"orders-eu", topicA, 3}, TopicMeta{"orders-us", topicB, 1}, TopicMeta{"other", topicX, 3})
	r = wantOK(t, h.beat("m1", r.MemberEpoch, r.Assignment))
	if r.MemberEpoch != 2 || len(r.Assignment[topicA]) != 3 || len(r.Assignment[topicB]) != 1 || len(r.Assignment[topicX]) != 0 {
		t.Fatalf("after new topic and partitions: %+v", r)
	}
	// The regex matches whole names only (Java's Pattern.matches).
	if got := h.g.SubscribedTopics(h.topics); got["other"] || !got["orders-us"] {
		t.Fatalf("subscribed: %v", got)
	}
	// A deleted topic leaves the assignment.
	h.setTopics(TopicMeta{"orders-eu", topicA, 3})
	// The member must first give up the deleted topic's partition
	// (keeping epoch 2), then moves to epoch 3.
	r = wantOK(t, h.beat("m1", r.MemberEpoch, r.Assignment))
	if r.MemberEpoch != 2 || len(r.Assignment[topicB]) != 0 || len(r.Assignment[topicA]) != 3 {
		t.Fatalf("after delete: %+v", r)
	}
	r = wantOK(t, h.beat("m1", r.MemberEpoch, r.Assignment))
	if r.MemberEpoch != 3 || h.g.State() != Stable {
		t.Fatalf("after revoking the deleted topic: %+v, %v", r, h.g.State())
	}
}

func TestConsumerStaticMembers(t *testing.T) {
	h := newCH(t, testConsumerLimits, TopicMeta{"a", topicA, 2})
	inst := "i1"
	join := func(id string) ConsumerHeartbeatResponse {
		return h.hb(ConsumerHeartbeatRequest{MemberID: id, InstanceID: &inst, RebalanceTimeoutMs: 1000, SubscribedTopicNames: []string{"a"}, OwnedSent: true, Owned: Assignment{}})
	}
	r := wantOK(t, join("m1"))
	// Another process with the same instance id while m1 is active.
	wantErr(t, join("m2"), kerr.UnreleasedInstanceID)
	// A heartbeat naming the instance with another member id is fenced.
	wantErr(t, h.hb(ConsumerHeartbeatRequest{MemberID: "m2", MemberEpoch: 1, InstanceID: &inst, RebalanceTimeoutMs: -1}), kerr.FencedInstanceID)
	// m1 leaves temporarily (epoch -2): it keeps its partitions.
	if r := wantOK(t, h.hb(ConsumerHeartbeatRequest{MemberID: "m1", MemberEpoch: EpochLeaveStatic, InstanceID: &inst})); r.MemberEpoch != EpochLeaveStatic {
		t.Fatalf("static leave: %+v", r)
	}
	epoch := h.g.Epoch()
	// Its replacement takes them over with no new group epoch.
	r2 := wantOK(t, join("m2"))
	if r2.MemberEpoch != r.MemberEpoch || !r2.Assignment.equal(r.Assignment) || h.g.Epoch() != epoch || h.g.Member("m1") != nil {
		t.Fatalf("replacement: %+v (was %+v), epoch %d→%d", r2, r, epoch, h.g.Epoch())
	}
}

func TestConsumerMaxSize(t *testing.T) {
	l := testConsumerLimits
	l.MaxSize = 1
	h := newCH(t, l, TopicMeta{"a", topicA, 2})
	wantOK(t, h.join("m1", "a"))
	wantErr(t, h.join("m2", "a"), kerr.GroupMaxSizeReached)
	// A known member rejoining is not refused.
	wantOK(t, h.join("m1", "a"))
}

func TestAssignors(t *testing.T) {
	a := TopicMeta{"a", topicA, 5}
	b := TopicMeta{"b", topicB, 2}
	specs := []assignSpec{{member: "m1", topics: []TopicMeta{a, b}}, {member: "m2", topics: []TopicMeta{a}}, {member: "m3", topics: []TopicMeta{a, b}}}
	r := assignRange(specs)
	want := map[string]Assignment{"m1": {topicA: {0, 1}, topicB: {0}}, "m2": {topicA: {2, 3}}, "m3": {topicA: {4}, topicB: {1}}}
	for m, w := range want {
		if !r[m].equal(w) {
			t.Errorf("range %s: %v, want %v", m, r[m], w)
		}
	}
	u := assignUniform(specs)
	total := 0
	for _, m := range []string{"m1", "m2", "m3"} {
		n := u[m].count()
		total += n
		if n < 2 || n > 3 {
			t.Errorf("uniform %s: %d partitions (%v)", m, n, u[m])
		}
	}
	if total != 7 || u["m2"][topicB] != nil {
		t.Errorf("uniform: %v", u)
	}
	// Sticky: a member leaving moves only its own partitions.
	prev := u
	u2 := assignUniform([]assignSpec{{member: "m1", topics: []TopicMeta{a, b}, previous: prev["m1"]}, {member: "m3", topics: []TopicMeta{a, b}, previous: prev["m3"]}})
	if !prev["m1"].subsetOf(u2["m1"]) || !prev["m3"].subsetOf(u2["m3"]) || u2["m1"].count()+u2["m3"].count() != 7 {
		t.Errorf("uniform not sticky: %v → %v", prev, u2)
	}
}
