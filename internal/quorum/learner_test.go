package quorum

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// startLearner starts node id as a learner over TCP: it knows only the
// voters' addresses; they learn its address from the membership change.
func (c *cluster) startLearner(id int32) {
	c.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	if c.fs[id] == nil {
		c.fs[id] = fs.NewMem()
	}
	voters := map[int32]string{1: c.addrs[1], 2: c.addrs[2], 3: c.addrs[3]}
	tr := New(Config{NodeID: id, ClusterID: "tcp-test-cluster-00001", Listener: ln, Peers: voters, Logger: quiet(),
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	n, err := metadata.Start(metadata.Config{NodeID: id, Dir: "/meta", FS: c.fs[id], Logger: quiet(),
		ClusterID: "tcp-test-cluster-00001", Voters: []int32{1, 2, 3}, TickInterval: 10 * time.Millisecond,
		Transport: tr, SnapshotEvery: 8, Learner: true, Addr: ln.Addr().String()})
	if err != nil {
		tr.Close()
		c.t.Fatal(err)
	}
	tr.Start(n)
	c.nodes[id], c.trs[id] = n, tr
}

// TestTCPLearner: a learner joins over TCP, catches up (through a
// snapshot), forwards its proposals and heartbeats to the leader, and
// is reported as an observer; after a leader failover the new leader,
// which learned its address from the log, still replicates to it.
func TestTCPLearner(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	lead := c.leader()
	if err := lead.RegisterBroker(ctx, metadata.BrokerRegistration{ID: 1, Host: "h", Port: 1}); err != nil {
		t.Fatal(err)
	}
	for i := range 12 { // enough to compact the log: the learner needs a snapshot
		if _, err := lead.CreateTopic(ctx, metadata.TopicSpec{Name: fmt.Sprint("t", i), NumPartitions: 1, ReplicationFactor: 1}); err != nil {
			t.Fatal(err)
		}
	}
	c.startLearner(4)
	c.waitFor("the learner to be an observer", func() bool {
		st, err := c.leader().QuorumStatus(ctx)
		return err == nil && len(st.Observers) == 1 && st.Observers[0].ID == 4
	})
	c.converged()
	l := c.nodes[4]
	if err := l.RegisterBroker(ctx, metadata.BrokerRegistration{ID: 4, Host: "h", Port: 4}); err != nil {
		t.Fatalf("register through the learner: %v", err)
	}
	c.converged()

	old := c.leader().Image().Controller
	c.stop(old)
	lead = c.leader()
	if lead == l || l.IsLeader() {
		t.Fatal("the learner leads")
	}
	if _, err := lead.CreateTopic(ctx, metadata.TopicSpec{Name: "after-failover", NumPartitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	c.converged()
	if l.Image().Topic("after-failover") == nil {
		t.Fatal("the learner does not follow the new leader")
	}
}
