package group

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// checkMember validates a member id, its static instance id and its
// generation, in Kafka's order: FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID,
// ILLEGAL_GENERATION.
func (g *Classic) checkMember(memberID, instanceID string, generation int32) (*Member, *kerr.Error) {
	if instanceID != "" {
		if id, ok := g.static[instanceID]; ok && id != memberID {
			return nil, kerr.FencedInstanceID
		}
	}
	m := g.members[memberID]
	if m == nil {
		return nil, kerr.UnknownMemberID
	}
	if generation != g.generation {
		return m, kerr.IllegalGeneration
	}
	return m, nil
}

// Sync handles a SyncGroup request; nil means it waits for the leader's
// assignment.
func (g *Classic) Sync(now time.Time, req SyncRequest) (*SyncResponse, Output) {
	fail := func(err *kerr.Error) (*SyncResponse, Output) {
		return &SyncResponse{Err: err.Code}, Output{}
	}
	if g.state == Dead {
		return fail(kerr.CoordinatorNotAvailable)
	}
	m, err := g.checkMember(req.MemberID, req.InstanceID, req.Generation)
	if err != nil {
		return fail(err)
	}
	if (req.ProtocolType != nil && *req.ProtocolType != g.protocolType) || (req.Protocol != nil && *req.Protocol != g.protocol) {
		return fail(kerr.InconsistentGroupProtocol)
	}
	switch g.state {
	case Empty:
		return fail(kerr.UnknownMemberID)
	case PreparingRebalance:
		return fail(kerr.RebalanceInProgress)
	case Stable:
		m.deadline = now.Add(m.SessionTimeout)
		return &SyncResponse{ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: m.Assignment}, Output{}
	}
	// CompletingRebalance: wait for the leader's assignment.
	var out Output
	if m.syncWaiter != 0 && m.syncWaiter != req.Waiter {
		out.Syncs = append(out.Syncs, SyncReply{m.syncWaiter, SyncResponse{Err: kerr.RebalanceInProgress.Code}})
	}
	m.syncWaiter = req.Waiter
	m.deadline = now.Add(m.SessionTimeout)
	if m.ID != g.leader {
		return nil, out
	}
	for _, o := range g.members {
		o.Assignment = req.Assignments[o.ID]
	}
	g.rebalanceDeadline = time.Time{}
	g.transition(Stable, now)
	out.Store = true
	for _, o := range g.Members() {
		if o.syncWaiter != 0 {
			out.Syncs = append(out.Syncs, SyncReply{o.syncWaiter, SyncResponse{ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: o.Assignment}})
			o.syncWaiter = 0
		}
	}
	return nil, out
}

// Heartbeat handles a Heartbeat request and returns its error code.
func (g *Classic) Heartbeat(now time.Time, memberID, instanceID string, generation int32) int16 {
	if g.state == Dead {
		return kerr.CoordinatorNotAvailable.Code
	}
	m, err := g.checkMember(memberID, instanceID, generation)
	if err != nil {
		return err.Code
	}
	switch g.state {
	case Empty:
		return kerr.UnknownMemberID.Code
	case PreparingRebalance:
		m.deadline = now.Add(m.SessionTimeout)
		return kerr.RebalanceInProgress.Code
	}
	m.deadline = now.Add(m.SessionTimeout)
	return 0
}

// LeaveMember names a member leaving: by member id, by static instance id,
// or both.
type LeaveMember struct {
	MemberID   string
	InstanceID string
}

