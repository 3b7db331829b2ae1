package group

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Unix(1_700_000_000, 0)

var testLimits = Limits{MinSessionTimeout: 6 * time.Second, MaxSessionTimeout: 30 * time.Minute}

// harness drives one Classic with a fake clock and records deferred
// responses by waiter.
type harness struct {
	t      *testing.T
	g      *Classic
	now    time.Time
	next   Waiter
	joins  map[Waiter]JoinResponse
	syncs  map[Waiter]SyncResponse
	stores int
}

func newHarness(t *testing.T, l Limits) *harness {
	return &harness{t: t, g: NewClassic("g", l, t0), now: t0, joins: map[Waiter]JoinResponse{}, syncs: map[Waiter]SyncResponse{}}
}

func (h *harness) out(o Output) {
	for _, j := range o.Joins {
		h.joins[j.Waiter] = j.Resp
	}
	for _, s := range o.Syncs {
		h.syncs[s.Waiter] = s.Resp
	}
	if o.Store {
		h.stores++
	}
}

func (h *harness) advance(d time.Duration) {
	h.now = h.now.Add(d)
	h.out(h.g.Tick(h.now))
}

var consumerProtocols = []Protocol{{Name: "range", Metadata: []byte("r")}, {Name: "roundrobin", Metadata: []byte("rr")}}

// join sends a JoinGroup; it returns the waiter and the immediate answer
// (nil when deferred).
func (h *harness) join(memberID, instance string, protos []Protocol) (Waiter, *JoinResponse) {
	h.next++
	w := h.next
	resp, out := h.g.Join(h.now, JoinRequest{
		Waiter: w, MemberID: memberID, NewMemberID: fmt.Sprintf("m%d", w), InstanceID: instance,
		ProtocolType: "consumer", Protocols: protos, SessionTimeout: 10 * time.Second,
		RebalanceTimeout: 20 * time.Second, RequireKnownMember: true,
	})
	h.out(out)
	return w, resp
}

// newMember joins with MEMBER_ID_REQUIRED and rejoins; returns the id and
// the waiter of the second join.
func (h *harness) newMember() (string, Waiter) {
	_, r := h.join("", "", consumerProtocols)
	if r == nil || r.Err != kerr.MemberIDRequired.Code {
		h.t.Fatalf("first join: %+v, want MEMBER_ID_REQUIRED", r)
	}
	w, r2 := h.join(r.MemberID, "", consumerProtocols)
	if r2 != nil {
		h.t.Fatalf("second join answered at once: %+v", r2)
	}
	return r.MemberID, w
}

func (h *harness) sync(member string, gen int32, assign map[string][]byte) (Waiter, *SyncResponse) {
	h.next++
	w := h.next
	resp, out := h.g.Sync(h.now, SyncRequest{Waiter: w, MemberID: member, Generation: gen, Assignments: assign})
	h.out(out)
	return w, resp
}

func (h *harness) wantState(s State) {
	h.t.Helper()
	if h.g.State() != s {
		h.t.Fatalf("state %s, want %s", h.g.State(), s)
	}
}

func TestClassicSingleMemberLifecycle(t *testing.T) {
	h := newHarness(t, testLimits)
	a, w := h.newMember()
	h.wantState(CompletingRebalance)
	j := h.joins[w]
	if j.Err != 0 || j.Generation != 1 || j.Leader != a || j.Protocol != "range" || len(j.Members) != 1 {
		t.Fatalf("join response: %+v", j)
	}
	sw, sr := h.sync(a, 1, map[string][]byte{a: []byte("all")})
	if sr != nil || string(h.syncs[sw].Assignment) != "all" || h.stores != 1 {
		t.Fatalf("sync: %+v %+v stores %d", sr, h.syncs[sw], h.stores)
	}
	h.wantState(Stable)
	if code := h.g.Heartbeat(h.now, a, "", 1); code != 0 {
		t.Fatalf("heartbeat: %d", code)
	}
	codes, out := h.g.Leave(h.now, []LeaveMember{{MemberID: a}})
	h.out(out)
	if codes[0] != 0 {
		t.Fatalf("leave: %v", codes)
	}
	h.wantState(Empty)
	if h.g.Generation() != 2 || h.stores != 2 {
		t.Fatalf("after leave: generation %d stores %d", h.g.Generation(), h.stores)
	}
}

