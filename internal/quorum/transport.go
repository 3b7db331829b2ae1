package quorum

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gregor-streaming/gregor/internal/metadata"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Receiver is what incoming traffic and delivery feedback go to: a
// *metadata.Node. Its methods must not block.
type Receiver interface {
	Step(m *raftpb.Message) bool
	ReportUnreachable(id uint64)
	ReportSnapshot(id uint64, delivered bool)
	ReceiveHeartbeat(hb metadata.BrokerHeartbeat)
	ReceiveJoin(j metadata.JoinRequest)
}

// Config configures a Transport.
type Config struct {
	NodeID    int32
	ClusterID string
	// Listener is the bound controller listener; the Transport owns it
	// from Start on and closes it in Close.
	Listener net.Listener
	// Peers are the other voters' controller addresses, host:port by id
	// (an entry for NodeID itself is ignored); members added later come
	// through SetPeer.
	Peers  map[int32]string
	Logger *slog.Logger
	// QueueSize bounds each peer's send queue; default 4096 messages.
	QueueSize int
	// MinBackoff and MaxBackoff bound the reconnect delay; defaults 50ms
	// and 2s.
	MinBackoff, MaxBackoff time.Duration
}

// Transport implements metadata.Transport over TCP. See the package doc.
type Transport struct {
	cfg  Config
	log  *slog.Logger
	recv atomic.Pointer[Receiver] // set by Start; Send may run before

	stop chan struct{}
	wg   sync.WaitGroup
	mu   struct {
		sync.Mutex
		peers   map[uint64]*peer  // by node id; writers run once started
		conns   map[net.Conn]bool // accepted, open
		started bool
		closed  bool
	}
}

// New returns a Transport for cfg; nothing runs before Start.
func New(cfg Config) *Transport {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 50 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(2*time.Second, cfg.MinBackoff)
	}
	t := &Transport{cfg: cfg, log: cfg.Logger.With("component", "quorum", "node_id", cfg.NodeID),
		stop: make(chan struct{})}
	t.mu.conns = map[net.Conn]bool{}
	t.mu.peers = map[uint64]*peer{}
	for id, addr := range cfg.Peers {
		if id != cfg.NodeID {
			t.mu.peers[uint64(id)] = t.newPeer(uint64(id), addr)
		}
	}
	return t
}

func (t *Transport) newPeer(id uint64, addr string) *peer {
	p := &peer{t: t, id: id, q: make(chan outMsg, t.cfg.QueueSize), stop: make(chan struct{})}
	p.addr.Store(&addr)
	return p
}

// SetClusterID replaces Config.ClusterID, the id hellos carry and must
// match; call it before Start. A node uses the id stored in its quorum,
// which wins over a configured or derived one.
func (t *Transport) SetClusterID(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.started {
		return
	}
	if id != t.cfg.ClusterID {
		t.log.Info("using the cluster id stored in the metadata quorum", "stored", id, "configured", t.cfg.ClusterID)
	}
	t.cfg.ClusterID = id
}

// Start starts accepting peers' connections and dialing them; incoming
// messages go to r.
func (t *Transport) Start(r Receiver) {
	t.recv.Store(&r)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mu.started = true
	t.wg.Add(1 + len(t.mu.peers))
	go t.acceptLoop()
	for _, p := range t.mu.peers {
		go p.run()
	}
}

// SetPeer sets member id's address: a new peer gets a writer (dialing
// it), a known one the new address from its next connection on.
func (t *Transport) SetPeer(id uint64, addr string) {
	if id == uint64(t.cfg.NodeID) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.closed {
		return
	}
	if p := t.mu.peers[id]; p != nil {
		if *p.addr.Load() != addr {
			t.log.Info("controller peer address changed", "peer", id, "addr", addr)
			p.addr.Store(&addr)
		}
		return
	}
	p := t.newPeer(id, addr)
	t.mu.peers[id] = p
	t.log.Info("new controller peer", "peer", id, "addr", addr)
	if t.mu.started {
		t.wg.Add(1)
		go p.run()
	}
}

// RemovePeer forgets member id (removed from the quorum): its writer
// stops, and its connections are no longer served.
func (t *Transport) RemovePeer(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.mu.peers[id]; p != nil {
		delete(t.mu.peers, id)
		close(p.stop)
		t.log.Info("controller peer removed", "peer", id)
	}
}

// peer returns the writer for node id, nil if it is not a known member.
func (t *Transport) peer(id uint64) *peer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mu.peers[id]
}

// receiver returns the Receiver, nil before Start.
func (t *Transport) receiver() Receiver {
	if r := t.recv.Load(); r != nil {
		return *r
	}
	return nil
}

// Close stops every goroutine, closes the listener and all connections,
// and waits.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.mu.closed {
		t.mu.Unlock()
		return nil
	}
	t.mu.closed = true
	close(t.stop)
	for c := range t.mu.conns {
		c.Close()
	}
	t.mu.Unlock()
	err := t.cfg.Listener.Close()
	t.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// outMsg is one encoded frame on a peer's queue.
type outMsg struct {
	frame []byte
	snap  bool
}

// Send enqueues msgs for their peers; it never blocks.
func (t *Transport) Send(msgs []*raftpb.Message) error {
	var errs []error
	for _, m := range msgs {
		p := t.peer(m.GetTo())
		snap := m.GetType() == raftpb.MessageType_MsgSnap
		if p == nil {
			errs = append(errs, fmt.Errorf("quorum: no address for node %d", m.GetTo()))
			if r := t.receiver(); snap && r != nil {
				r.ReportSnapshot(m.GetTo(), false)
			}
			continue
		}
		b, err := proto.Marshal(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("quorum: marshal: %w", err))
			continue
		}
		p.enqueue(outMsg{frame: appendFrame(nil, kindRaft, b), snap: snap})
	}
	return errors.Join(errs...)
}

