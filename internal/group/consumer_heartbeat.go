package group

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// ConsumerHeartbeatRequest is a ConsumerGroupHeartbeat request as the
// state machine sees it. Nil fields mean "unchanged since the last
// heartbeat", as on the wire.
type ConsumerHeartbeatRequest struct {
	Version     int16
	MemberID    string
	MemberEpoch int32
	// NewMemberID is the id to give a v0 member joining with an empty
	// id (v1+ clients choose their own id).
	NewMemberID          string
	InstanceID           *string
	RackID               *string
	RebalanceTimeoutMs   int32 // -1 = unchanged
	SubscribedTopicNames []string
	SubscribedTopicRegex *string
	ServerAssignor       *string
	// Owned is what the member owns (nil = unchanged).
	Owned      Assignment
	OwnedSent  bool
	ClientID   string
	ClientHost string
}

// ConsumerHeartbeatResponse answers a ConsumerHeartbeatRequest.
// Assignment is nil when the member's assignment did not change.
type ConsumerHeartbeatResponse struct {
	Err               int16
	ErrMessage        string
	MemberID          string
	MemberEpoch       int32
	HeartbeatInterval time.Duration
	Assignment        Assignment
	HasAssignment     bool
}

func hbErr(err *kerr.Error, format string, args ...any) ConsumerHeartbeatResponse {
	return ConsumerHeartbeatResponse{Err: err.Code, ErrMessage: fmt.Sprintf(format, args...), MemberEpoch: -1}
}

// ValidateConsumerHeartbeat checks a request's fields as Kafka does
// before looking at the group (INVALID_REQUEST, UNSUPPORTED_ASSIGNOR,
// INVALID_REGULAR_EXPRESSION); nil means valid.
func ValidateConsumerHeartbeat(group string, req *ConsumerHeartbeatRequest, assignors []string) *ConsumerHeartbeatResponse {
	fail := func(err *kerr.Error, format string, args ...any) *ConsumerHeartbeatResponse {
		r := hbErr(err, format, args...)
		return &r
	}
	switch {
	case group == "":
		return fail(kerr.InvalidRequest, "GroupId can't be empty.")
	case req.Version >= 1 && req.MemberID == "":
		return fail(kerr.InvalidRequest, "MemberId can't be empty.")
	case req.Version == 0 && req.MemberEpoch != EpochJoin && req.MemberID == "":
		return fail(kerr.InvalidRequest, "MemberId can't be empty.")
	case req.InstanceID != nil && *req.InstanceID == "":
		return fail(kerr.InvalidRequest, "InstanceId can't be empty.")
	case req.RackID != nil && *req.RackID == "":
		return fail(kerr.InvalidRequest, "RackId can't be empty.")
	case req.MemberEpoch < EpochLeaveStatic:
		return fail(kerr.InvalidRequest, "MemberEpoch is invalid.")
	case req.MemberEpoch == EpochLeaveStatic && req.InstanceID == nil:
		return fail(kerr.InvalidRequest, "InstanceId can't be null.")
	}
	if req.MemberEpoch == EpochJoin {
		switch {
		case req.RebalanceTimeoutMs == -1:
			return fail(kerr.InvalidRequest, "RebalanceTimeoutMs must be provided in first request.")
		case !req.OwnedSent || len(req.Owned) > 0:
			return fail(kerr.InvalidRequest, "TopicPartitions must be empty when (re-)joining.")
		case req.SubscribedTopicNames == nil && req.SubscribedTopicRegex == nil:
			return fail(kerr.InvalidRequest, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
		}
	}
	if a := req.ServerAssignor; a != nil && !slices.Contains(assignors, *a) {
		return fail(kerr.UnsupportedAssignor, "ServerAssignor %s is not supported. Supported assignors: %s.", *a, strings.Join(assignors, ", "))
	}
	if r := req.SubscribedTopicRegex; r != nil && *r != "" {
		if _, err := compileRegex(*r); err != nil {
			return fail(kerr.InvalidRegularExpression, "SubscribedTopicRegex `%s` is not a valid regular expression: %v.", *r, err)
		}
	}
	return nil
}

// compileRegex compiles a subscription regex anchored at both ends:
// Kafka (Java's Pattern.matches, RE2/J) matches the whole topic name.
func compileRegex(re string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + re + `)$`)
}

