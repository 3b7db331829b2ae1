package metadata

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
)

// TestQuorumElectionAndFollowerProposals: three voters elect a leader;
// proposals made on a follower are forwarded, committed and applied on
// every node.
func TestQuorumElectionAndFollowerProposals(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	f := q.follower()
	register(t, f, 1, 2, 3)
	createTopics(t, f, "from-follower", 3)
	createTopics(t, lead, "from-leader", 2)
	first, err := f.AllocateProducerIDs(context.Background(), 10)
	if err != nil || first != 0 {
		t.Fatalf("AllocateProducerIDs on a follower = %d, %v", first, err)
	}
	q.converged(lead)
	for id, n := range q.nodes {
		img := n.Image()
		if len(img.Brokers) != 3 || len(img.Topics) != 5 || img.ClusterID != "test-cluster-id-000001" {
			t.Fatalf("node %d image: %d brokers, %d topics, cluster %q", id, len(img.Brokers), len(img.Topics), img.ClusterID)
		}
		if img.Controller != lead.cfg.NodeID {
			t.Fatalf("node %d: controller %d, want %d", id, img.Controller, lead.cfg.NodeID)
		}
	}
}

// TestQuorumLeaderFailover: the leader stops, the other two elect a new
// one and proposals continue; the old leader comes back and catches up
// from the log.
func TestQuorumLeaderFailover(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	register(t, lead, 1, 2, 3)
	createTopics(t, q.follower(), "before", 2)
	old := lead.cfg.NodeID
	q.stop(old)
	lead = q.leader()
	if lead.cfg.NodeID == old {
		t.Fatalf("node %d still leads after stopping", old)
	}
	createTopics(t, q.follower(), "during", 3)
	createTopics(t, lead, "during-leader", 1)
	back := q.start(old)
	q.converged(lead)
	if back.Image().Topic("during-2") == nil {
		t.Fatal("the restarted node did not catch up")
	}
}

// TestQuorumSnapshotCatchUp: with frequent snapshots the leader compacts
// away the entries a stopped follower misses, so the follower comes back
// through a snapshot (MsgSnap) and then follows the log again.
func TestQuorumSnapshotCatchUp(t *testing.T) {
	q := newTestQuorum(t, 3, func(c *Config) { c.SnapshotEvery = 4 })
	lead := q.leader()
	register(t, lead, 1, 2, 3)
	var lagging int32
	for id := range q.nodes {
		if id != lead.cfg.NodeID {
			lagging = id
			break
		}
	}
	q.stop(lagging)
	createTopics(t, lead, "while-down", 20)
	st, err := lead.QuorumStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	back := q.start(lagging)
	q.converged(lead)
	createTopics(t, back, "after", 2)
	q.converged(lead)
	// The follower's snapshot file holds the leader's image: it was
	// installed, not rebuilt from entries the leader no longer has.
	sf, err := (&storage{fs: q.fs[lagging], dir: "/meta"}).readSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if sf.Index < st.Commit-4 || sf.NodeID != lagging {
		t.Fatalf("lagging node's snapshot at %d (node %d), leader had committed %d", sf.Index, sf.NodeID, st.Commit)
	}
}

// TestQuorumCrashedFollower: a follower loses its unsynced bytes in a
// crash; everything it acknowledged is still there and it catches up.
func TestQuorumCrashedFollower(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	register(t, lead, 1, 2, 3)
	f := q.follower()
	id := f.cfg.NodeID
	createTopics(t, f, "acked", 5)
	q.fs[id].Crash()
	q.net.set(uint64(id), nil)
	delete(q.nodes, id)
	if err := f.Close(); err != nil {
		t.Logf("close after crash: %v", err)
	}
	createTopics(t, lead, "later", 2)
	back := q.start(id)
	for i := range 5 {
		if back.Image().Topic("acked-"+string(rune('0'+i))) == nil {
			t.Fatalf("acknowledged topic acked-%d lost by the crashed node", i)
		}
	}
	q.converged(lead)
}

// TestQuorumMinorityCannotCommit: a leader cut off from the others steps
// down (CheckQuorum); the majority elects a new leader; a proposal on the
// cut-off node fails or times out without being applied anywhere.
func TestQuorumMinorityCannotCommit(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	register(t, lead, 1, 2, 3)
	old := lead.cfg.NodeID
	q.net.setCut(uint64(old), true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := lead.CreateTopic(ctx, TopicSpec{Name: "lost", NumPartitions: 1, ReplicationFactor: 1}); err == nil {
		t.Fatal("a cut-off leader committed a proposal")
	} else if !errors.Is(err, ErrNotLeader) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cut-off proposal: %v", err)
	}
	var others []*Node
	for id, n := range q.nodes {
		if id != old {
			others = append(others, n)
		}
	}
	q.waitFor("a new leader in the majority", func() bool {
		c := others[0].Image().Controller
		return c >= 0 && c != old && c == others[1].Image().Controller
	})
	createTopics(t, others[0], "majority", 1)
	q.net.setCut(uint64(old), false)
	lead = q.leader()
	q.converged(lead)
	if lead.Image().Topic("lost") != nil {
		t.Fatal("the cut-off leader's proposal was applied")
	}
}

// TestQuorumStatus: the leader reports every voter's progress, a
// follower its own.
func TestQuorumStatus(t *testing.T) {
	q := newTestQuorum(t, 3, nil)
	lead := q.leader()
	register(t, lead, 1)
	q.converged(lead)
	q.waitFor("followers' progress on the leader", func() bool {
		st, err := lead.QuorumStatus(context.Background())
		if err != nil || !st.IsLeader || st.Leader != lead.cfg.NodeID || len(st.Voters) != 3 {
			return false
		}
		for _, v := range st.Voters {
			if v.LogEnd < int64(st.Commit) || v.LastHeard.IsZero() {
				return false
			}
		}
		return true
	})
	st, err := q.follower().QuorumStatus(context.Background())
	if err != nil || st.IsLeader || st.Leader != lead.cfg.NodeID || len(st.Voters) != 3 {
		t.Fatalf("follower status %+v, %v", st, err)
	}
}

func TestBootstrapVotersValidation(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"not a voter", Config{NodeID: 4, Dir: "/m", Voters: []int32{1, 2, 3}, ClusterID: "c"}},
		{"repeated", Config{NodeID: 1, Dir: "/m", Voters: []int32{1, 1, 2}, ClusterID: "c"}},
		{"no cluster id", Config{NodeID: 1, Dir: "/m", Voters: []int32{1, 2, 3}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.FS = fs.NewMem()
			if n, err := Start(tt.cfg); err == nil {
				n.Close()
				t.Fatal("Start succeeded")
			}
		})
	}
}
