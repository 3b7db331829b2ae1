package group

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Join handles a JoinGroup request. A non-nil response is the answer now;
// nil means the request waits (its answer comes in a later Output for
// req.Waiter). The Output carries answers to other waiting requests.
func (g *Classic) Join(now time.Time, req JoinRequest) (*JoinResponse, Output) {
	if g.state == Dead {
		return errJoin(kerr.CoordinatorNotAvailable, req.MemberID), Output{}
	}
	if req.SessionTimeout < g.limits.MinSessionTimeout || req.SessionTimeout > g.limits.MaxSessionTimeout {
		return errJoin(kerr.InvalidSessionTimeout, req.MemberID), Output{}
	}
	self := req.MemberID
	if req.InstanceID != "" && self == "" {
		self = g.static[req.InstanceID]
	}
	if !g.supports(req.ProtocolType, req.Protocols, self) {
		return errJoin(kerr.InconsistentGroupProtocol, req.MemberID), Output{}
	}
	if req.MemberID == "" {
		return g.joinUnknown(now, req)
	}
	return g.joinKnown(now, req)
}

func (g *Classic) full() bool {
	return g.limits.MaxSize > 0 && len(g.members)+len(g.pending) >= g.limits.MaxSize
}

func (g *Classic) joinUnknown(now time.Time, req JoinRequest) (*JoinResponse, Output) {
	if req.InstanceID != "" {
		if old, ok := g.static[req.InstanceID]; ok {
			return g.replaceStatic(now, req, old)
		}
	}
	if g.full() {
		return errJoin(kerr.GroupMaxSizeReached, ""), Output{}
	}
	if req.InstanceID == "" && req.RequireKnownMember {
		g.pending[req.NewMemberID] = now.Add(req.SessionTimeout)
		return errJoin(kerr.MemberIDRequired, req.NewMemberID), Output{}
	}
	return g.addMember(now, req, req.NewMemberID)
}

func (g *Classic) joinKnown(now time.Time, req JoinRequest) (*JoinResponse, Output) {
	if req.InstanceID != "" {
		if id, ok := g.static[req.InstanceID]; ok && id != req.MemberID {
			return errJoin(kerr.FencedInstanceID, req.MemberID), Output{}
		}
	}
	if _, ok := g.pending[req.MemberID]; ok {
		if g.limits.MaxSize > 0 && len(g.members) >= g.limits.MaxSize {
			delete(g.pending, req.MemberID)
			return errJoin(kerr.GroupMaxSizeReached, req.MemberID), Output{}
		}
		return g.addMember(now, req, req.MemberID)
	}
	m := g.members[req.MemberID]
	if m == nil || g.state == Empty {
		return errJoin(kerr.UnknownMemberID, req.MemberID), Output{}
	}
	var out Output
	switch g.state {
	case PreparingRebalance:
		out.merge(g.updateMember(m, req))
		out.merge(g.tryCompleteJoin(now))
		return nil, out
	case CompletingRebalance:
		if sameProtocols(m.Protocols, req.Protocols) {
			// The member missed its response (a retry): answer again.
			m.deadline = now.Add(m.SessionTimeout)
			r := g.joinResponse(m)
			return &r, out
		}
	case Stable:
		if m.ID != g.leader && sameProtocols(m.Protocols, req.Protocols) {
			m.deadline = now.Add(m.SessionTimeout)
			r := g.joinResponse(m)
			return &r, out
		}
	}
	// A changed subscription, or the leader asking for a rebalance.
	out.merge(g.updateMember(m, req))
	out.merge(g.prepareRebalance(now))
	out.merge(g.tryCompleteJoin(now))
	return nil, out
}

// updateMember records a rejoin: new protocols, timeouts and waiter. An
// earlier join of the same member still waiting is answered first.
func (g *Classic) updateMember(m *Member, req JoinRequest) Output {
	var out Output
	if m.joinWaiter != 0 && m.joinWaiter != req.Waiter {
		out.Joins = append(out.Joins, JoinReply{m.joinWaiter, *errJoin(kerr.RebalanceInProgress, m.ID)})
	}
	m.Protocols = req.Protocols
	m.SessionTimeout, m.RebalanceTimeout = req.SessionTimeout, req.RebalanceTimeout
	m.ClientID, m.ClientHost = req.ClientID, req.ClientHost
	m.joinWaiter = req.Waiter
	return out
}

// addMember adds a new member waiting for the rebalance it starts.
func (g *Classic) addMember(now time.Time, req JoinRequest, id string) (*JoinResponse, Output) {
	delete(g.pending, id)
	m := &Member{ID: id, InstanceID: req.InstanceID}
	g.updateMember(m, req)
	if len(g.members) == 0 {
		g.protocolType = req.ProtocolType
	}
	g.members[id] = m
	if req.InstanceID != "" {
		g.static[req.InstanceID] = id
	}
	if g.leader == "" {
		g.leader = id
	}
	var out Output
	out.merge(g.prepareRebalance(now))
	out.merge(g.tryCompleteJoin(now))
	return nil, out
}

