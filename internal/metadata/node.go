package metadata

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
	"go.etcd.io/raft/v3"
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
}

const (
	defaultSnapshotEvery = 1000
	defaultTickInterval  = 100 * time.Millisecond
	electionTicks        = 10
	// maxBatch bounds how many queued proposals one Ready (one fsync)
	// carries.
	maxBatch = 256
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
	stopc     chan struct{}
	donec     chan struct{} // closed when the driver has exited
	closeOnce sync.Once
	runErr    error // written by the driver before closing donec

	d *driver // owned by the driver goroutine once it runs
}

// Start opens (or bootstraps) the metadata quorum stored in cfg.Dir,
// replays it, and returns once this node is the leader and has applied
// every committed entry. Today the quorum is always a single voter, which
// campaigns at once rather than wait for an election timeout.
func Start(cfg Config) (*Node, error) {
	if cfg.NodeID < 0 || cfg.Dir == "" {
		return nil, fmt.Errorf("metadata: config needs NodeID >= 0 and Dir (got %d, %q)", cfg.NodeID, cfg.Dir)
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
		stopc:   make(chan struct{}),
		donec:   make(chan struct{}),
	}
	st, ld, err := openStorage(cfg.FS, cfg.Dir, cfg.NodeID, cfg.ClusterID, log)
	if err != nil {
		return nil, err
	}
	d, err := newDriver(n, st, ld)
	if err != nil {
		return nil, errors.Join(err, st.close())
	}
	n.d = d
	if err := d.becomeLeader(); err != nil {
		return nil, errors.Join(err, st.close())
	}
	n.publish(d.img)
	go n.run()
	return n, nil
}

// newDriver builds the Raft node over a MemoryStorage filled from disk.
func newDriver(n *Node, st *storage, ld *loaded) (*driver, error) {
	img, err := decodeImage(ld.snap.Image)
	if err != nil {
		return nil, err
	}
	img.Offset, img.Epoch = ld.snap.Index, ld.snap.Term
	ms := raft.NewMemoryStorage()
	snap := ld.snap.raftSnapshot()
	if err := ms.ApplySnapshot(snap); err != nil {
		return nil, fmt.Errorf("metadata: load snapshot: %w", err)
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
		Logger:          raftLogger{n.log},
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
	}, nil
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
