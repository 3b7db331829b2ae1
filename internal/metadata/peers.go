package metadata

import (
	"errors"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// This file holds the driver's dealings with the other voters: proposals
// (forwarded by Raft when this node follows), messages from peers and the
// transport's feedback.

// propose hands a proposal to Raft: on the leader it is appended, on a
// follower Raft forwards it to the leader (MsgProp). With no leader known
// (an election is under way) it waits in d.waiting for one.
func (d *driver) propose(p *proposal) {
	lead := d.rn.BasicStatus().Lead
	if lead == raft.None {
		d.waiting = append(d.waiting, p)
		return
	}
	if p.cc != nil {
		if err := d.checkPromotion(p.cc); err != nil {
			p.done <- outcome{err: err}
			return
		}
		if d.n.leader.Load() && d.confChangePending() {
			d.waiting = append(d.waiting, p) // one change at a time
			return
		}
	}
	if err := d.proposeToRaft(p); err != nil {
		if errors.Is(err, raft.ErrProposalDropped) {
			d.waiting = append(d.waiting, p) // certainly in no log: safe to retry
			return
		}
		p.done <- outcome{err: err}
		return
	}
	p.lead = lead
	d.pending[p.req] = p
}

func (d *driver) proposeToRaft(p *proposal) error {
	if p.cc != nil {
		return d.rn.ProposeConfChange(p.cc)
	}
	return d.rn.Propose(p.data)
}

// retryWaiting proposes the waiting proposals again once a leader is
// known; it reports whether it tried any.
func (d *driver) retryWaiting() bool {
	if len(d.waiting) == 0 || d.rn.BasicStatus().Lead == raft.None {
		return false
	}
	w := d.waiting
	d.waiting = nil
	for _, p := range w {
		if !p.abandoned() {
			d.propose(p)
		}
	}
	return true
}

// sweepAbandoned forgets proposals whose callers gave up (their context
// ended): a forwarded proposal lost on the way would otherwise be
// remembered for ever.
func (d *driver) sweepAbandoned() {
	for req, p := range d.pending {
		if p.abandoned() {
			delete(d.pending, req)
		}
	}
	d.waiting = slices.DeleteFunc(d.waiting, (*proposal).abandoned)
}

// step hands Raft a message from a peer.
func (d *driver) step(m *raftpb.Message) {
	if m.GetTo() != uint64(d.n.cfg.NodeID) {
		d.n.log.Debug("metadata: dropping a message for another node", "to", m.GetTo(), "from", m.GetFrom())
		return
	}
	d.heard[m.GetFrom()] = time.Now()
	if m.GetType() == raftpb.MessageType_MsgProp && d.n.leader.Load() {
		if err := d.checkForwardedConfChanges(m); err != nil {
			// The proposing node learns it only by its proposal's
			// timeout; a promotion the leader would refuse must not
			// slip in through a follower.
			d.n.log.Warn("metadata: dropping a forwarded membership change", "from", m.GetFrom(), "err", err)
			return
		}
	}
	if err := d.rn.Step(m); err != nil {
		d.n.log.Debug("metadata: raft rejected a peer message", "from", m.GetFrom(), "type", m.GetType(), "err", err)
	}
}

// onReport passes the transport's feedback to Raft.
func (d *driver) onReport(r report) {
	switch {
	case r.snapshot && r.delivered:
		d.rn.ReportSnapshot(r.peer, raft.SnapshotFinish)
	case r.snapshot:
		d.rn.ReportSnapshot(r.peer, raft.SnapshotFailure)
	case r.unreachable:
		d.rn.ReportUnreachable(r.peer)
	}
}
