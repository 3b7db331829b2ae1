package group

import (
	"maps"
	"time"
)

// memberTopics returns the topics m subscribes to: its topic names that
// exist plus every topic its regex matches.
func memberTopics(m *ConsumerMember, topics *TopicSnapshot, regexes map[string][]string) []TopicMeta {
	seen := map[string]bool{}
	var out []TopicMeta
	for _, n := range m.SubscribedTopics {
		if t, ok := topics.ByName[n]; ok && !seen[n] {
			seen[n] = true
			out = append(out, t)
		}
	}
	if m.SubscribedRegex != "" {
		for _, n := range regexMatches(m.SubscribedRegex, topics, regexes) {
			if !seen[n] {
				seen[n] = true
				out = append(out, topics.ByName[n])
			}
		}
	}
	return out
}

// regexMatches returns the topic names re matches, memoized in cache for
// one computation.
func regexMatches(re string, topics *TopicSnapshot, cache map[string][]string) []string {
	if names, ok := cache[re]; ok {
		return names
	}
	var names []string
	if r, err := compileRegex(re); err == nil {
		for _, n := range topics.Names {
			if r.MatchString(n) {
				names = append(names, n)
			}
		}
	}
	cache[re] = names
	return names
}

// refreshSubscriptions recomputes the partition count of every topic a
// member subscribes to when the topics changed (or force), and reports
// whether that set changed: new topics matching a regex, new partitions
// and deleted topics all need a new target assignment.
func (g *Consumer) refreshSubscriptions(topics *TopicSnapshot, force bool) bool {
	if !force && g.topicsSeen && topics.Version == g.topicsVersion {
		return false
	}
	g.topicsVersion, g.topicsSeen = topics.Version, true
	sub, names := map[TopicID]int32{}, map[TopicID]string{}
	regexes := map[string][]string{}
	for _, m := range g.members {
		for _, t := range memberTopics(m, topics, regexes) {
			sub[t.ID], names[t.ID] = t.Partitions, t.Name
		}
	}
	if maps.Equal(sub, g.subscribed) {
		return false
	}
	g.subscribed, g.subscribedNames = sub, names
	return true
}

// computeTarget runs the group's assignor over every member and makes the
// result the target assignment of the current group epoch.
func (g *Consumer) computeTarget(topics *TopicSnapshot) {
	regexes := map[string][]string{}
	specs := make([]assignSpec, 0, len(g.members))
	for _, m := range g.Members() {
		specs = append(specs, assignSpec{member: m.ID, topics: memberTopics(m, topics, regexes), previous: g.target[m.ID]})
	}
	var target map[string]Assignment
	if g.Assignor() == "range" {
		target = assignRange(specs)
	} else {
		target = assignUniform(specs)
	}
	g.target = target
	g.assignmentEpoch = g.epoch
}

// reconcile moves m towards its target assignment (Kafka's
// CurrentAssignmentBuilder). owned is what the member says it owns; nil
// means it did not say (it is assumed to still own everything).
func (g *Consumer) reconcile(now time.Time, m *ConsumerMember, owned Assignment) {
	switch m.State {
	case MemberStable:
		if m.Epoch != g.assignmentEpoch {
			g.nextAssignment(now, m, owned)
		}
	case MemberUnrevokedPartitions:
		if owned != nil && !owned.intersects(m.Pending) {
			g.nextAssignment(now, m, owned)
		}
	case MemberUnreleasedPartitions:
		g.nextAssignment(now, m, owned)
	}
}

// nextAssignment is one reconciliation step. Partitions the member must
// give up are revoked first: while it still owns them it keeps its epoch
// and gets only what it keeps. Then it moves to the target epoch and
// gets every target partition no other member owns; the others stay
// withheld (MemberUnreleasedPartitions) until their owner revokes them.
func (g *Consumer) nextAssignment(now time.Time, m *ConsumerMember, owned Assignment) {
	target := g.target[m.ID]
	keep, revoke, newly := Assignment{}, Assignment{}, Assignment{}
	for t, ps := range m.Assigned {
		for _, p := range ps {
			if target.has(t, p) {
				keep.add(t, p)
			} else {
				revoke.add(t, p)
			}
		}
	}
	unreleased := false
	for t, ps := range target {
		for _, p := range ps {
			if m.Assigned.has(t, p) {
				continue
			}
			if o := g.owner(t, p); o == "" || o == m.ID {
				newly.add(t, p)
			} else {
				unreleased = true
			}
		}
	}
	if len(revoke) > 0 && (owned == nil || owned.intersects(revoke)) {
		m.State = MemberUnrevokedPartitions
		m.Assigned, m.Pending = keep, revoke
		if m.RebalanceTimeout > 0 {
			m.revokeDeadline = now.Add(m.RebalanceTimeout)
		}
		g.setOwned(m)
		return
	}
	if m.Epoch != g.assignmentEpoch {
		m.PreviousEpoch, m.Epoch = m.Epoch, g.assignmentEpoch
	}
	for t, ps := range newly {
		for _, p := range ps {
			keep.add(t, p)
		}
	}
	m.Assigned, m.Pending = keep, Assignment{}
	m.State = MemberStable
	if unreleased {
		m.State = MemberUnreleasedPartitions
	}
	m.revokeDeadline = time.Time{}
	g.setOwned(m)
}
