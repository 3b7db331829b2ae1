package group

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// State is a group's state, as Kafka names it.
type State int8

// The states of Kafka's classic group state machine.
const (
	Empty State = iota
	PreparingRebalance
	CompletingRebalance
	Stable
	Dead
	// Assigning and Reconciling are states of consumer-protocol
	// (KIP-848) groups only; they share Empty, Stable and Dead.
	Assigning
	Reconciling
)

var stateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Assigning", "Reconciling"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "Unknown"
}

// ParseState returns the state named s (case-insensitive, as ListGroups'
// states filter is).
func ParseState(s string) (State, bool) {
	for i, n := range stateNames {
		if strings.EqualFold(n, s) {
			return State(i), true
		}
	}
	return 0, false
}

// Waiter identifies a deferred JoinGroup or SyncGroup request: the
// response for it comes in a later Output.
type Waiter uint64

// Protocol is one assignor a member supports, with its metadata
// (subscription).
type Protocol struct {
	Name     string
	Metadata []byte
}

// Member is one member of a classic group.
type Member struct {
	ID               string
	InstanceID       string // "" = dynamic member
	ClientID         string
	ClientHost       string
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration
	Protocols        []Protocol
	Assignment       []byte

	joinWaiter Waiter
	syncWaiter Waiter
	deadline   time.Time // session expiry, when not awaiting join or sync
}

// metadataFor returns the member's metadata for protocol name.
func (m *Member) metadataFor(name string) []byte {
	for _, p := range m.Protocols {
		if p.Name == name {
			return p.Metadata
		}
	}
	return nil
}

// Limits are the broker settings a group obeys.
type Limits struct {
	MinSessionTimeout time.Duration // group.min.session.timeout.ms
	MaxSessionTimeout time.Duration // group.max.session.timeout.ms
	InitialDelay      time.Duration // group.initial.rebalance.delay.ms
	MaxSize           int           // group.max.size; 0 = unlimited
}

// JoinRequest is a JoinGroup request as the state machine sees it.
type JoinRequest struct {
	Waiter Waiter
	// MemberID is "" for a member that joins for the first time.
	MemberID string
	// NewMemberID is the id to give a new member (the driver generates
	// it, so the state machine has no randomness).
	NewMemberID        string
	InstanceID         string
	ClientID           string
	ClientHost         string
	ProtocolType       string
	Protocols          []Protocol
	SessionTimeout     time.Duration
	RebalanceTimeout   time.Duration
	RequireKnownMember bool // v4+ (KIP-394)
}

// MemberMetadata is one member as the leader sees it in its JoinGroup
// response.
type MemberMetadata struct {
	MemberID   string
	InstanceID string
	Metadata   []byte
}

// JoinResponse is the answer to a JoinRequest.
type JoinResponse struct {
	Err            int16
	Generation     int32
	ProtocolType   string
	Protocol       string
	Leader         string
	MemberID       string
	SkipAssignment bool
	Members        []MemberMetadata // only for the leader
}

// SyncRequest is a SyncGroup request.
type SyncRequest struct {
	Waiter       Waiter
	MemberID     string
	InstanceID   string
	Generation   int32
	ProtocolType *string // v5+
	Protocol     *string // v5+
	Assignments  map[string][]byte
}

// SyncResponse is the answer to a SyncRequest.
type SyncResponse struct {
	Err          int16
	ProtocolType string
	Protocol     string
	Assignment   []byte
}

// JoinReply and SyncReply deliver a deferred response to its waiter.
type JoinReply struct {
	Waiter Waiter
	Resp   JoinResponse
}

// SyncReply delivers a deferred SyncGroup response.
type SyncReply struct {
	Waiter Waiter
	Resp   SyncResponse
}

// Output is what an input produced besides its immediate answer: deferred
// responses to deliver and whether the group's metadata must be stored.
// The driver stores the group first (when Store is set) and delivers the
// responses only once it is durable.
type Output struct {
	Joins []JoinReply
	Syncs []SyncReply
	Store bool
}

func (o *Output) merge(p Output) {
	o.Joins = append(o.Joins, p.Joins...)
	o.Syncs = append(o.Syncs, p.Syncs...)
	o.Store = o.Store || p.Store
}

