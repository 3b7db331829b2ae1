package metadata

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// driver is the state owned by the driver goroutine (and by Start before
// that goroutine runs): the RawNode, its MemoryStorage, the files, the
// image being built and the proposals waiting for their entries.
type driver struct {
	n    *Node
	rn   *raft.RawNode
	ms   *raft.MemoryStorage
	st   *storage
	conf *raftpb.ConfState
	hs   *raftpb.HardState // last persisted

	applied, appliedTerm, snapIndex uint64
	lead                            uint64
	img                             *Image               // latest applied, published after each Ready
	pending                         map[uint64]*proposal // handed to Raft, by req
	waiting                         []*proposal          // no leader known when proposed
	ticks                           uint64
	heard                           map[uint64]time.Time // last message from each peer
	live                            *liveness            // broker sessions, on the leader
	bal                             *balancer            // leader balancing, on the leader (rebalance.go)
	// addrs are the Raft addresses of the members added by membership
	// changes (membership.go), kept in snapshots; removed is set once
	// this node is removed from the quorum (it then never asks to join
	// again); snapNow asks for a snapshot after a member was added;
	// leaderSince is the last log index when this node became leader.
	addrs       map[uint64]string
	removed     bool
	snapNow     bool
	leaderSince uint64
	// done holds the outcomes of proposals applied but not yet
	// published: callers hear back only once Image shows their change.
	done []delivery
}

type delivery struct {
	p *proposal
	o outcome
}

// proposal is a record on its way to the log; done gets exactly one
// outcome (buffered, so the driver never blocks on a caller that left).
type proposal struct {
	req  uint64
	data []byte
	cc   *raftpb.ConfChange // a membership change instead of data
	done chan outcome
	gone <-chan struct{} // the caller's ctx.Done()
	lead uint64          // the leader it was handed to
}

func (p *proposal) abandoned() bool {
	select {
	case <-p.gone:
		return true
	default:
		return false
	}
}

type outcome struct {
	res result
	err error
}

// run is the driver goroutine: it ticks Raft, feeds it proposals and
// handles every Ready until Close or a fatal storage error.
func (n *Node) run() {
	d := n.d
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	err := d.loop(ticker.C)
	n.leader.Store(false)
	if err != nil {
		n.log.Error("metadata driver stopped", "err", err)
	}
	n.runErr = errors.Join(err, d.st.close())
	d.failPending(n.closedErr(), true)
	close(n.donec)
}

func (d *driver) loop(tick <-chan time.Time) error {
	for {
		select {
		case <-d.n.stopc:
			return nil
		case now := <-tick:
			d.tick(now)
		case p := <-d.n.propc:
			d.propose(p)
			for i := 1; i < maxBatch && len(d.n.propc) > 0; i++ {
				d.propose(<-d.n.propc)
			}
		case m := <-d.n.recvc:
			d.step(m)
			for i := 1; i < maxBatch && len(d.n.recvc) > 0; i++ {
				d.step(<-d.n.recvc)
			}
		case r := <-d.n.reportc:
			d.onReport(r)
		case hb := <-d.n.hbc:
			d.onHeartbeat(hb, time.Now())
		case j := <-d.n.joinc:
			d.onJoin(j)
		case c := <-d.n.statusc:
			c <- d.status()
		}
		if err := d.drainReady(); err != nil {
			return err
		}
		if d.retryWaiting() {
			if err := d.drainReady(); err != nil {
				return err
			}
		}
	}
}

// tick advances Raft's clock; the leader also checks broker sessions,
// and every election timeout proposals whose callers left are dropped.
func (d *driver) tick(now time.Time) {
	d.ticks++
	d.rn.Tick()
	if d.n.leader.Load() {
		d.checkSessions(now)
		d.checkBalance(now)
	}
	if d.ticks%electionTicks == 0 {
		d.sweepAbandoned()
		d.maybeJoin()
	}
}

