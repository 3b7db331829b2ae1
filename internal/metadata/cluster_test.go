package metadata

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// memNet connects the nodes of a test quorum in memory. Messages are
// cloned (as a network would) and delivered through Node.Step; a node
// that is cut off neither sends nor receives.
type memNet struct {
	mu    sync.Mutex
	nodes map[uint64]*Node
	cut   map[uint64]bool
}

func (m *memNet) node(id uint64) *Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nodes[id]
}

// link returns the destination node if from can reach to.
func (m *memNet) link(from, to uint64) *Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cut[from] || m.cut[to] {
		return nil
	}
	return m.nodes[to]
}

func (m *memNet) set(id uint64, n *Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n == nil {
		delete(m.nodes, id)
	} else {
		m.nodes[id] = n
	}
}

func (m *memNet) setCut(id uint64, cut bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cut[id] = cut
}

type memTransport struct {
	net  *memNet
	from uint64
}

func (t memTransport) Send(msgs []*raftpb.Message) error {
	for _, msg := range msgs {
		to := msg.GetTo()
		peer := t.net.link(t.from, to)
		self := t.net.node(t.from)
		snap := msg.GetType() == raftpb.MessageType_MsgSnap
		if peer == nil || !peer.Step(proto.Clone(msg).(*raftpb.Message)) {
			if self != nil {
				self.ReportUnreachable(to)
				if snap {
					self.ReportSnapshot(to, false)
				}
			}
			continue
		}
		if snap && self != nil {
			self.ReportSnapshot(to, true)
		}
	}
	return nil
}

func (t memTransport) SendHeartbeat(to uint64, hb BrokerHeartbeat) error {
	peer := t.net.link(t.from, to)
	if peer == nil {
		return fmt.Errorf("node %d unreachable", to)
	}
	peer.ReceiveHeartbeat(hb)
	return nil
}

func (t memTransport) SendJoin(to uint64, j JoinRequest) error {
	peer := t.net.link(t.from, to)
	if peer == nil {
		return fmt.Errorf("node %d unreachable", to)
	}
	peer.ReceiveJoin(j)
	return nil
}

// SetPeer and RemovePeer: memNet reaches every node by id.
func (t memTransport) SetPeer(uint64, string) {}

func (t memTransport) RemovePeer(uint64) {}

// testQuorum is a quorum of in-memory nodes, each with its own MemFS.
type testQuorum struct {
	t      *testing.T
	net    *memNet
	fs     map[int32]*fs.MemFS
	nodes  map[int32]*Node
	voters []int32
	tweak  func(*Config)
}

func newTestQuorum(t *testing.T, size int, tweak func(*Config)) *testQuorum {
	q := &testQuorum{t: t, net: &memNet{nodes: map[uint64]*Node{}, cut: map[uint64]bool{}},
		fs: map[int32]*fs.MemFS{}, nodes: map[int32]*Node{}, tweak: tweak}
	for id := int32(1); id <= int32(size); id++ {
		q.voters = append(q.voters, id)
		q.fs[id] = fs.NewMem()
	}
	for _, id := range q.voters {
		q.start(id)
	}
	t.Cleanup(func() {
		for _, id := range q.voters {
			q.stop(id)
		}
	})
	return q
}

func (q *testQuorum) config(id int32) Config {
	cfg := testConfig(q.fs[id], "/meta")
	cfg.NodeID = id
	cfg.Voters = q.voters
	cfg.ClusterID = "test-cluster-id-000001"
	cfg.TickInterval = 5 * time.Millisecond
	cfg.Transport = memTransport{net: q.net, from: uint64(id)}
	if q.tweak != nil {
		q.tweak(&cfg)
	}
	return cfg
}

func (q *testQuorum) start(id int32) *Node {
	q.t.Helper()
	n := mustStart(q.t, q.config(id))
	q.nodes[id] = n
	q.net.set(uint64(id), n)
	return n
}

// stop closes a node (a clean stop: everything acknowledged is synced).
func (q *testQuorum) stop(id int32) {
	q.t.Helper()
	n := q.nodes[id]
	if n == nil {
		return
	}
	q.net.set(uint64(id), nil)
	delete(q.nodes, id)
	if err := n.Close(); err != nil {
		q.t.Errorf("close node %d: %v", id, err)
	}
}

// waitFor polls cond until it holds or 10s pass.
func (q *testQuorum) waitFor(what string, cond func() bool) {
	q.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			q.t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// leader waits until every running node sees the same leader, one of
// them, and returns it.
func (q *testQuorum) leader() *Node {
	q.t.Helper()
	var lead *Node
	q.waitFor("a leader all running nodes agree on", func() bool {
		lead = nil
		var id int32 = -1
		for _, n := range q.nodes {
			c := n.Image().Controller
			if c < 0 || (id >= 0 && c != id) {
				return false
			}
			id = c
		}
		lead = q.nodes[id]
		return lead != nil && lead.IsLeader()
	})
	return lead
}

func (q *testQuorum) follower() *Node {
	for _, n := range q.nodes {
		if !n.IsLeader() {
			return n
		}
	}
	q.t.Fatal("no follower")
	return nil
}

// converged waits until every running node's image equals want's at
// want's offset.
func (q *testQuorum) converged(want *Node) {
	q.t.Helper()
	q.waitFor("images to converge", func() bool {
		w := want.Image()
		for _, n := range q.nodes {
			img := n.Image()
			if img.Offset < w.Offset || !img.Equal(w) {
				return false
			}
		}
		return true
	})
}

func register(t *testing.T, n *Node, ids ...int32) {
	t.Helper()
	for _, id := range ids {
		if err := n.RegisterBroker(context.Background(), BrokerRegistration{ID: id, Host: "h", Port: 9000 + id}); err != nil {
			t.Fatalf("RegisterBroker %d on node %d: %v", id, n.cfg.NodeID, err)
		}
	}
}

func createTopics(t *testing.T, n *Node, prefix string, count int) {
	t.Helper()
	for i := range count {
		name := fmt.Sprintf("%s-%d", prefix, i)
		if _, err := n.CreateTopic(context.Background(), TopicSpec{Name: name, NumPartitions: 2, ReplicationFactor: 1}); err != nil {
			t.Fatalf("CreateTopic %s on node %d: %v", name, n.cfg.NodeID, err)
		}
		if n.Image().Topic(name) == nil {
			t.Fatalf("node %d: %s not in the image when CreateTopic returned", n.cfg.NodeID, name)
		}
	}
}
