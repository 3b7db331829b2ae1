package metadata

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Config configures a metadata Node. The zero value of every field but
// NodeID and Dir is usable.
type Config struct {
	NodeID int32
	Dir    string // <dataDir>/meta
	FS     fs.FS  // nil = fs.OS{}
	Logger *slog.Logger
	// ClusterID is used only when bootstrapping a new quorum (an empty
	// Dir); "" = generate a Kafka-style 22-character base64url UUID.
	ClusterID string
	// SnapshotEvery is the number of applied entries between snapshots
	// (after which the WAL is compacted); default 1000.
	SnapshotEvery uint64
	// TickInterval is the Raft tick (heartbeat = 1 tick, election
	// timeout = 10 ticks); default 100ms.
	TickInterval time.Duration
	// Transport carries messages to other voters; nil = a quorum of one.
	Transport Transport
	// Voters is the voter set a new quorum is bootstrapped with
	// (controller.quorum.voters); empty = this node alone. Every node of
	// a new quorum must be started with the same Voters and ClusterID
	// (which is then required). Once Dir holds a quorum, the voter set
	// stored there wins and a different Voters is only logged.
	Voters []int32
	// SessionTimeout is broker.session.timeout.ms: the active controller
	// fences a registered broker whose heartbeats (Node.Heartbeat) it has
	// not seen for this long. Zero disables fencing (a quorum of one,
	// whose only broker is the controller itself).
	SessionTimeout time.Duration
	// Learner makes this node a non-voting member (a broker-only node,
	// or a controller waiting to be added as a voter): NodeID must not
	// be among Voters, which name the voters to ask. A learner whose Dir
	// holds no quorum starts empty, sends the voters a JoinRequest every
	// election timeout until the leader adds it (a ConfChange
	// AddLearnerNode carrying Addr), and then follows the committed log,
	// starting from the leader's snapshot. It never votes or leads; its
	// proposals are forwarded to the leader like a follower's. Once Dir
	// holds a configuration, that configuration decides the node's role.
	Learner bool
	// Addr is this node's Raft address (host:port of its controller
	// listener), which the other members dial; required with Learner.
	Addr string
	// Balancing: the active controller's preferred-leader balancing and
	// static unclean default (rebalance.go); the zero value does neither.
	Balancing Balancing
}

const (
	defaultSnapshotEvery = 1000
	defaultTickInterval  = 100 * time.Millisecond
	electionTicks        = 10
	// maxBatch bounds how many queued proposals one Ready (one fsync)
	// carries.
	maxBatch = 256
	// recvQueue bounds the messages, reports and heartbeats queued for
	// the driver; beyond it they are dropped (Raft retransmits).
	recvQueue = 1024
)

// Node is one member of the metadata quorum: a driver goroutine that owns
// the Raft state and the storage, and the latest applied Image, published
// for lock-free readers.
type Node struct {
	cfg    Config
	log    *slog.Logger
	origin uint64 // random per Node: tags this node's proposals

	image  atomic.Pointer[Image]
	leader atomic.Bool
	reqSeq atomic.Uint64

	changedMu sync.Mutex
	changed   chan struct{} // guarded by changedMu

	propc     chan *proposal
	recvc     chan *raftpb.Message // messages from peers, for the driver
	reportc   chan report          // transport feedback, for the driver
	hbc       chan heartbeat       // heartbeats, for the driver
	joinc     chan JoinRequest     // join requests from peers, for the driver
	statusc   chan chan QuorumStatus
	stopc     chan struct{}
	donec     chan struct{} // closed when the driver has exited
	closeOnce sync.Once
	runErr    error // written by the driver before closing donec

	d *driver // owned by the driver goroutine once it runs
}

