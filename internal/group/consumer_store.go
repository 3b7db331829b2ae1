package group

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"
)

// consumerRecord is one decoded consumer group record: its key, its
// decoded value (a *cg… type of consumer_codec.go; nil = tombstone) and
// the value's bytes.
type consumerRecord struct {
	key   consumerKey
	value any
	raw   []byte
}

// consumerImage is a consumer group as records: encoded key → live
// record. The coordinator keeps, per group, the image last written, and
// writes the difference to the group's current image after every change.
type consumerImage map[string]*consumerRecord

// consumerImages are the consumer groups of a partition being replayed.
type consumerImages map[string]consumerImage

func decodeConsumerRecord(key, value []byte) (decoded, error) {
	k, err := decodeConsumerKey(key)
	if err != nil {
		return decoded{}, err
	}
	r := &consumerRecord{key: k}
	if value != nil {
		v, err := decodeConsumerValue(k.version, value)
		if err != nil {
			return decoded{}, err
		}
		r.value, r.raw = v, value
	}
	return decoded{group: k.group, cg: r}, nil
}

// replay applies one replayed record and reports whether it was a
// consumer group record. A tombstone deletes its key; the group is gone
// when no live record is left. A classic group's metadata (not a
// tombstone) ends a consumer group of the same id replayed before it:
// the group became a classic one.
func (imgs consumerImages) replay(d decoded) bool {
	if d.cg == nil {
		if !d.isOffset && d.meta != nil {
			delete(imgs, d.group)
		}
		return false
	}
	k := string(d.cg.key.encode())
	img := imgs[d.group]
	if d.cg.value == nil {
		delete(img, k)
		if len(img) == 0 {
			delete(imgs, d.group)
		}
		return true
	}
	if img == nil {
		img = consumerImage{}
		imgs[d.group] = img
	}
	img[k] = d.cg
	return true
}

// consumerRecords encodes the group's whole state as records: group
// epoch (3), subscribed topics (4), each member's subscription (5) and
// current assignment (8), each target assignment (7) and the assignment
// epoch (6).
func consumerRecords(g *Consumer) consumerImage {
	img := consumerImage{}
	put := func(version int16, member string, v any) {
		k := consumerKey{version: version, group: g.ID, member: member}
		img[string(k.encode())] = &consumerRecord{key: k, value: v, raw: encodeConsumerValue(v)}
	}
	put(keyConsumerGroupMetadata, "", &cgMetadata{Epoch: g.epoch})
	topics := &cgPartitionMetadata{}
	for id, n := range g.subscribed {
		topics.Topics = append(topics.Topics, cgTopic{ID: id, Name: g.subscribedNames[id], Partitions: n})
	}
	slices.SortFunc(topics.Topics, func(a, b cgTopic) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	put(keyConsumerPartitionMetadata, "", topics)
	for _, m := range g.members {
		put(keyConsumerMemberMetadata, m.ID, memberValue(m))
		put(keyConsumerCurrentAssignment, m.ID, &cgCurrent{
			MemberEpoch: m.Epoch, PreviousMemberEpoch: m.PreviousEpoch, State: int8(m.State),
			Assigned: m.Assigned, PendingRevocation: m.Pending,
		})
	}
	for id, a := range g.target {
		put(keyConsumerTargetMember, id, &cgTargetMember{Partitions: a})
	}
	put(keyConsumerTargetMetadata, "", &cgTargetMetadata{AssignmentEpoch: g.assignmentEpoch})
	return img
}

func memberValue(m *ConsumerMember) *cgMember {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return &cgMember{
		InstanceID: opt(m.InstanceID), RackID: opt(m.RackID), ClientID: m.ClientID, ClientHost: m.ClientHost,
		SubscribedTopicNames: m.SubscribedTopics, SubscribedTopicRegex: opt(m.SubscribedRegex),
		RebalanceTimeoutMs: int32(m.RebalanceTimeout / time.Millisecond), ServerAssignor: opt(m.ServerAssignor),
	}
}

// restoreConsumer rebuilds a group from its records: group and
// assignment epochs, subscribed topics, members with their epochs,
// states and assignments, and targets. Every member's session starts
// now, and a member still revoking partitions gets its rebalance timeout
// anew. Records of a member without its subscription record (5) are
// ignored.
func restoreConsumer(id string, limits ConsumerLimits, img consumerImage, now time.Time) *Consumer {
	g := NewConsumer(id, limits, now)
	current := map[string]*cgCurrent{}
	targets := map[string]Assignment{}
	for _, r := range img {
		switch v := r.value.(type) {
		case *cgMetadata:
			g.epoch = v.Epoch
		case *cgTargetMetadata:
			g.assignmentEpoch = v.AssignmentEpoch
		case *cgPartitionMetadata:
			for _, t := range v.Topics {
				g.subscribed[t.ID] = t.Partitions
				g.subscribedNames[t.ID] = t.Name
			}
		case *cgMember:
			g.members[r.key.member] = restoreMember(r.key.member, v)
		case *cgTargetMember:
			targets[r.key.member] = v.Partitions.clone()
		case *cgCurrent:
			current[r.key.member] = v
		}
	}
	for _, m := range g.members {
		if cur := current[m.ID]; cur != nil {
			m.Epoch, m.PreviousEpoch, m.State = cur.MemberEpoch, cur.PreviousMemberEpoch, MemberState(cur.State)
			m.Assigned, m.Pending = cur.Assigned.clone(), cur.PendingRevocation.clone()
		}
		if t, ok := targets[m.ID]; ok {
			g.target[m.ID] = t
		}
		if m.InstanceID != "" {
			g.static[m.InstanceID] = m.ID
		}
		m.sessionDeadline = now.Add(limits.SessionTimeout)
		if m.State == MemberUnrevokedPartitions && m.RebalanceTimeout > 0 {
			m.revokeDeadline = now.Add(m.RebalanceTimeout)
		}
		g.setOwned(m)
	}
	return g
}

func restoreMember(id string, v *cgMember) *ConsumerMember {
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	m := &ConsumerMember{
		ID: id, InstanceID: str(v.InstanceID), RackID: str(v.RackID), ClientID: v.ClientID, ClientHost: v.ClientHost,
		SubscribedRegex: str(v.SubscribedTopicRegex), ServerAssignor: str(v.ServerAssignor),
		RebalanceTimeout: time.Duration(max(v.RebalanceTimeoutMs, 0)) * time.Millisecond,
		Assigned:         Assignment{}, Pending: Assignment{},
	}
	if len(v.SubscribedTopicNames) > 0 {
		m.SubscribedTopics = slices.Compact(slices.Sorted(slices.Values(v.SubscribedTopicNames)))
	}
	return m
}

// consumerDiff returns the records that turn the stored image from into
// to: tombstones for keys gone, then records new or changed, in the
// order Kafka writes them (a member's assignment, target and
// subscription tombstones before the group's; subscriptions and the
// group epoch before targets, targets before current assignments).
func consumerDiff(from, to consumerImage) []kv {
	type rec struct {
		rank int
		key  string
		kv   kv
	}
	var recs []rec
	for k, r := range from {
		if _, ok := to[k]; !ok {
			recs = append(recs, rec{tombstoneRank[r.key.version], k, kv{[]byte(k), nil}})
		}
	}
	for k, r := range to {
		if old, ok := from[k]; !ok || !bytes.Equal(old.raw, r.raw) {
			recs = append(recs, rec{10 + recordRank[r.key.version], k, kv{[]byte(k), r.raw}})
		}
	}
	slices.SortFunc(recs, func(a, b rec) int { return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.key, b.key)) })
	out := make([]kv, len(recs))
	for i, r := range recs {
		out[i] = r.kv
	}
	return out
}