func TestClassicSecondMemberRebalances(t *testing.T) {
	h := newHarness(t, testLimits)
	a, _ := h.newMember()
	h.sync(a, 1, map[string][]byte{a: []byte("x")})
	b, wb := h.newMember()
	h.wantState(PreparingRebalance)
	if code := h.g.Heartbeat(h.now, a, "", 1); code != kerr.RebalanceInProgress.Code {
		t.Fatalf("heartbeat during rebalance: %d", code)
	}
	// The old generation may still commit while members revoke.
	if code := h.g.ValidateCommit(h.now, a, "", 1); code != 0 {
		t.Fatalf("commit in PreparingRebalance: %d", code)
	}
	wa, r := h.join(a, "", consumerProtocols)
	if r != nil {
		t.Fatalf("rejoin answered at once: %+v", r)
	}
	h.wantState(CompletingRebalance)
	ja, jb := h.joins[wa], h.joins[wb]
	if ja.Generation != 2 || jb.Generation != 2 || len(ja.Members) != 2 || len(jb.Members) != 0 || jb.Leader != a {
		t.Fatalf("join responses: %+v / %+v", ja, jb)
	}
	if code := h.g.ValidateCommit(h.now, a, "", 2); code != kerr.RebalanceInProgress.Code {
		t.Fatalf("commit in CompletingRebalance: %d", code)
	}
	sb, r2 := h.sync(b, 2, nil)
	if r2 != nil {
		t.Fatalf("follower sync answered before the leader's: %+v", r2)
	}
	h.sync(a, 2, map[string][]byte{a: []byte("A"), b: []byte("B")})
	if string(h.syncs[sb].Assignment) != "B" {
		t.Fatalf("follower assignment %q", h.syncs[sb].Assignment)
	}
	h.wantState(Stable)
	if code := h.g.Heartbeat(h.now, a, "", 1); code != kerr.IllegalGeneration.Code {
		t.Fatalf("stale generation heartbeat: %d", code)
	}
}

func TestClassicSessionExpiry(t *testing.T) {
	h := newHarness(t, testLimits)
	a, _ := h.newMember()
	h.sync(a, 1, map[string][]byte{a: []byte("x")})
	h.advance(9 * time.Second)
	if code := h.g.Heartbeat(h.now, a, "", 1); code != 0 {
		t.Fatalf("heartbeat: %d", code)
	}
	if dl := h.g.NextDeadline(); !dl.Equal(h.now.Add(10 * time.Second)) {
		t.Fatalf("next deadline %v", dl.Sub(h.now))
	}
	h.advance(10 * time.Second)
	h.wantState(Empty)
	if code := h.g.Heartbeat(h.now, a, "", 1); code != kerr.UnknownMemberID.Code {
		t.Fatalf("expired member heartbeat: %d", code)
	}
}

func TestClassicRebalanceTimeoutDropsSilentMember(t *testing.T) {
	h := newHarness(t, testLimits)
	a, _ := h.newMember()
	h.sync(a, 1, map[string][]byte{a: []byte("x")})
	b, wb := h.newMember()
	// a keeps heartbeating but never rejoins.
	for i := 0; i < 4; i++ {
		h.advance(5 * time.Second)
		h.g.Heartbeat(h.now, a, "", 1)
	}
	h.advance(time.Second)
	h.wantState(CompletingRebalance)
	if j := h.joins[wb]; j.Leader != b || j.Generation != 2 || len(j.Members) != 1 {
		t.Fatalf("b's join after the timeout: %+v", j)
	}
	if code := h.g.Heartbeat(h.now, a, "", 1); code != kerr.UnknownMemberID.Code {
		t.Fatalf("dropped member heartbeat: %d", code)
	}
}

func TestClassicSyncTimeoutRebalances(t *testing.T) {
	h := newHarness(t, testLimits)
	a, _ := h.newMember()
	h.sync(a, 1, map[string][]byte{a: []byte("x")})
	b, _ := h.newMember()
	wa, _ := h.join(a, "", consumerProtocols)
	_ = h.joins[wa]
	sb, _ := h.sync(b, 2, nil) // the leader a never syncs
	h.advance(20 * time.Second)
	if h.syncs[sb].Err != kerr.RebalanceInProgress.Code {
		t.Fatalf("follower after sync timeout: %+v", h.syncs[sb])
	}
	h.wantState(PreparingRebalance)
	if code := h.g.Heartbeat(h.now, a, "", 2); code != kerr.UnknownMemberID.Code {
		t.Fatalf("leader that never synced: %d", code)
	}
}