// failPending fails the proposals handed to Raft, and, when all is set
// (the driver stops), those waiting for a leader too.
func (d *driver) failPending(err error, all bool) {
	for req, p := range d.pending {
		p.done <- outcome{err: err}
		delete(d.pending, req)
	}
	if all {
		for _, p := range d.waiting {
			p.done <- outcome{err: err}
		}
		d.waiting = nil
	}
}

// singleVoter reports whether this node is its quorum's only voter.
func (d *driver) singleVoter() bool {
	id := uint64(d.n.cfg.NodeID)
	return len(d.conf.Voters) == 1 && d.conf.Voters[0] == id && len(d.conf.VotersOutgoing) == 0
}

// becomeLeader runs at Start: a node that is its quorum's only voter
// campaigns at once, and Start waits until it leads and has applied every
// committed entry (including the empty entry of its new term).
func (d *driver) becomeLeader() error {
	if err := d.rn.Campaign(); err != nil {
		return fmt.Errorf("metadata: campaign: %w", err)
	}
	for range 1000 {
		if err := d.drainReady(); err != nil {
			return err
		}
		st := d.rn.BasicStatus()
		if st.RaftState == raft.StateLeader && d.applied >= st.GetCommit() && d.appliedTerm == st.GetTerm() {
			return nil
		}
	}
	return fmt.Errorf("metadata: single voter did not become leader")
}

// drainReady handles Readys until Raft has nothing more to do, then
// publishes the image if it changed.
func (d *driver) drainReady() error {
	defer d.deliver()
	changed := false
	for d.rn.HasReady() {
		c, err := d.handleReady(d.rn.Ready())
		if err != nil {
			return err
		}
		changed = changed || c
	}
	if !changed {
		return nil
	}
	next := d.img.shallow()
	next.Offset, next.Epoch = d.applied, d.appliedTerm
	next.Controller = -1
	if d.lead != raft.None {
		next.Controller = int32(d.lead)
	}
	d.img = next
	d.n.publish(next)
	return nil
}

// deliver hands applied proposals their outcomes. Their entries are
// durable, so this happens even when a later step failed.
func (d *driver) deliver() {
	for _, x := range d.done {
		x.p.done <- x.o
	}
	clear(d.done)
	d.done = d.done[:0]
}