// Start opens (or bootstraps) the metadata quorum stored in cfg.Dir and
// replays it. A quorum of one campaigns at once, and Start returns once
// this node is the leader and has applied every committed entry. A node
// of a larger quorum applies the entries its stored hard state says are
// committed and returns, as a follower that knows no leader yet:
// elections need the network (cfg.Transport, Step), and its proposals
// wait until a leader is known.
func Start(cfg Config) (*Node, error) {
	if cfg.NodeID < 0 || cfg.Dir == "" {
		return nil, fmt.Errorf("metadata: config needs NodeID >= 0 and Dir (got %d, %q)", cfg.NodeID, cfg.Dir)
	}
	voters, err := bootstrapVoters(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.FS == nil {
		cfg.FS = fs.OS{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = defaultSnapshotEvery
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = defaultTickInterval
	}
	if cfg.Transport == nil {
		cfg.Transport = localTransport{}
	}
	log := cfg.Logger.With("component", "metadata", "node_id", cfg.NodeID)
	origin, err := newSeed()
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg:     cfg,
		log:     log,
		origin:  uint64(origin)<<32 | uint64(time.Now().UnixNano()&0xffffffff),
		changed: make(chan struct{}),
		propc:   make(chan *proposal, maxBatch),
		recvc:   make(chan *raftpb.Message, recvQueue),
		reportc: make(chan report, recvQueue),
		hbc:     make(chan heartbeat, recvQueue),
		joinc:   make(chan JoinRequest, recvQueue),
		statusc: make(chan chan QuorumStatus),
		stopc:   make(chan struct{}),
		donec:   make(chan struct{}),
	}
	st, ld, err := openStorage(cfg.FS, cfg.Dir, cfg.NodeID, voters, cfg.ClusterID, cfg.Learner, log)
	if err != nil {
		return nil, err
	}
	d, err := newDriver(n, st, ld)
	if err != nil {
		return nil, errors.Join(err, st.close())
	}
	n.d = d
	d.announceMembers()
	if err := d.startRole(voters); err != nil {
		return nil, errors.Join(err, st.close())
	}
	n.publish(d.img)
	go n.run()
	return n, nil
}

// startRole brings the driver to its starting point: a single voter
// leads at once; a voter or learner of a larger quorum applies what it
// knows is committed (so its first image holds everything it
// acknowledged); a learner that is no member yet waits for the leader.
func (d *driver) startRole(voters []int32) error {
	cfg, self := d.n.cfg, uint64(d.n.cfg.NodeID)
	// The stored snapshot's configuration may be changed by entries
	// after it (a single voter that promoted a learner and crashed
	// before its next snapshot): apply them first, then look at the role.
	if err := d.drainReady(); err != nil {
		return err
	}
	if d.singleVoter() {
		return d.becomeLeader()
	}
	switch {
	case slices.Contains(d.conf.GetLearners(), self):
		if !cfg.Learner {
			d.n.log.Warn("this node is a learner of the stored quorum; it does not vote until added as a voter", "voters", d.conf.GetVoters())
		}
	case slices.Contains(d.conf.GetVoters(), self):
		if cfg.Learner {
			d.n.log.Info("this node was made a voter of the stored quorum; it votes", "voters", d.conf.GetVoters())
		} else if !slices.Equal(slices.Sorted(slices.Values(d.conf.GetVoters())), toIDs(voters)) {
			d.n.log.Warn("controller.quorum.voters differs from the voter set stored in the quorum; the stored one is used", "stored", d.conf.GetVoters(), "configured", voters)
		}
	case cfg.Learner:
		// A removal replayed from the log does not stop a restarted
		// learner from asking to join again.
		d.removed = false
		d.n.log.Info("joining the metadata quorum as a learner", "voters", voters, "addr", cfg.Addr)
	default:
		return fmt.Errorf("metadata: node %d is not a member of the quorum (voters %v, learners %v) stored in %s: it was removed; to bring it back, start it as a learner and add it as a voter", cfg.NodeID, d.conf.GetVoters(), d.conf.GetLearners(), cfg.Dir)
	}
	return nil
}

// newDriver builds the Raft node over a MemoryStorage filled from disk.
func newDriver(n *Node, st *storage, ld *loaded) (*driver, error) {
	img, err := decodeImage(ld.snap.Image)
	if err != nil {
		return nil, err
	}
	img.Offset, img.Epoch = ld.snap.Index, ld.snap.Term
	addrs, err := decodeMembers(ld.snap.Image)
	if err != nil {
		return nil, err
	}
	ms := raft.NewMemoryStorage()
	snap := ld.snap.raftSnapshot()
	if ld.snap.Index > 0 { // 0: a learner that has no snapshot yet
		if err := ms.ApplySnapshot(snap); err != nil {
			return nil, fmt.Errorf("metadata: load snapshot: %w", err)
		}
	}
	if err := ms.SetHardState(ld.hs); err != nil {
		return nil, fmt.Errorf("metadata: load hard state: %w", err)
	}
	if err := ms.Append(ld.ents); err != nil {
		return nil, fmt.Errorf("metadata: load wal: %w", err)
	}
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              uint64(n.cfg.NodeID),
		ElectionTick:    electionTicks,
		HeartbeatTick:   1,
		Storage:         ms,
		Applied:         ld.snap.Index,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		CheckQuorum:     true,
		PreVote:         true,
		// A leader removed from the quorum stops leading at once.
		StepDownOnRemoval: true,
		// Followers forward proposals to the leader (MsgProp), so
		// every node's proposal methods work.
		DisableProposalForwarding: false,
		Logger:                    raftLogger{n.log},
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: raft: %w", err)
	}
	return &driver{
		n:         n,
		rn:        rn,
		ms:        ms,
		st:        st,
		conf:      snap.Metadata.ConfState,
		hs:        ld.hs,
		applied:   ld.snap.Index,
		snapIndex: ld.snap.Index,
		img:       img,
		pending:   map[uint64]*proposal{},
		heard:     map[uint64]time.Time{},
		live:      newLiveness(n.cfg.SessionTimeout),
		addrs:     addrs,
	}, nil
}

