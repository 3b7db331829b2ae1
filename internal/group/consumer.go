package group

import (
	"slices"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TypeConsumer is the group type of KIP-848 ("consumer" protocol) groups
// in ListGroups (v5+).
const TypeConsumer = "consumer"

// Member epochs with a meaning in ConsumerGroupHeartbeat.
const (
	// EpochJoin (0) joins or rejoins the group.
	EpochJoin = 0
	// EpochLeave (-1) leaves the group.
	EpochLeave = -1
	// EpochLeaveStatic (-2) is a static member leaving temporarily: it
	// keeps its partitions until its session expires or a new member
	// with the same instance id replaces it.
	EpochLeaveStatic = -2
)

// TopicID is a topic's UUID; consumer groups name topics by id on the
// wire.
type TopicID = [16]byte

// TopicMeta is one topic a consumer group may subscribe to.
type TopicMeta struct {
	Name       string
	ID         TopicID
	Partitions int32
}

// TopicSnapshot is the cluster's topics as of one metadata image, the
// input the state machine resolves subscriptions against. Version changes
// whenever the topics may have changed (a new image); the state machine
// recomputes what its members subscribe to only then.
type TopicSnapshot struct {
	Version uint64
	ByName  map[string]TopicMeta
	ByID    map[TopicID]TopicMeta
	Names   []string // sorted
}

// NewTopicSnapshot builds a snapshot from topics.
func NewTopicSnapshot(version uint64, topics []TopicMeta) *TopicSnapshot {
	s := &TopicSnapshot{Version: version, ByName: map[string]TopicMeta{}, ByID: map[TopicID]TopicMeta{}}
	for _, t := range topics {
		s.ByName[t.Name] = t
		s.ByID[t.ID] = t
		s.Names = append(s.Names, t.Name)
	}
	sort.Strings(s.Names)
	return s
}

// Assignment is a set of partitions by topic id; partition lists are
// sorted and hold no duplicates.
type Assignment map[TopicID][]int32

func (a Assignment) clone() Assignment {
	out := make(Assignment, len(a))
	for t, ps := range a {
		out[t] = slices.Clone(ps)
	}
	return out
}

func (a Assignment) count() int {
	n := 0
	for _, ps := range a {
		n += len(ps)
	}
	return n
}

func (a Assignment) has(t TopicID, p int32) bool {
	_, ok := slices.BinarySearch(a[t], p)
	return ok
}

func (a Assignment) add(t TopicID, p int32) {
	ps := a[t]
	i, ok := slices.BinarySearch(ps, p)
	if !ok {
		a[t] = slices.Insert(ps, i, p)
	}
}

// equal reports whether a and b hold the same partitions (empty topics
// ignored).
func (a Assignment) equal(b Assignment) bool {
	if a.count() != b.count() {
		return false
	}
	for t, ps := range a {
		if !slices.Equal(ps, b[t]) && len(ps) > 0 {
			return false
		}
	}
	return true
}

// subsetOf reports whether every partition of a is in b.
func (a Assignment) subsetOf(b Assignment) bool {
	for t, ps := range a {
		for _, p := range ps {
			if !b.has(t, p) {
				return false
			}
		}
	}
	return true
}

// intersects reports whether a and b share a partition.
func (a Assignment) intersects(b Assignment) bool {
	for t, ps := range a {
		for _, p := range ps {
			if b.has(t, p) {
				return true
			}
		}
	}
	return false
}

// normalize sorts and deduplicates partition lists and drops empty
// topics.
func (a Assignment) normalize() Assignment {
	for t, ps := range a {
		slices.Sort(ps)
		ps = slices.Compact(ps)
		if len(ps) == 0 {
			delete(a, t)
			continue
		}
		a[t] = ps
	}
	return a
}

// MemberState is where a consumer group member is in reconciling its
// assignment with its target, as Kafka names it.
type MemberState int8

// The member states of Kafka's CurrentAssignmentBuilder.
const (
	// MemberStable: the member owns its target assignment.
	MemberStable MemberState = iota
	// MemberUnrevokedPartitions: the member must revoke partitions
	// before it gets new ones; its epoch does not move until it does.
	MemberUnrevokedPartitions
	// MemberUnreleasedPartitions: the member has its new epoch but
	// waits for partitions other members still own.
	MemberUnreleasedPartitions
)

var memberStateNames = [...]string{"stable", "unrevoked_partitions", "unreleased_partitions"}

func (s MemberState) String() string {
	if int(s) < len(memberStateNames) {
		return memberStateNames[s]
	}
	return "unknown"
}

// ConsumerMember is one member of a consumer-protocol group.
type ConsumerMember struct {
	ID               string
	InstanceID       string // "" = dynamic member
	RackID           string
	ClientID         string
	ClientHost       string
	RebalanceTimeout time.Duration
	SubscribedTopics []string // sorted
	SubscribedRegex  string   // "" = none
	ServerAssignor   string   // "" = the group's default

	Epoch         int32
	PreviousEpoch int32
	State         MemberState
	// Assigned is what the member owns (or may take) now; Pending is
	// what it still owns but must revoke.
	Assigned Assignment
	Pending  Assignment

	sessionDeadline time.Time
	// revokeDeadline fences a member that does not revoke its
	// partitions within its rebalance timeout.
	revokeDeadline time.Time
}

// ConsumerLimits are the broker settings a consumer group obeys.
type ConsumerLimits struct {
	SessionTimeout    time.Duration // group.consumer.session.timeout.ms
	HeartbeatInterval time.Duration // group.consumer.heartbeat.interval.ms
	Assignors         []string      // group.consumer.assignors; the first is the default
	MaxSize           int           // group.max.size; 0 = unlimited
}

// Consumer is one KIP-848 consumer group: Kafka's group epoch, target
// assignment and per-member reconciliation as a pure value. Like
// Classic, every method takes the current time; it starts no goroutine,
// reads no clock and does no I/O, and it is not safe for concurrent use.
type Consumer struct {
	ID     string
	limits ConsumerLimits

	epoch           int32 // group epoch: bumped when members or subscriptions change
	assignmentEpoch int32 // epoch of the target assignment
	stateTime       time.Time
	members         map[string]*ConsumerMember
	static          map[string]string // instance id → member id
	target          map[string]Assignment

	// owners maps each owned partition (assigned or pending
	// revocation) to its member: a partition is given to a new member
	// only once no other member owns it.
	owners map[TopicID]map[int32]string

	// subscribed is the partition count of every topic a member
	// subscribes to, as of topicsVersion; a change bumps the epoch.
	subscribed      map[TopicID]int32
	subscribedNames map[TopicID]string // the names of subscribed, for the stored record
	topicsVersion   uint64
	topicsSeen      bool
}

// NewConsumer returns an empty consumer group.
func NewConsumer(id string, limits ConsumerLimits, now time.Time) *Consumer {
	return &Consumer{
		ID: id, limits: limits, stateTime: now,
		members: map[string]*ConsumerMember{}, static: map[string]string{},
		target: map[string]Assignment{}, owners: map[TopicID]map[int32]string{},
		subscribed: map[TopicID]int32{}, subscribedNames: map[TopicID]string{},
	}
}

// SetLimits updates the broker settings (dynamic configs).
func (g *Consumer) SetLimits(l ConsumerLimits) { g.limits = l }

// Epoch returns the group epoch.
func (g *Consumer) Epoch() int32 { return g.epoch }

// AssignmentEpoch returns the epoch of the target assignment.
func (g *Consumer) AssignmentEpoch() int32 { return g.assignmentEpoch }

// StateTime is when the group last changed its membership.
func (g *Consumer) StateTime() time.Time { return g.stateTime }

// Size returns the number of members.
func (g *Consumer) Size() int { return len(g.members) }

// IsEmpty reports whether the group has no member.
func (g *Consumer) IsEmpty() bool { return len(g.members) == 0 }

// Member returns a member by id (nil if unknown). The caller must not
// modify it.
func (g *Consumer) Member(id string) *ConsumerMember { return g.members[id] }

// Target returns a member's target assignment. The caller must not
// modify it.
func (g *Consumer) Target(id string) Assignment { return g.target[id] }

// Members returns the members sorted by id. The caller must not modify
// them.
func (g *Consumer) Members() []*ConsumerMember {
	out := make([]*ConsumerMember, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// State returns the group's state as Kafka names it: Empty without
// members, Assigning while the target assignment lags the group epoch,
// Reconciling while a member has not reached it, else Stable.
func (g *Consumer) State() State {
	switch {
	case len(g.members) == 0:
		return Empty
	case g.assignmentEpoch != g.epoch:
		return Assigning
	}
	for _, m := range g.members {
		if m.Epoch != g.assignmentEpoch || m.State != MemberStable {
			return Reconciling
		}
	}
	return Stable
}

// Assignor returns the assignor the group uses: the one most members ask
// for (ties to the configured order), else the first configured.
func (g *Consumer) Assignor() string {
	votes := map[string]int{}
	for _, m := range g.members {
		if m.ServerAssignor != "" {
			votes[m.ServerAssignor]++
		}
	}
	best, bestVotes := "", 0
	for _, a := range g.limits.Assignors {
		if votes[a] > bestVotes {
			best, bestVotes = a, votes[a]
		}
	}
	if best == "" && len(g.limits.Assignors) > 0 {
		best = g.limits.Assignors[0]
	}
	return best
}

// owner returns the member owning a partition ("" if free).
func (g *Consumer) owner(t TopicID, p int32) string { return g.owners[t][p] }

// setOwned records that m owns its Assigned and Pending partitions
// (after clearing what it owned before).
func (g *Consumer) setOwned(m *ConsumerMember) {
	g.clearOwned(m)
	for _, a := range []Assignment{m.Assigned, m.Pending} {
		for t, ps := range a {
			if g.owners[t] == nil {
				g.owners[t] = map[int32]string{}
			}
			for _, p := range ps {
				g.owners[t][p] = m.ID
			}
		}
	}
}

// clearOwned frees every partition m owns.
func (g *Consumer) clearOwned(m *ConsumerMember) {
	for t, ps := range g.owners {
		for p, id := range ps {
			if id == m.ID {
				delete(ps, p)
			}
		}
		if len(ps) == 0 {
			delete(g.owners, t)
		}
	}
}

// NextDeadline returns when Tick next has something to do; zero if
// nothing is scheduled.
func (g *Consumer) NextDeadline() time.Time {
	var next time.Time
	for _, m := range g.members {
		for _, t := range []time.Time{m.sessionDeadline, m.revokeDeadline} {
			if !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
	}
	return next
}

// Tick removes members whose session expired or who did not revoke
// partitions within their rebalance timeout (Kafka fences both). Store
// is set when a member was removed.
func (g *Consumer) Tick(now time.Time) Output {
	var out Output
	for _, m := range g.Members() {
		expired := !m.sessionDeadline.IsZero() && !now.Before(m.sessionDeadline)
		slow := !m.revokeDeadline.IsZero() && !now.Before(m.revokeDeadline)
		if expired || slow {
			g.removeMember(now, m)
			out.Store = true
		}
	}
	return out
}

// removeMember fences a member: its partitions are freed, its target is
// dropped and the group epoch is bumped so the others get a new target.
func (g *Consumer) removeMember(now time.Time, m *ConsumerMember) {
	g.clearOwned(m)
	delete(g.members, m.ID)
	delete(g.target, m.ID)
	if m.InstanceID != "" && g.static[m.InstanceID] == m.ID {
		delete(g.static, m.InstanceID)
	}
	g.epoch++
	g.stateTime = now
	if len(g.members) == 0 {
		// Nothing to assign: the (empty) target is current.
		g.assignmentEpoch = g.epoch
		g.subscribed, g.subscribedNames = map[TopicID]int32{}, map[TopicID]string{}
		g.topicsSeen = false
	}
}

// ValidateCommit checks an OffsetCommit to a consumer group, as Kafka
// does: a commit with a negative epoch is a simple (admin) commit,
// allowed only while the group is empty; otherwise the member must exist,
// use OffsetCommit v9+ and send its current member epoch
// (STALE_MEMBER_EPOCH otherwise).
func (g *Consumer) ValidateCommit(memberID string, epoch int32, version int16) int16 {
	if epoch < 0 && len(g.members) == 0 {
		return 0
	}
	m := g.members[memberID]
	switch {
	case m == nil:
		return kerr.UnknownMemberID.Code
	case version < 9:
		return kerr.UnsupportedVersion.Code
	case epoch != m.Epoch:
		return kerr.StaleMemberEpoch.Code
	}
	return 0
}

// SubscribedTopics returns the names of the topics the members subscribe
// to (by name or regex) that exist in topics.
func (g *Consumer) SubscribedTopics(topics *TopicSnapshot) map[string]bool {
	out := map[string]bool{}
	regexes := map[string][]string{}
	for _, m := range g.members {
		for _, n := range m.SubscribedTopics {
			out[n] = true
		}
		for _, t := range memberTopics(m, topics, regexes) {
			out[t.Name] = true
		}
	}
	return out
}