// Heartbeat handles a ConsumerGroupHeartbeat already checked by
// ValidateConsumerHeartbeat: join (epoch 0), heartbeat, or leave (epoch
// -1, or -2 for a static member). topics is the cluster's topics now.
// Output.Store is set when the group's membership or epochs changed.
func (g *Consumer) Heartbeat(now time.Time, req ConsumerHeartbeatRequest, topics *TopicSnapshot) (ConsumerHeartbeatResponse, Output) {
	if req.MemberEpoch == EpochLeave || req.MemberEpoch == EpochLeaveStatic {
		return g.leave(now, req)
	}
	m, isNew, fail := g.memberFor(now, req)
	if fail != nil {
		return *fail, Output{}
	}
	var out Output
	bump := isNew
	if g.updateMember(m, req) {
		bump = true
	}
	if isNew {
		g.members[m.ID] = m
		if m.InstanceID != "" {
			g.static[m.InstanceID] = m.ID
		}
		g.stateTime = now
	}
	if g.refreshSubscriptions(topics, bump) {
		bump = true
	}
	prevEpoch, prevAssigned := m.Epoch, m.Assigned.clone()
	if bump {
		g.epoch++
		out.Store = true
	}
	if g.epoch > g.assignmentEpoch {
		g.computeTarget(topics)
	}
	owned := req.Owned
	if !req.OwnedSent {
		owned = nil
	}
	g.reconcile(now, m, owned)
	m.sessionDeadline = now.Add(g.limits.SessionTimeout)
	if m.Epoch != prevEpoch {
		out.Store = true
	}
	resp := ConsumerHeartbeatResponse{MemberID: m.ID, MemberEpoch: m.Epoch, HeartbeatInterval: g.limits.HeartbeatInterval}
	full := req.RebalanceTimeoutMs != -1 && (req.SubscribedTopicNames != nil || req.SubscribedTopicRegex != nil) && req.OwnedSent
	if req.MemberEpoch == EpochJoin || full || !m.Assigned.equal(prevAssigned) {
		resp.Assignment, resp.HasAssignment = m.Assigned.clone(), true
	}
	return resp, out
}

// memberFor finds the member a heartbeat is from, or makes a new one
// (isNew; not yet in the group), after Kafka's checks: static instance
// ids, unknown members, member epochs, group size.
func (g *Consumer) memberFor(now time.Time, req ConsumerHeartbeatRequest) (m *ConsumerMember, isNew bool, fail *ConsumerHeartbeatResponse) {
	failWith := func(err *kerr.Error, format string, args ...any) (*ConsumerMember, bool, *ConsumerHeartbeatResponse) {
		r := hbErr(err, format, args...)
		return nil, false, &r
	}
	id := req.MemberID
	if id == "" {
		id = req.NewMemberID
	}
	if req.InstanceID != nil {
		inst := *req.InstanceID
		existing := g.members[g.static[inst]]
		if req.MemberEpoch == EpochJoin {
			switch {
			case existing == nil:
			case existing.ID == id:
				// The same member rejoining (a lost response, or
				// back after its epoch -2 leave).
				if existing.Epoch == EpochLeaveStatic {
					existing.Epoch = existing.PreviousEpoch
				}
				return existing, false, nil
			case existing.Epoch != EpochLeaveStatic:
				return failWith(kerr.UnreleasedInstanceID, "Static member %s with instance id %s cannot join the group because the instance id is owned by member %s.", id, inst, existing.ID)
			default:
				return g.replaceStatic(now, existing, id), false, nil
			}
		} else {
			switch {
			case existing == nil:
				return failWith(kerr.UnknownMemberID, "Instance id %s is unknown.", inst)
			case existing.ID != id:
				return failWith(kerr.FencedInstanceID, "Static member %s with instance id %s is fenced by existing member %s.", id, inst, existing.ID)
			}
		}
	}
	existing := g.members[id]
	if req.MemberEpoch == EpochJoin {
		if existing != nil {
			return existing, false, nil
		}
		if g.limits.MaxSize > 0 && len(g.members) >= g.limits.MaxSize {
			return failWith(kerr.GroupMaxSizeReached, "The consumer group has reached its maximum capacity of %d members.", g.limits.MaxSize)
		}
		return &ConsumerMember{ID: id, Assigned: Assignment{}, Pending: Assignment{}}, true, nil
	}
	if existing == nil {
		return failWith(kerr.UnknownMemberID, "Member %s is not a member of group %s.", id, g.ID)
	}
	if err := checkMemberEpoch(existing, req); err != nil {
		return failWith(kerr.FencedMemberEpoch, "%s", err.Error())
	}
	return existing, false, nil
}