// bootstrapVoters checks cfg.Voters and returns the voter set to
// bootstrap a new quorum with: cfg.Voters, or this node alone.
func bootstrapVoters(cfg Config) ([]int32, error) {
	if len(cfg.Voters) == 0 {
		if cfg.Learner {
			return nil, fmt.Errorf("metadata: learner %d needs the voters to join", cfg.NodeID)
		}
		return []int32{cfg.NodeID}, nil
	}
	v := slices.Sorted(slices.Values(cfg.Voters))
	for i, id := range v {
		if id < 0 || (i > 0 && v[i-1] == id) {
			return nil, fmt.Errorf("metadata: voters %v: ids must be distinct and non-negative", cfg.Voters)
		}
	}
	switch {
	case cfg.Learner && slices.Contains(v, cfg.NodeID):
		return nil, fmt.Errorf("metadata: learner %d is among the voters %v", cfg.NodeID, v)
	case cfg.Learner && cfg.Addr == "":
		return nil, fmt.Errorf("metadata: learner %d needs its Raft address (Addr)", cfg.NodeID)
	case !cfg.Learner && !slices.Contains(v, cfg.NodeID):
		return nil, fmt.Errorf("metadata: node %d is not among the voters %v (start it as a learner)", cfg.NodeID, v)
	}
	if (len(v) > 1 || cfg.Learner) && cfg.ClusterID == "" {
		return nil, fmt.Errorf("metadata: a quorum of %d voters needs a ClusterID shared by all of them", len(v))
	}
	return v, nil
}

func toIDs(v []int32) []uint64 {
	out := make([]uint64, len(v))
	for i, id := range v {
		out[i] = uint64(id)
	}
	return out
}

// Close stops the driver and closes the storage. Proposals in flight
// return ErrClosed. Close returns the fatal error that stopped the driver
// earlier, if any, and any error closing the files.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { close(n.stopc) })
	<-n.donec
	return n.runErr
}

// Image returns the latest published image. It is immutable; see Image.
func (n *Node) Image() *Image { return n.image.Load() }

// Changed returns a channel that is closed when an image newer than the
// one Image returned before this call is published. Take the channel
// first, then read Image, then wait, and no change is missed.
func (n *Node) Changed() <-chan struct{} {
	n.changedMu.Lock()
	defer n.changedMu.Unlock()
	return n.changed
}

// Step hands the driver a Raft message from a peer. It never blocks: when
// the driver is behind by recvQueue messages, m is dropped (Raft
// retransmits) and Step returns false.
func (n *Node) Step(m *raftpb.Message) bool {
	select {
	case n.recvc <- m:
		return true
	default:
		return false
	}
}

// ReportUnreachable tells Raft that the last messages to peer id may have
// been lost (the transport's connection failed), so the leader probes it
// again instead of streaming. It never blocks.
func (n *Node) ReportUnreachable(id uint64) { n.report(report{peer: id, unreachable: true}) }

// ReportSnapshot tells Raft whether the snapshot sent to peer id was
// delivered. It never blocks.
func (n *Node) ReportSnapshot(id uint64, delivered bool) {
	n.report(report{peer: id, snapshot: true, delivered: delivered})
}

func (n *Node) report(r report) {
	select {
	case n.reportc <- r:
	default:
	}
}

// report is transport feedback for the driver.
type report struct {
	peer                             uint64
	unreachable, snapshot, delivered bool
}

// IsLeader reports whether this node is the Raft leader (the controller).
func (n *Node) IsLeader() bool { return n.leader.Load() }

// publish makes img the latest image and wakes the waiters on Changed.
func (n *Node) publish(img *Image) {
	n.image.Store(img)
	n.changedMu.Lock()
	close(n.changed)
	n.changed = make(chan struct{})
	n.changedMu.Unlock()
}

// closedErr is the error for proposals made after the driver stopped.
func (n *Node) closedErr() error {
	if n.runErr != nil {
		return fmt.Errorf("%w: %w", ErrClosed, n.runErr)
	}
	return ErrClosed
}