// Classic is one classic-protocol group: Kafka's state machine as a pure
// value. Every method takes the current time and returns what to do; it
// starts no goroutine, reads no clock and does no I/O. It is not safe for
// concurrent use (the coordinator holds a lock around it).
type Classic struct {
	ID     string
	limits Limits

	state        State
	stateTime    time.Time
	generation   int32
	protocolType string
	protocol     string
	leader       string
	members      map[string]*Member
	static       map[string]string    // instance id → member id
	pending      map[string]time.Time // ids handed out with MEMBER_ID_REQUIRED → expiry

	// rebalanceDeadline ends PreparingRebalance (members that did not
	// rejoin are removed) or CompletingRebalance (members that did not
	// sync are removed).
	rebalanceDeadline time.Time
	// delayUntil holds the first rebalance of an empty group back
	// (group.initial.rebalance.delay.ms).
	delayUntil time.Time
}

// NewClassic returns an empty group.
func NewClassic(id string, limits Limits, now time.Time) *Classic {
	return &Classic{
		ID: id, limits: limits, state: Empty, stateTime: now,
		members: map[string]*Member{}, static: map[string]string{}, pending: map[string]time.Time{},
	}
}

// SetLimits updates the broker settings (dynamic configs).
func (g *Classic) SetLimits(l Limits) { g.limits = l }

// State returns the group's state.
func (g *Classic) State() State { return g.state }

// StateTime is when the group entered its state.
func (g *Classic) StateTime() time.Time { return g.stateTime }

// Generation returns the current generation.
func (g *Classic) Generation() int32 { return g.generation }

// ProtocolType returns the members' protocol type ("consumer"), "" when
// the group has never had a member.
func (g *Classic) ProtocolType() string { return g.protocolType }

// Protocol returns the selected protocol (assignor).
func (g *Classic) Protocol() string { return g.protocol }

// Leader returns the leader's member id.
func (g *Classic) Leader() string { return g.leader }

// Members returns the members, sorted by id. The caller must not modify
// them.
func (g *Classic) Members() []*Member {
	out := make([]*Member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Size returns the number of members.
func (g *Classic) Size() int { return len(g.members) }

// IsEmpty reports whether the group has no member.
func (g *Classic) IsEmpty() bool { return g.state == Empty || g.state == Dead }

func (g *Classic) transition(s State, now time.Time) {
	g.state = s
	g.stateTime = now
}

// supports reports whether a member with these protocols may join: the
// type must match and at least one protocol must be supported by every
// member.
func (g *Classic) supports(protocolType string, protocols []Protocol, self string) bool {
	if protocolType == "" || len(protocols) == 0 {
		return false
	}
	others := 0
	for id := range g.members {
		if id != self {
			others++
		}
	}
	if others == 0 {
		return true
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range protocols {
		if g.supportedByAll(p.Name, self) {
			return true
		}
	}
	return false
}

func (g *Classic) supportedByAll(name, except string) bool {
	for id, m := range g.members {
		if id == except {
			continue
		}
		if !slices.ContainsFunc(m.Protocols, func(p Protocol) bool { return p.Name == name }) {
			return false
		}
	}
	return true
}

// selectProtocol picks the protocol every member supports with the most
// votes, each member voting for the first candidate in its own order;
// ties go to the leader's preference.
func (g *Classic) selectProtocol() string {
	votes := map[string]int{}
	for _, m := range g.members {
		for _, p := range m.Protocols {
			if g.supportedByAll(p.Name, "") {
				votes[p.Name]++
				break
			}
		}
	}
	best, bestVotes := "", -1
	order := g.members[g.leader]
	if order == nil {
		return ""
	}
	for _, p := range order.Protocols {
		if v, ok := votes[p.Name]; ok && v > bestVotes {
			best, bestVotes = p.Name, v
		}
	}
	return best
}

func sameProtocols(a, b []Protocol) bool {
	return slices.EqualFunc(a, b, func(x, y Protocol) bool {
		return x.Name == y.Name && string(x.Metadata) == string(y.Metadata)
	})
}

func errJoin(err *kerr.Error, memberID string) *JoinResponse {
	return &JoinResponse{Err: err.Code, Generation: -1, MemberID: memberID}
}

// joinResponse is the current generation's answer for member m.
func (g *Classic) joinResponse(m *Member) JoinResponse {
	r := JoinResponse{
		Generation: g.generation, ProtocolType: g.protocolType, Protocol: g.protocol,
		Leader: g.leader, MemberID: m.ID,
	}
	if m.ID == g.leader {
		for _, o := range g.Members() {
			r.Members = append(r.Members, MemberMetadata{MemberID: o.ID, InstanceID: o.InstanceID, Metadata: o.metadataFor(g.protocol)})
		}
	}
	return r
}