// handleReady persists, sends, applies and advances one Ready, in that
// order: nothing is applied or acknowledged before it is fsynced.
func (d *driver) handleReady(rd raft.Ready) (changed bool, err error) {
	if rd.SoftState != nil {
		d.softState(rd.SoftState)
		changed = true
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := d.installSnapshot(rd.Snapshot); err != nil {
			return false, err
		}
		changed = true
	}
	if err := d.st.append(rd.HardState, rd.Entries); err != nil {
		return false, err
	}
	if err := d.ms.Append(rd.Entries); err != nil {
		return false, fmt.Errorf("metadata: raft storage append: %w", err)
	}
	if rd.HardState != nil {
		d.hs = rd.HardState
		if err := d.ms.SetHardState(rd.HardState); err != nil {
			return false, fmt.Errorf("metadata: raft storage: %w", err)
		}
	}
	if err := d.n.cfg.Transport.Send(rd.Messages); err != nil {
		d.n.log.Warn("metadata: sending raft messages", "count", len(rd.Messages), "err", err)
	}
	for _, e := range rd.CommittedEntries {
		if err := d.applyEntry(e); err != nil {
			return false, err
		}
		changed = true
	}
	d.rn.Advance(rd)
	if d.snapNow || d.applied-d.snapIndex >= d.n.cfg.SnapshotEvery {
		d.snapNow = false
		if err := d.snapshot(); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// softState follows a change of leader. Proposals already handed to the
// old leader fail with ErrNotLeader (they may still be applied: the new
// leader may hold them); a new leader starts the broker sessions' clocks.
func (d *driver) softState(ss *raft.SoftState) {
	if d.lead != ss.Lead {
		d.failPending(ErrNotLeader, false)
		d.n.log.Info("metadata leader changed", "from", d.lead, "to", ss.Lead, "term", d.rn.BasicStatus().GetTerm())
	}
	d.lead = ss.Lead
	leading := ss.RaftState == raft.StateLeader
	if wasLeading := d.n.leader.Swap(leading); leading && !wasLeading {
		d.leaderSince, _ = d.ms.LastIndex() // MemoryStorage.LastIndex never fails
		d.live.reset(d.img, time.Now())
	}
}

// applyEntry applies one committed entry to the image and hands the
// outcome to the proposal that made it, if it is waiting here.
func (d *driver) applyEntry(e *raftpb.Entry) error {
	defer func() { d.applied, d.appliedTerm = e.GetIndex(), e.GetTerm() }()
	switch e.GetType() {
	case raftpb.EntryNormal:
		if len(e.Data) == 0 {
			return nil // a new leader's empty entry
		}
		rec, err := decodeRecord(e.Data)
		if err != nil {
			return fmt.Errorf("metadata: committed entry %d: %w", e.GetIndex(), err)
		}
		next, res, err := apply(d.img, rec, e.GetIndex())
		d.img = next
		if p := d.pending[rec.Req]; p != nil && rec.Origin == d.n.origin {
			d.done = append(d.done, delivery{p, outcome{res: res, err: err}})
			delete(d.pending, rec.Req)
		}
		return nil
	case raftpb.EntryConfChange:
		return d.applyConfChange(e)
	case raftpb.EntryConfChangeV2:
		var cc raftpb.ConfChangeV2
		if err := proto.Unmarshal(e.Data, &cc); err != nil {
			return fmt.Errorf("%w: conf change %d: %v", ErrCorruption, e.GetIndex(), err)
		}
		d.conf = d.rn.ApplyConfChange(&cc)
		return nil
	default:
		return fmt.Errorf("%w: entry %d of type %v", ErrCorruption, e.GetIndex(), e.GetType())
	}
}

// snapshot writes the image at the applied index as the new snapshot and
// compacts the log: the WAL keeps only the entries after it.
func (d *driver) snapshot() error {
	data, err := encodeSnapshotData(d.img, d.addrs)
	if err != nil {
		return err
	}
	snap, err := d.ms.CreateSnapshot(d.applied, d.conf, data)
	if err != nil {
		return fmt.Errorf("metadata: create snapshot: %w", err)
	}
	if err := d.st.writeSnapshot(snapshotFileOf(d.n.cfg.NodeID, snap)); err != nil {
		return err
	}
	if err := d.ms.Compact(d.applied); err != nil {
		return fmt.Errorf("metadata: compact: %w", err)
	}
	last, err := d.ms.LastIndex()
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	var rest []*raftpb.Entry
	if last > d.applied {
		if rest, err = d.ms.Entries(d.applied+1, last+1, math.MaxUint64); err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
	}
	if err := d.st.rewriteWAL(d.hs, rest); err != nil {
		return err
	}
	d.snapIndex = d.applied
	d.n.log.Debug("metadata snapshot", "index", d.applied, "kept_entries", len(rest))
	return nil
}

// installSnapshot replaces the state by a snapshot from the leader (a
// follower that fell behind; unused by a quorum of one).
func (d *driver) installSnapshot(s *raftpb.Snapshot) error {
	img, err := decodeImage(s.Data)
	if err != nil {
		return err
	}
	addrs, err := decodeMembers(s.Data)
	if err != nil {
		return err
	}
	if err := d.st.writeSnapshot(snapshotFileOf(d.n.cfg.NodeID, s)); err != nil {
		return err
	}
	if err := d.st.rewriteWAL(d.hs, nil); err != nil {
		return err
	}
	if err := d.ms.ApplySnapshot(s); err != nil {
		return fmt.Errorf("metadata: apply snapshot: %w", err)
	}
	md := s.GetMetadata()
	d.img, d.conf, d.addrs = img, md.GetConfState(), addrs
	d.announceMembers()
	d.applied, d.appliedTerm, d.snapIndex = md.GetIndex(), md.GetTerm(), md.GetIndex()
	return nil
}