// Leave removes members (LeaveGroup) and returns an error code per member.
func (g *Classic) Leave(now time.Time, leaving []LeaveMember) ([]int16, Output) {
	codes := make([]int16, len(leaving))
	var out Output
	removed := false
	for i, l := range leaving {
		if g.state == Dead {
			codes[i] = kerr.CoordinatorNotAvailable.Code
			continue
		}
		id := l.MemberID
		if l.InstanceID != "" {
			sid, ok := g.static[l.InstanceID]
			switch {
			case !ok:
				codes[i] = kerr.UnknownMemberID.Code
				continue
			case id != "" && id != sid:
				codes[i] = kerr.FencedInstanceID.Code
				continue
			}
			id = sid
		}
		if _, ok := g.pending[id]; ok {
			delete(g.pending, id)
			removed = true
			continue
		}
		m := g.members[id]
		if m == nil {
			codes[i] = kerr.UnknownMemberID.Code
			continue
		}
		out.merge(g.remove(m))
		removed = true
	}
	if removed {
		out.merge(g.afterRemoval(now))
	}
	return codes, out
}

// afterRemoval rebalances the remaining members after members left or
// expired.
func (g *Classic) afterRemoval(now time.Time) Output {
	var out Output
	switch g.state {
	case Stable, CompletingRebalance:
		out.merge(g.prepareRebalance(now))
	}
	out.merge(g.tryCompleteJoin(now))
	return out
}

// Tick applies the passage of time: expired sessions and pending member
// ids, and rebalance timeouts.
func (g *Classic) Tick(now time.Time) Output {
	var out Output
	expired := false
	for id, until := range g.pending {
		if !now.Before(until) {
			delete(g.pending, id)
			expired = true
		}
	}
	for _, m := range g.Members() {
		if m.joinWaiter == 0 && m.syncWaiter == 0 && !m.deadline.IsZero() && !now.Before(m.deadline) {
			out.merge(g.remove(m))
			expired = true
		}
	}
	if expired {
		out.merge(g.afterRemoval(now))
	}
	switch {
	case g.state == PreparingRebalance && !now.Before(g.rebalanceDeadline):
		out.merge(g.completeJoin(now))
	case g.state == PreparingRebalance:
		out.merge(g.tryCompleteJoin(now))
	case g.state == CompletingRebalance && !now.Before(g.rebalanceDeadline):
		// The leader never sent its assignment: drop members that did
		// not sync, and rebalance the rest.
		for _, m := range g.Members() {
			if m.syncWaiter == 0 {
				out.merge(g.remove(m))
			}
		}
		out.merge(g.prepareRebalance(now))
		out.merge(g.tryCompleteJoin(now))
	}
	return out
}

// NextDeadline returns when Tick next has something to do; zero if
// nothing is scheduled.
func (g *Classic) NextDeadline() time.Time {
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, t := range g.pending {
		earlier(t)
	}
	for _, m := range g.members {
		if m.joinWaiter == 0 && m.syncWaiter == 0 {
			earlier(m.deadline)
		}
	}
	switch g.state {
	case PreparingRebalance:
		earlier(g.rebalanceDeadline)
		if now := g.delayUntil; !now.IsZero() {
			earlier(now)
		}
	case CompletingRebalance:
		earlier(g.rebalanceDeadline)
	}
	return next
}

// ValidateCommit checks an OffsetCommit's member and generation, as
// Kafka's classic group does. Generation -1 with no member id is a simple
// (admin) commit, allowed only while the group is empty.
func (g *Classic) ValidateCommit(now time.Time, memberID, instanceID string, generation int32) int16 {
	if g.state == Dead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if generation < 0 && g.state == Empty {
		return 0
	}
	if generation < 0 && memberID == "" && instanceID == "" {
		return kerr.UnknownMemberID.Code
	}
	m, err := g.checkMember(memberID, instanceID, generation)
	if err != nil {
		return err.Code
	}
	if g.state == CompletingRebalance {
		return kerr.RebalanceInProgress.Code
	}
	m.deadline = now.Add(m.SessionTimeout)
	return 0
}

// MarkDead ends the group (DeleteGroups); it must be empty.
func (g *Classic) MarkDead(now time.Time) {
	g.transition(Dead, now)
}

// Rebalance forces a rebalance (after the driver failed to store the
// group's metadata).
func (g *Classic) Rebalance(now time.Time) Output {
	out := g.prepareRebalance(now)
	out.merge(g.tryCompleteJoin(now))
	return out
}