// Write order by key version (index).
var (
	tombstoneRank = [9]int{8: 0, 7: 1, 5: 2, 6: 3, 4: 4, 3: 5}
	recordRank    = [9]int{5: 0, 4: 1, 3: 2, 7: 3, 6: 4, 8: 5}
)

// storeConsumer writes what changed in e's consumer group since it was
// last stored (none if e.c is nil: the group's records are deleted), as
// one batch, durable before it returns. A failed write puts the group
// back in its last stored state (an empty consumer group if none was
// stored; the request that changed it gets an error). e.mu must be held.
func (c *Coordinator) storeConsumer(e *entry) error {
	want := consumerImage{}
	if e.c != nil {
		want = consumerRecords(e.c)
	}
	recs := consumerDiff(e.cgStored, want)
	if len(recs) == 0 {
		return nil
	}
	if err := c.write(e, recs); err != nil {
		c.log.Error("storing consumer group failed; back to its last stored state", "group", e.id, "err", err)
		e.c = restoreConsumer(e.id, c.consumerLimits(), e.cgStored, c.now())
		return fmt.Errorf("store consumer group %s: %w", e.id, err)
	}
	e.cgStored = want
	return nil
}

// consumerTombstones are the tombstones deleting every stored record of
// e's consumer group (for DeleteGroups and offset expiry; the caller
// clears e.cgStored once they are written).
func consumerTombstones(e *entry) []kv { return consumerDiff(e.cgStored, nil) }

// tickConsumer expires members of e's consumer group whose session or
// revocation time ran out, and stores the result. e.mu must be held.
func (c *Coordinator) tickConsumer(e *entry, now time.Time) {
	if out := e.c.Tick(now); !out.Store {
		return
	}
	if err := c.storeConsumer(e); err != nil {
		c.log.Error("storing expired consumer group members failed", "group", e.id, "err", err)
	}
}

// dropConsumer turns e's empty consumer group into a classic one,
// deleting its consumer group records. e.mu must be held.
func (c *Coordinator) dropConsumer(e *entry) error {
	e.c = nil
	return c.storeConsumer(e)
}

// restoreConsumers attaches the consumer groups replayed from partition
// part to their entries (creating them). c.mu must be held.
func (c *Coordinator) restoreConsumers(part int32, imgs consumerImages, limits Limits, now time.Time) {
	cl := c.consumerLimits()
	for id, img := range imgs {
		e := c.mu.groups[id]
		if e == nil {
			e = newEntry(id, part, NewClassic(id, limits, now))
			c.mu.groups[id] = e
		}
		e.c = restoreConsumer(id, cl, img, now)
		e.cgStored = img
		c.alarm.Set(e.c.NextDeadline())
	}
}