func TestClassicErrors(t *testing.T) {
	h := newHarness(t, testLimits)
	a, _ := h.newMember()
	h.sync(a, 1, map[string][]byte{a: []byte("x")})
	cases := []struct {
		name string
		req  JoinRequest
		want *kerr.Error
	}{
		{"session too short", JoinRequest{SessionTimeout: time.Second, ProtocolType: "consumer", Protocols: consumerProtocols}, kerr.InvalidSessionTimeout},
		{"session too long", JoinRequest{SessionTimeout: time.Hour, ProtocolType: "consumer", Protocols: consumerProtocols}, kerr.InvalidSessionTimeout},
		{"other protocol type", JoinRequest{SessionTimeout: 10 * time.Second, ProtocolType: "connect", Protocols: consumerProtocols}, kerr.InconsistentGroupProtocol},
		{"no common protocol", JoinRequest{SessionTimeout: 10 * time.Second, ProtocolType: "consumer", Protocols: []Protocol{{Name: "sticky"}}}, kerr.InconsistentGroupProtocol},
		{"no protocols", JoinRequest{SessionTimeout: 10 * time.Second, ProtocolType: "consumer"}, kerr.InconsistentGroupProtocol},
		{"unknown member", JoinRequest{MemberID: "nobody", SessionTimeout: 10 * time.Second, ProtocolType: "consumer", Protocols: consumerProtocols}, kerr.UnknownMemberID},
	}
	for _, tc := range cases {
		r, _ := h.g.Join(h.now, tc.req)
		if r == nil || r.Err != tc.want.Code {
			t.Errorf("%s: got %+v, want %s", tc.name, r, tc.want.Message)
		}
	}
	if r, _ := h.g.Sync(h.now, SyncRequest{MemberID: a, Generation: 7}); r.Err != kerr.IllegalGeneration.Code {
		t.Errorf("sync with a wrong generation: %+v", r)
	}
	other := "sticky"
	if r, _ := h.g.Sync(h.now, SyncRequest{MemberID: a, Generation: 1, Protocol: &other}); r.Err != kerr.InconsistentGroupProtocol.Code {
		t.Errorf("sync with another protocol: %+v", r)
	}
	if code := h.g.ValidateCommit(h.now, "", "", -1); code != kerr.UnknownMemberID.Code {
		t.Errorf("simple commit to an active group: %d", code)
	}
	h.wantState(Stable)
}

func TestClassicStaticMemberReplaced(t *testing.T) {
	h := newHarness(t, testLimits)
	w, r := h.join("", "inst", consumerProtocols)
	if r != nil {
		t.Fatalf("static member asked for a member id: %+v", r)
	}
	old := h.joins[w].MemberID
	h.sync(old, 1, map[string][]byte{old: []byte("mine")})
	stores := h.stores
	_, r = h.join("", "inst", consumerProtocols)
	if r == nil || r.Err != 0 || r.Generation != 1 || r.MemberID == old || !r.SkipAssignment || h.stores != stores+1 {
		t.Fatalf("static rejoin: %+v (stores %d)", r, h.stores-stores)
	}
	h.wantState(Stable)
	if code := h.g.Heartbeat(h.now, old, "inst", 1); code != kerr.FencedInstanceID.Code {
		t.Fatalf("old static member id: %d", code)
	}
	_, s := h.sync(r.MemberID, 1, nil)
	if s == nil || string(s.Assignment) != "mine" {
		t.Fatalf("new static member's assignment: %+v", s)
	}
	codes, _ := h.g.Leave(h.now, []LeaveMember{{MemberID: old, InstanceID: "inst"}, {InstanceID: "nope"}})
	if codes[0] != kerr.FencedInstanceID.Code || codes[1] != kerr.UnknownMemberID.Code {
		t.Fatalf("leave codes: %v", codes)
	}
}

func TestClassicMaxSizeAndInitialDelay(t *testing.T) {
	h := newHarness(t, Limits{MinSessionTimeout: time.Second, MaxSessionTimeout: time.Hour, MaxSize: 1, InitialDelay: 3 * time.Second})
	a, wa := h.newMember()
	h.wantState(PreparingRebalance)
	if _, ok := h.joins[wa]; ok {
		t.Fatal("join completed before group.initial.rebalance.delay.ms")
	}
	_, r := h.join("", "", consumerProtocols)
	if r == nil || r.Err != kerr.GroupMaxSizeReached.Code {
		t.Fatalf("join beyond group.max.size: %+v", r)
	}
	h.advance(3 * time.Second)
	if j := h.joins[wa]; j.Leader != a || j.Generation != 1 {
		t.Fatalf("join after the delay: %+v", j)
	}
}

func TestClassicProtocolSelection(t *testing.T) {
	h := newHarness(t, testLimits)
	first := []Protocol{{Name: "sticky"}, {Name: "range"}}
	second := []Protocol{{Name: "range"}, {Name: "sticky"}, {Name: "cooperative"}}
	_, r := h.join("", "", first)
	h.join(r.MemberID, "", first)
	_, r2 := h.join("", "", second)
	w2, _ := h.join(r2.MemberID, "", second)
	h.join(r.MemberID, "", first)
	if got := h.joins[w2].Protocol; got != "sticky" {
		t.Fatalf("selected %q, want the leader's first choice on a tie", got)
	}
}