// replaceStatic gives a restarted static member a new member id (KIP-345):
// the old id is fenced and, when the group is stable and its selected
// protocol would not change, the member gets the current generation and
// assignment back without a rebalance.
func (g *Classic) replaceStatic(now time.Time, req JoinRequest, oldID string) (*JoinResponse, Output) {
	var out Output
	old := g.members[oldID]
	if old.joinWaiter != 0 {
		out.Joins = append(out.Joins, JoinReply{old.joinWaiter, *errJoin(kerr.FencedInstanceID, oldID)})
		old.joinWaiter = 0
	}
	if old.syncWaiter != 0 {
		out.Syncs = append(out.Syncs, SyncReply{old.syncWaiter, SyncResponse{Err: kerr.FencedInstanceID.Code}})
		old.syncWaiter = 0
	}
	delete(g.members, oldID)
	old.ID = req.NewMemberID
	g.members[old.ID] = old
	g.static[req.InstanceID] = old.ID
	if g.leader == oldID {
		g.leader = old.ID
	}
	switch {
	case g.state == Stable && g.keepsProtocol(old, req.Protocols):
		// Kafka's rule: no rebalance unless the selected protocol
		// would change; the new metadata is kept for the next one.
		old.Protocols = req.Protocols
		old.SessionTimeout, old.RebalanceTimeout = req.SessionTimeout, req.RebalanceTimeout
		old.ClientID, old.ClientHost = req.ClientID, req.ClientHost
		old.deadline = now.Add(old.SessionTimeout)
		r := g.joinResponse(old)
		// KIP-814: a static leader rejoining gets the members but must
		// not compute a new assignment.
		r.SkipAssignment = old.ID == g.leader
		out.Store = true
		return &r, out
	case g.state == PreparingRebalance:
		out.merge(g.updateMember(old, req))
		out.merge(g.tryCompleteJoin(now))
	default:
		out.merge(g.updateMember(old, req))
		out.merge(g.prepareRebalance(now))
		out.merge(g.tryCompleteJoin(now))
	}
	return nil, out
}

// keepsProtocol reports whether member m switching to protos leaves the
// group's selected protocol unchanged.
func (g *Classic) keepsProtocol(m *Member, protos []Protocol) bool {
	prev := m.Protocols
	m.Protocols = protos
	same := g.selectProtocol() == g.protocol
	m.Protocols = prev
	return same
}

// prepareRebalance moves the group to PreparingRebalance (from Empty,
// Stable or CompletingRebalance; a no-op otherwise). Members waiting in
// SyncGroup are told REBALANCE_IN_PROGRESS.
func (g *Classic) prepareRebalance(now time.Time) Output {
	var out Output
	switch g.state {
	case Empty:
		g.delayUntil = now.Add(g.limits.InitialDelay)
	case Stable:
	case CompletingRebalance:
		for _, m := range g.members {
			m.Assignment = nil
			if m.syncWaiter != 0 {
				out.Syncs = append(out.Syncs, SyncReply{m.syncWaiter, SyncResponse{Err: kerr.RebalanceInProgress.Code}})
				m.syncWaiter = 0
			}
		}
	default:
		return out
	}
	var longest time.Duration
	for _, m := range g.members {
		longest = max(longest, m.RebalanceTimeout)
	}
	g.rebalanceDeadline = now.Add(longest)
	if !g.delayUntil.IsZero() && g.delayUntil.After(g.rebalanceDeadline) {
		g.delayUntil = g.rebalanceDeadline
	}
	g.transition(PreparingRebalance, now)
	return out
}

// tryCompleteJoin ends PreparingRebalance once every member has rejoined,
// no new member is pending and the initial delay is over.
func (g *Classic) tryCompleteJoin(now time.Time) Output {
	if g.state != PreparingRebalance || len(g.pending) > 0 || now.Before(g.delayUntil) {
		return Output{}
	}
	for _, m := range g.members {
		if m.joinWaiter == 0 {
			return Output{}
		}
	}
	return g.completeJoin(now)
}

// completeJoin starts the next generation with the members that rejoined;
// dynamic members that did not are removed. The leader gets every
// member's metadata and computes the assignment.
func (g *Classic) completeJoin(now time.Time) Output {
	var out Output
	joined := 0
	for _, m := range g.members {
		if m.joinWaiter != 0 {
			joined++
		}
	}
	for _, m := range g.Members() {
		if m.joinWaiter == 0 && (m.InstanceID == "" || joined == 0) {
			out.merge(g.remove(m))
		}
	}
	g.pending = map[string]time.Time{}
	g.delayUntil = time.Time{}
	g.generation++
	if len(g.members) == 0 {
		g.protocol, g.leader = "", ""
		g.rebalanceDeadline = time.Time{}
		g.transition(Empty, now)
		out.Store = true
		return out
	}
	if l := g.members[g.leader]; l == nil || l.joinWaiter == 0 {
		for _, m := range g.Members() {
			if m.joinWaiter != 0 {
				g.leader = m.ID
				break
			}
		}
	}
	g.protocol = g.selectProtocol()
	g.transition(CompletingRebalance, now)
	var longest time.Duration
	for _, m := range g.Members() {
		longest = max(longest, m.RebalanceTimeout)
		if m.joinWaiter == 0 {
			continue
		}
		out.Joins = append(out.Joins, JoinReply{m.joinWaiter, g.joinResponse(m)})
		m.joinWaiter = 0
		m.deadline = now.Add(m.SessionTimeout)
	}
	g.rebalanceDeadline = now.Add(longest)
	return out
}

// remove deletes a member, answering its waiting requests with
// UNKNOWN_MEMBER_ID, and elects another leader if it led.
func (g *Classic) remove(m *Member) Output {
	var out Output
	if m.joinWaiter != 0 {
		out.Joins = append(out.Joins, JoinReply{m.joinWaiter, *errJoin(kerr.UnknownMemberID, m.ID)})
	}
	if m.syncWaiter != 0 {
		out.Syncs = append(out.Syncs, SyncReply{m.syncWaiter, SyncResponse{Err: kerr.UnknownMemberID.Code}})
	}
	delete(g.members, m.ID)
	if m.InstanceID != "" && g.static[m.InstanceID] == m.ID {
		delete(g.static, m.InstanceID)
	}
	if g.leader == m.ID {
		g.leader = ""
		for _, o := range g.Members() {
			g.leader = o.ID
			break
		}
	}
	return out
}
