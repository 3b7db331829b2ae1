package metadata

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
)

// startLearner starts node id as a learner of q (with a fresh MemFS the
// first time, its old one afterwards).
func (q *testQuorum) startLearner(id int32) *Node {
	q.t.Helper()
	return q.startLearnerAt(id, "mem")
}

// startLearnerAt is startLearner with a given Raft address.
func (q *testQuorum) startLearnerAt(id int32, addr string) *Node {
	q.t.Helper()
	if q.fs[id] == nil {
		q.fs[id] = fs.NewMem()
		q.t.Cleanup(func() { q.stop(id) })
	}
	cfg := q.config(id)
	cfg.Learner, cfg.Addr = true, addr
	cfg.Voters = slices.DeleteFunc(slices.Clone(q.voters), func(v int32) bool { return v == id })
	n := mustStart(q.t, cfg)
	q.nodes[id] = n
	q.net.set(uint64(id), n)
	return n
}

func (q *testQuorum) status(n *Node) QuorumStatus {
	q.t.Helper()
	st, err := n.QuorumStatus(context.Background())
	if err != nil {
		q.t.Fatal(err)
	}
	return st
}

func ids(vs []VoterStatus) []int32 {
	out := []int32{}
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// waitMembers waits until the leader reports these voters and observers.
func (q *testQuorum) waitMembers(voters, observers []int32) *Node {
	q.t.Helper()
	var lead *Node
	q.waitFor("membership", func() bool {
		lead = q.leader()
		st := q.status(lead)
		return slices.Equal(ids(st.Voters), voters) && slices.Equal(ids(st.Observers), observers)
	})
	return lead
}

// TestLearnerJoinsThroughSnapshot: a learner with an empty directory
// asks to join, is added by the leader, gets the image through a
// snapshot (the leader compacted its log long ago), follows the log,
// proposes through the leader, and keeps its role across a restart.
func TestLearnerJoinsThroughSnapshot(t *testing.T) {
	q := newTestQuorum(t, 3, func(c *Config) { c.SnapshotEvery = 4 })
	lead := q.leader()
	register(t, lead, 1, 2, 3)
	createTopics(t, lead, "before", 12)
	l := q.startLearner(4)
	lead = q.waitMembers([]int32{1, 2, 3}, []int32{4})
	q.converged(lead)
	if l.Image().Topic("before-11") == nil || l.IsLeader() {
		t.Fatal("the learner did not catch up, or leads")
	}
	// The learner follows new entries and its own proposals commit.
	register(t, l, 4)
	createTopics(t, l, "from-learner", 2)
	q.converged(lead)
	st := q.status(lead)
	if o := st.Observers[0]; o.LogEnd < int64(st.Commit) {
		t.Fatalf("observer %d log end %d, commit %d", o.ID, o.LogEnd, st.Commit)
	}

	// A restart keeps it a learner (from its stored configuration).
	q.stop(4)
	createTopics(t, lead, "while-learner-down", 3)
	l = q.startLearner(4)
	q.converged(lead)
	if l.Image().Topic("while-learner-down-2") == nil {
		t.Fatal("the restarted learner did not catch up")
	}
}

// TestLearnerNeverLeads: with the leader gone, a new leader is elected
// among the two remaining voters, never the learner; with a second voter
// gone, nobody leads (the learner does not count towards a majority).
func TestLearnerNeverLeads(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	q.startLearner(4)
	lead := q.waitMembers([]int32{1, 2, 3}, []int32{4})
	q.converged(lead)
	q.stop(lead.cfg.NodeID)
	lead = q.leader()
	if lead.cfg.NodeID == 4 {
		t.Fatal("the learner became leader")
	}
	q.stop(lead.cfg.NodeID)
	var last *Node
	for id, n := range q.nodes {
		if id != 4 {
			last = n
		}
	}
	q.waitFor("the last voter to lose its leadership (CheckQuorum)", func() bool { return !last.IsLeader() })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := q.nodes[4].RegisterBroker(ctx, BrokerRegistration{ID: 4, Host: "h", Port: 1}); err == nil {
		t.Fatal("a proposal committed with one voter of three")
	}
	if q.nodes[4].IsLeader() || last.IsLeader() {
		t.Fatal("a leader without a majority of voters")
	}
}

// TestRemoveAndAddVoter: voter 3 is removed; the remaining two commit on
// their own; node 3 comes back as a learner with its old log and is made
// a voter again, and then counts towards the majority.
func TestRemoveAndAddVoter(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	register(t, lead, 1, 2, 3)
	victim := int32(3)
	if lead.cfg.NodeID == victim {
		victim = 2
	}
	if err := q.follower().RemoveVoter(context.Background(), victim); err != nil {
		t.Fatalf("RemoveVoter(%d): %v", victim, err)
	}
	rest := slices.DeleteFunc([]int32{1, 2, 3}, func(id int32) bool { return id == victim })
	q.waitFor("the removed voter to apply its removal", func() bool {
		return slices.Equal(ids(q.status(q.nodes[victim]).Voters), rest)
	})
	q.stop(victim)
	lead = q.waitMembers(rest, []int32{})
	createTopics(t, lead, "two-voters", 3)

	// A removed voter cannot start as a voter again.
	if n, err := Start(q.config(victim)); err == nil {
		n.Close()
		t.Fatal("a removed voter started as a voter")
	}
	q.startLearner(victim)
	lead = q.waitMembers(rest, []int32{victim})
	q.waitFor("the returning node to catch up", func() bool {
		return q.nodes[victim].Image().Topic("two-voters-2") != nil
	})
	if err := lead.AddVoter(context.Background(), victim, ""); err != nil {
		t.Fatalf("AddVoter(%d): %v", victim, err)
	}
	lead = q.waitMembers([]int32{1, 2, 3}, []int32{})
	// With the leader gone, the re-added voter is needed for a majority.
	q.stop(lead.cfg.NodeID)
	lead = q.leader()
	createTopics(t, lead, "after-readd", 1)
	q.converged(lead)
}

// TestRemoveLeader: removing the leader makes it step down; the two
// others elect a leader and go on committing.
func TestRemoveLeader(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	register(t, lead, 1, 2, 3)
	old := lead.cfg.NodeID
	err := lead.RemoveVoter(context.Background(), old)
	if err != nil && !errors.Is(err, ErrNotLeader) {
		t.Fatalf("RemoveVoter(leader): %v", err)
	}
	q.stop(old)
	rest := slices.DeleteFunc([]int32{1, 2, 3}, func(id int32) bool { return id == old })
	lead = q.waitMembers(rest, []int32{})
	createTopics(t, lead, "after-leader-removed", 2)
}

// TestMembershipErrors: promotions need a learner, removals a member, and
// the last voter stays.
func TestMembershipErrors(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	ctx := context.Background()
	if err := lead.AddVoter(ctx, 9, "h:1"); !errors.Is(err, ErrUnknownMember) {
		t.Fatalf("AddVoter(non-member) = %v", err)
	}
	if err := lead.AddVoter(ctx, 2, ""); !errors.Is(err, ErrDuplicateVoter) {
		t.Fatalf("AddVoter(voter) = %v", err)
	}
	if err := lead.RemoveVoter(ctx, 9); !errors.Is(err, ErrUnknownMember) {
		t.Fatalf("RemoveVoter(non-member) = %v", err)
	}
	single := mustStart(t, testConfig(fs.NewMem(), "/meta"))
	defer single.Close()
	if err := single.RemoveVoter(ctx, 1); !errors.Is(err, ErrLastVoter) {
		t.Fatalf("RemoveVoter(last voter) = %v", err)
	}
}

// FuzzDecodeMembers: snapshot data from disk or the network never panics
// the members' decoder, and what it accepts survives a round trip.
func FuzzDecodeMembers(f *testing.F) {
	seed, err := encodeSnapshotData(emptyImage(), map[uint64]string{4: "127.0.0.1:9393"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"quorum_members":{"x":"a"}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMembers(b)
		if err != nil {
			return
		}
		again, err := encodeSnapshotData(emptyImage(), m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeMembers(again)
		if err != nil || len(back) != len(m) {
			t.Fatalf("round trip: %v, %d of %d members", err, len(back), len(m))
		}
		for id, a := range m {
			if back[id] != a {
				t.Fatalf("member %d: %q became %q", id, a, back[id])
			}
		}
	})
}

// TestLearnerRestartBeforeJoining: a learner that could not reach the
// quorum (no snapshot yet, an empty log) restarts from its empty
// directory and joins then.
func TestLearnerRestartBeforeJoining(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	register(t, lead, 1, 2, 3)
	q.net.setCut(4, true)
	q.startLearner(4)
	if st := q.status(q.nodes[4]); st.LastIndex != 0 || len(st.Voters) != 0 {
		t.Fatalf("a learner that never joined has log end %d and voters %v", st.LastIndex, ids(st.Voters))
	}
	q.stop(4)
	q.net.setCut(4, false)
	l := q.startLearner(4)
	lead = q.waitMembers([]int32{1, 2, 3}, []int32{4})
	q.converged(lead)
	if len(l.Image().Brokers) != 3 {
		t.Fatalf("the learner's image has %d brokers", len(l.Image().Brokers))
	}
}

// TestMembershipChangeLeaderCrash: the leader stops right after
// proposing a promotion. Whether the change committed or not, the
// remaining nodes agree on one configuration and go on committing.
func TestMembershipChangeLeaderCrash(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	q.startLearner(4)
	lead := q.waitMembers([]int32{1, 2, 3}, []int32{4})
	q.converged(lead)
	done := make(chan error, 1)
	go func() { done <- lead.AddVoter(context.Background(), 4, "") }()
	q.stop(lead.cfg.NodeID)
	<-done // applied, ErrNotLeader or ErrClosed: any is fine here
	var voters []int32
	q.waitFor("the running nodes to agree on the voters", func() bool {
		voters = nil
		for _, n := range q.nodes {
			v := ids(q.status(n).Voters)
			if voters != nil && !slices.Equal(v, voters) {
				return false
			}
			voters = v
		}
		return true
	})
	if len(voters) != 3 && len(voters) != 4 {
		t.Fatalf("voters %v", voters)
	}
	lead = q.leader()
	register(t, lead, 1, 2, 3)
	q.converged(lead)
}

// TestMemberAddressChange: a learner, and then the voter it was made,
// restarts on another address; the leader records the new one (an
// AddLearnerNode again, then an UpdateNode), which every node would dial.
func TestMemberAddressChange(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	q.startLearnerAt(4, "host:1")
	lead := q.waitMembers([]int32{1, 2, 3}, []int32{4})
	addrIs := func(want string) func() bool {
		return func() bool { return q.status(q.leader()).Addrs[4] == want }
	}
	q.waitFor("address 1", addrIs("host:1"))
	q.stop(4)
	q.startLearnerAt(4, "host:2")
	q.waitFor("address 2", addrIs("host:2"))
	q.waitFor("the learner to catch up", func() bool { return q.nodes[4].Image().Offset >= lead.Image().Offset })
	if err := q.leader().AddVoter(context.Background(), 4, ""); err != nil {
		t.Fatal(err)
	}
	q.waitFor("node 4 to apply its promotion", func() bool { return len(q.status(q.nodes[4]).Voters) == 4 })
	q.stop(4)
	q.startLearnerAt(4, "host:3")
	q.waitFor("address 3", addrIs("host:3"))
	q.waitMembers([]int32{1, 2, 3, 4}, []int32{})
}

// TestPromotionNeedsALiveLearner: a learner that stopped is never
// promoted, neither when it lags (checked on the leader, or on the
// leader when a follower forwards the change) nor when it died caught up
// on an idle log (the leader has not heard from it for an election
// timeout). Promoting it would make a quorum that cannot commit.
func TestPromotionNeedsALiveLearner(t *testing.T) {
	t.Run("lagging, through a learner", func(t *testing.T) {
		q := newTestQuorum(t, 1, nil)
		q.startLearner(4)
		q.startLearner(5)
		lead := q.waitMembers([]int32{1}, []int32{4, 5})
		q.stop(4)
		register(t, lead, 1)
		createTopics(t, lead, "a", 100)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := lead.AddVoter(ctx, 4, ""); !errors.Is(err, ErrNotCaughtUp) {
			t.Fatalf("AddVoter(stopped, lagging learner) on the leader: %v, want ErrNotCaughtUp", err)
		}
		fwd, cancelFwd := context.WithTimeout(ctx, time.Second)
		defer cancelFwd()
		if err := q.nodes[5].AddVoter(fwd, 4, ""); err == nil {
			t.Fatal("AddVoter(stopped, lagging learner) through learner 5 succeeded")
		}
		if st := q.status(lead); !slices.Equal(ids(st.Voters), []int32{1}) {
			t.Fatalf("voters %v after the refused promotion", ids(st.Voters))
		}
		createTopics(t, lead, "b", 1) // the quorum still commits
	})
	t.Run("dead, caught up", func(t *testing.T) {
		q := newTestQuorum(t, 1, nil)
		q.startLearner(4)
		lead := q.waitMembers([]int32{1}, []int32{4})
		register(t, lead, 1)
		q.waitFor("learner 4 caught up", func() bool {
			st := q.status(lead)
			return len(st.Observers) == 1 && st.Observers[0].LogEnd >= st.Voters[0].LogEnd
		})
		q.stop(4)
		q.waitFor("learner 4 silent for 4 election timeouts", func() bool {
			st := q.status(lead)
			return len(st.Observers) == 1 && time.Since(st.Observers[0].LastHeard) > 200*time.Millisecond
		})
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := lead.AddVoter(ctx, 4, ""); !errors.Is(err, ErrNotCaughtUp) {
			t.Fatalf("AddVoter(dead, caught-up learner): %v, want ErrNotCaughtUp", err)
		}
	})
}

// TestSingleVoterRestartAfterPromotion: a single voter that promoted a
// learner and crashed before its next snapshot restarts as a voter of the
// two-voter quorum its log holds (it applies the committed change before
// choosing its role) instead of failing to lead alone.
func TestSingleVoterRestartAfterPromotion(t *testing.T) {
	mem := fs.NewMem()
	ff := fs.NewFault(mem)
	q := newTestQuorum(t, 1, func(c *Config) {
		if c.NodeID == 1 {
			c.FS = ff
		}
	})
	q.startLearner(2)
	lead := q.waitMembers([]int32{1}, []int32{2})
	register(t, lead, 1)
	// No snapshot can be written: the promotion stays in the WAL only.
	ff.Inject(fs.Fault{Op: fs.OpCreate, Path: func(p string) bool { return strings.Contains(p, "snapshot") }})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := lead.AddVoter(ctx, 2, ""); err != nil {
		t.Fatalf("AddVoter: %v", err)
	}
	q.net.set(1, nil)
	delete(q.nodes, 1)
	lead.Close() // fails writing its final snapshot: the fault is on
	mem.Crash()
	ff.Clear()
	q.start(1)
	lead = q.waitMembers([]int32{1, 2}, []int32{})
	createTopics(t, lead, "after", 1)
}