// SendHeartbeat enqueues a broker heartbeat for node to.
func (t *Transport) SendHeartbeat(to uint64, hb metadata.BrokerHeartbeat) error {
	return t.sendJSON(to, kindHeartbeat, hb)
}

// SendJoin enqueues a join request for node to.
func (t *Transport) SendJoin(to uint64, j metadata.JoinRequest) error {
	return t.sendJSON(to, kindJoin, j)
}

func (t *Transport) sendJSON(to uint64, kind byte, v any) error {
	p := t.peer(to)
	if p == nil {
		return fmt.Errorf("quorum: no address for node %d", to)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("quorum: marshal frame of kind %d: %w", kind, err)
	}
	p.enqueue(outMsg{frame: appendFrame(nil, kind, b)})
	return nil
}

// hello is the first frame of a connection.
type hello struct {
	Version   int    `json:"v"`
	NodeID    int32  `json:"node_id"`
	ClusterID string `json:"cluster_id"`
}

func (t *Transport) helloFrame() []byte {
	b, _ := json.Marshal(hello{Version: 1, NodeID: t.cfg.NodeID, ClusterID: t.cfg.ClusterID}) // plain struct: cannot fail
	return appendFrame(nil, kindHello, b)
}

func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	for {
		c, err := t.cfg.Listener.Accept()
		if err != nil {
			select {
			case <-t.stop:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			t.log.Error("controller listener failed; peers can no longer reach this node", "err", err)
			return
		}
		t.mu.Lock()
		if t.mu.closed {
			t.mu.Unlock()
			c.Close()
			return
		}
		t.mu.conns[c] = true
		t.wg.Add(1)
		t.mu.Unlock()
		go t.serveConn(c)
	}
}

// serveConn reads one peer's frames until the connection fails.
func (t *Transport) serveConn(c net.Conn) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.mu.conns, c)
		t.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	from, err := t.readHello(c, r)
	if err != nil {
		t.log.Warn("rejecting a controller connection", "remote", c.RemoteAddr(), "err", err)
		return
	}
	for {
		kind, body, err := readFrame(r)
		if err != nil {
			t.closedConn(from, err)
			return
		}
		if err := t.dispatch(from, kind, body); err != nil {
			t.log.Warn("closing a controller connection", "peer", from, "err", err)
			return
		}
	}
}

func (t *Transport) closedConn(from uint64, err error) {
	select {
	case <-t.stop:
	default:
		t.log.Debug("controller connection closed", "peer", from, "err", err)
	}
}

func (t *Transport) readHello(c net.Conn, r *bufio.Reader) (uint64, error) {
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	kind, body, err := readFrame(r)
	if err != nil {
		return 0, err
	}
	var h hello
	if kind != kindHello {
		return 0, fmt.Errorf("%w: first frame of kind %d, want hello", ErrBadFrame, kind)
	}
	if err := json.Unmarshal(body, &h); err != nil || h.Version != 1 {
		return 0, fmt.Errorf("%w: hello %q", ErrBadFrame, body)
	}
	if h.ClusterID != t.cfg.ClusterID {
		return 0, fmt.Errorf("peer %d belongs to cluster %q, this node to %q", h.NodeID, h.ClusterID, t.cfg.ClusterID)
	}
	if h.NodeID < 0 {
		return 0, fmt.Errorf("%w: hello from node %d", ErrBadFrame, h.NodeID)
	}
	// A node that is no member yet may connect: its join requests are
	// all it is heard for until it becomes one (see dispatch).
	return uint64(h.NodeID), c.SetReadDeadline(time.Time{})
}

// dispatch hands one frame from peer from to the receiver. Raft messages
// and heartbeats count only from members (nodes with a peer entry); a
// non-member's are dropped, as they are when it has just been removed.
func (t *Transport) dispatch(from uint64, kind byte, body []byte) error {
	if (kind == kindRaft || kind == kindHeartbeat) && t.peer(from) == nil {
		t.log.Debug("dropping a frame from a node that is not a member", "from", from, "kind", kind)
		return nil
	}
	switch kind {
	case kindJoin:
		var j metadata.JoinRequest
		if err := json.Unmarshal(body, &j); err != nil {
			return fmt.Errorf("%w: join: %v", ErrBadFrame, err)
		}
		if !j.Forwarded && uint64(j.ID) != from {
			return fmt.Errorf("join request for node %d on node %d's connection", j.ID, from)
		}
		t.receiver().ReceiveJoin(j)
	case kindRaft:
		m := &raftpb.Message{}
		if err := proto.Unmarshal(body, m); err != nil {
			return fmt.Errorf("%w: raft message: %v", ErrBadFrame, err)
		}
		if m.GetFrom() != from {
			return fmt.Errorf("raft message from %d on node %d's connection", m.GetFrom(), from)
		}
		if !t.receiver().Step(m) {
			t.log.Debug("metadata driver busy; dropped a raft message", "from", from, "type", m.GetType())
		}
	case kindHeartbeat:
		var hb metadata.BrokerHeartbeat
		if err := json.Unmarshal(body, &hb); err != nil {
			return fmt.Errorf("%w: heartbeat: %v", ErrBadFrame, err)
		}
		t.receiver().ReceiveHeartbeat(hb)
	default:
		return fmt.Errorf("%w: kind %d", ErrBadFrame, kind)
	}
	return nil
}