// checkMemberEpoch applies Kafka's epoch rule: a greater epoch than the
// coordinator's is fenced; a smaller one is accepted only when it is the
// member's previous epoch and the member owns a subset of its assignment
// (the response that bumped the epoch was lost).
func checkMemberEpoch(m *ConsumerMember, req ConsumerHeartbeatRequest) error {
	switch {
	case req.MemberEpoch > m.Epoch:
		return fmt.Errorf("the consumer group member has a greater member epoch (%d) than the one known by the group coordinator (%d); the member must abandon all its partitions and rejoin", req.MemberEpoch, m.Epoch)
	case req.MemberEpoch < m.Epoch:
		if req.MemberEpoch != m.PreviousEpoch || !req.OwnedSent || !req.Owned.subsetOf(m.Assigned) {
			return fmt.Errorf("the consumer group member has a smaller member epoch (%d) than the one known by the group coordinator (%d); the member must abandon all its partitions and rejoin", req.MemberEpoch, m.Epoch)
		}
	}
	return nil
}

// replaceStatic gives a static member's partitions, epoch and target to
// the new member that took over its instance id (KIP-345 for KIP-848):
// no rebalance.
func (g *Consumer) replaceStatic(now time.Time, old *ConsumerMember, newID string) *ConsumerMember {
	g.clearOwned(old)
	delete(g.members, old.ID)
	m := *old
	m.ID = newID
	m.Epoch = old.PreviousEpoch
	m.Assigned, m.Pending = old.Assigned.clone(), old.Pending.clone()
	g.members[newID] = &m
	g.static[m.InstanceID] = newID
	if t, ok := g.target[old.ID]; ok {
		g.target[newID] = t
		delete(g.target, old.ID)
	}
	g.setOwned(&m)
	g.stateTime = now
	return &m
}

// updateMember applies the request's fields to m and reports whether its
// subscription changed (which bumps the group epoch).
func (g *Consumer) updateMember(m *ConsumerMember, req ConsumerHeartbeatRequest) bool {
	changed := false
	if req.InstanceID != nil {
		m.InstanceID = *req.InstanceID
	}
	if req.RackID != nil {
		m.RackID = *req.RackID
	}
	if req.RebalanceTimeoutMs >= 0 {
		m.RebalanceTimeout = time.Duration(req.RebalanceTimeoutMs) * time.Millisecond
	}
	m.ClientID, m.ClientHost = req.ClientID, req.ClientHost
	if req.SubscribedTopicNames != nil {
		names := slices.Clone(req.SubscribedTopicNames)
		slices.Sort(names)
		names = slices.Compact(names)
		if !slices.Equal(names, m.SubscribedTopics) {
			m.SubscribedTopics, changed = names, true
		}
	}
	if req.SubscribedTopicRegex != nil && *req.SubscribedTopicRegex != m.SubscribedRegex {
		m.SubscribedRegex, changed = *req.SubscribedTopicRegex, true
	}
	if req.ServerAssignor != nil && *req.ServerAssignor != m.ServerAssignor {
		m.ServerAssignor, changed = *req.ServerAssignor, true
	}
	return changed
}

// leave handles epoch -1 (the member leaves; its partitions are freed)
// and -2 (a static member leaves for now: it keeps its partitions until
// its session expires or a new member takes over its instance id).
func (g *Consumer) leave(now time.Time, req ConsumerHeartbeatRequest) (ConsumerHeartbeatResponse, Output) {
	id := req.MemberID
	if req.InstanceID != nil {
		sid, ok := g.static[*req.InstanceID]
		switch {
		case !ok:
			return hbErr(kerr.UnknownMemberID, "Instance id %s is unknown.", *req.InstanceID), Output{}
		case sid != id:
			return hbErr(kerr.FencedInstanceID, "Static member %s with instance id %s is fenced by existing member %s.", id, *req.InstanceID, sid), Output{}
		}
	}
	m := g.members[id]
	if m == nil {
		return hbErr(kerr.UnknownMemberID, "Member %s is not a member of group %s.", id, g.ID), Output{}
	}
	resp := ConsumerHeartbeatResponse{MemberID: id, MemberEpoch: req.MemberEpoch, HeartbeatInterval: g.limits.HeartbeatInterval}
	if req.MemberEpoch == EpochLeaveStatic && m.InstanceID != "" {
		if m.Epoch != EpochLeaveStatic {
			m.PreviousEpoch = m.Epoch
		}
		m.Epoch = EpochLeaveStatic
		m.revokeDeadline = time.Time{}
		return resp, Output{Store: true}
	}
	g.removeMember(now, m)
	return resp, Output{Store: true}
}
