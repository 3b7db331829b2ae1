package group

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// MaxMetadataBytes is offset.metadata.max.bytes: the largest commit
// metadata string accepted.
const MaxMetadataBytes = 4096

// CommitPartition is one partition of an OffsetCommit.
type CommitPartition struct {
	Topic       string
	Partition   int32
	Offset      int64
	LeaderEpoch int32
	Metadata    *string
}

// CommitRequest is an OffsetCommit request.
type CommitRequest struct {
	Group      string
	MemberID   string
	InstanceID string
	Generation int32
	Version    int16
	Partitions []CommitPartition
	// TopicExists reports whether a topic has the partition (commits to
	// unknown partitions fail with UNKNOWN_TOPIC_OR_PARTITION).
	TopicExists func(topic string, partition int32) bool
}

// Commit handles OffsetCommit and returns one error code per partition.
// Accepted commits are durable in __consumer_offsets before it returns.
func (c *Coordinator) Commit(ctx context.Context, req CommitRequest) []int16 {
	codes := make([]int16, len(req.Partitions))
	all := func(code int16) []int16 {
		for i := range codes {
			codes[i] = code
		}
		return codes
	}
	if req.Group == "" {
		return all(kerr.InvalidGroupID.Code)
	}
	simple := req.Generation < 0
	e, err := c.lookup(ctx, req.Group, simple)
	if err != nil {
		return all(c.ErrCode("OffsetCommit", err))
	}
	if e == nil {
		if req.Version >= 9 {
			return all(kerr.GroupIDNotFound.Code)
		}
		return all(kerr.IllegalGeneration.Code)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if e.c != nil {
		if code := e.c.ValidateCommit(req.MemberID, req.Generation, req.Version); code != 0 {
			return all(code)
		}
	} else if code := e.g.ValidateCommit(now, req.MemberID, req.InstanceID, req.Generation); code != 0 {
		return all(code)
	}
	c.alarm.Set(e.g.NextDeadline())
	var recs []kv
	var idx []int
	for i, p := range req.Partitions {
		switch {
		case p.Metadata != nil && len(*p.Metadata) > MaxMetadataBytes:
			codes[i] = kerr.OffsetMetadataTooLarge.Code
		case req.TopicExists != nil && !req.TopicExists(p.Topic, p.Partition):
			codes[i] = kerr.UnknownTopicOrPartition.Code
		default:
			o := Offset{Offset: p.Offset, LeaderEpoch: p.LeaderEpoch, CommitTime: now}
			if p.Metadata != nil {
				o.Metadata = *p.Metadata
			}
			recs = append(recs, kv{offsetKey(req.Group, p.Topic, p.Partition), offsetValue(o)})
			idx = append(idx, i)
		}
	}
	if err := c.write(e, recs); err != nil {
		code := c.ErrCode("OffsetCommit", err)
		for _, i := range idx {
			codes[i] = code
		}
		return codes
	}
	for _, i := range idx {
		p := req.Partitions[i]
		o := Offset{Offset: p.Offset, LeaderEpoch: p.LeaderEpoch, CommitTime: now}
		if p.Metadata != nil {
			o.Metadata = *p.Metadata
		}
		e.setOffset(p.Topic, p.Partition, o)
	}
	return codes
}

func (e *entry) setOffset(topic string, partition int32, o Offset) {
	if e.offsets[topic] == nil {
		e.offsets[topic] = map[int32]Offset{}
	}
	e.offsets[topic][partition] = o
}

func (e *entry) deleteOffset(topic string, partition int32) {
	delete(e.offsets[topic], partition)
	if len(e.offsets[topic]) == 0 {
		delete(e.offsets, topic)
	}
}

// FetchTopic names the partitions of a topic whose offsets are wanted.
type FetchTopic struct {
	Topic      string
	Partitions []int32
}

// FetchedTopic is a topic's committed offsets; a partition with no commit
// has offset -1.
type FetchedTopic struct {
	Topic      string
	Partitions []FetchedPartition
}

// FetchedPartition is one partition's committed offset.
type FetchedPartition struct {
	Partition int32
	Offset
}

// Fetch handles OffsetFetch for one group: topics nil means every
// committed offset. An unknown group has no offsets and no error.
func (c *Coordinator) Fetch(ctx context.Context, group string, topics []FetchTopic) ([]FetchedTopic, int16) {
	e, err := c.lookup(ctx, group, false)
	if err != nil {
		return nil, c.ErrCode("OffsetFetch", err)
	}
	var stored map[string]map[int32]Offset
	if e != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
		stored = e.offsets
	}
	none := Offset{Offset: -1, LeaderEpoch: -1}
	if topics == nil {
		return fetchAll(stored), 0
	}
	out := make([]FetchedTopic, 0, len(topics))
	for _, t := range topics {
		ft := FetchedTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			o, ok := stored[t.Topic][p]
			if !ok {
				o = none
			}
			ft.Partitions = append(ft.Partitions, FetchedPartition{p, o})
		}
		out = append(out, ft)
	}
	return out, 0
}

func fetchAll(stored map[string]map[int32]Offset) []FetchedTopic {
	var out []FetchedTopic
	for _, t := range sortedKeys(stored) {
		ft := FetchedTopic{Topic: t}
		for _, p := range sortedKeys(stored[t]) {
			ft.Partitions = append(ft.Partitions, FetchedPartition{p, stored[t][p]})
		}
		out = append(out, ft)
	}
	return out
}

// DeleteOffsets handles OffsetDelete: a group-level error code, and one
// per partition. A partition of a topic the group's members subscribe to
// keeps its offset (GROUP_SUBSCRIBED_TO_TOPIC); one that exists reports
// false (UNKNOWN_TOPIC_OR_PARTITION).
func (c *Coordinator) DeleteOffsets(ctx context.Context, group string, topics []FetchTopic, exists func(string, int32) bool) (int16, [][]int16) {
	if group == "" {
		return kerr.InvalidGroupID.Code, nil
	}
	e, err := c.lookup(ctx, group, false)
	if err != nil {
		return c.ErrCode("OffsetDelete", err), nil
	}
	if e == nil {
		return kerr.GroupIDNotFound.Code, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.g.State() == Dead {
		return kerr.GroupIDNotFound.Code, nil
	}
	subscribed := e.subscribedTopics(c.topics)
	codes := make([][]int16, len(topics))
	var recs []kv
	type tp struct {
		t string
		p int32
	}
	var del []tp
	for i, t := range topics {
		codes[i] = make([]int16, len(t.Partitions))
		for j, p := range t.Partitions {
			if exists != nil && !exists(t.Topic, p) {
				codes[i][j] = kerr.UnknownTopicOrPartition.Code
				continue
			}
			if subscribed[t.Topic] {
				codes[i][j] = kerr.GroupSubscribedToTopic.Code
				continue
			}
			if _, ok := e.offsets[t.Topic][p]; ok {
				recs = append(recs, kv{offsetKey(group, t.Topic, p), nil})
				del = append(del, tp{t.Topic, p})
			}
		}
	}
	if err := c.write(e, recs); err != nil {
		return c.ErrCode("OffsetDelete", err), nil
	}
	for _, d := range del {
		e.deleteOffset(d.t, d.p)
	}
	return 0, codes
}

// subscribedTopics returns the topics the members of a consumer group
// subscribe to (nil for an empty or non-consumer group).
func (e *entry) subscribedTopics(topics func() *TopicSnapshot) map[string]bool {
	if e.c != nil {
		return e.c.SubscribedTopics(topics())
	}
	if e.g.IsEmpty() || e.g.ProtocolType() != "consumer" {
		return nil
	}
	out := map[string]bool{}
	for _, m := range e.g.members {
		for _, p := range m.Protocols {
			var meta kmsg.ConsumerMemberMetadata
			if err := meta.ReadFrom(p.Metadata); err != nil {
				continue // a client's opaque metadata: not a subscription
			}
			for _, t := range meta.Topics {
				out[t] = true
			}
		}
	}
	return out
}

// ExpireOffsets removes the offsets of empty groups older than
// offsets.retention.minutes (for a group that had members, counted from
// when it became empty; for a simple group, from each commit) and removes
// empty groups left without offsets. Tombstones are written first.
func (c *Coordinator) ExpireOffsets() {
	c.owner.LoadLed()
	retention := time.Duration(c.cfg.Broker().OffsetsRetentionMinutes) * time.Minute
	for _, e := range c.entries() {
		c.expireGroup(e, retention)
	}
}

func (c *Coordinator) expireGroup(e *entry, retention time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.g.State() != Empty || len(e.g.pending) > 0 || (e.c != nil && !e.c.IsEmpty()) {
		return
	}
	now := c.now()
	emptySince := e.g.StateTime()
	if e.c != nil {
		emptySince = e.c.StateTime()
	}
	var recs []kv
	type tp struct {
		t string
		p int32
	}
	var del []tp
	for t, ps := range e.offsets {
		for p, o := range ps {
			base := o.CommitTime
			if e.g.ProtocolType() != "" || e.c != nil {
				base = emptySince
			}
			if now.Sub(base) >= retention {
				recs = append(recs, kv{offsetKey(e.id, t, p), nil})
				del = append(del, tp{t, p})
			}
		}
	}
	gone := len(del) == countOffsets(e.offsets)
	if gone {
		recs = append(recs, consumerTombstones(e)...)
	}
	if gone && e.g.Generation() > 0 {
		recs = append(recs, kv{groupKey(e.id), nil})
	}
	if err := c.write(e, recs); err != nil {
		c.log.Error("expiring offsets failed", "group", e.id, "err", err)
		return
	}
	if gone {
		e.cgStored = nil
	}
	for _, d := range del {
		e.deleteOffset(d.t, d.p)
	}
	if len(del) > 0 {
		c.log.Info("expired offsets", "group", e.id, "partitions", len(del))
	}
	if len(e.offsets) == 0 {
		c.removeEntry(e)
	}
}

func countOffsets(m map[string]map[int32]Offset) int {
	n := 0
	for _, ps := range m {
		n += len(ps)
	}
	return n
}

// removeEntry marks an empty group dead and forgets it. e.mu is held; the
// coordinator's lock is taken after it only here, where no other lock
// order is possible (lookup never holds c.mu while locking an entry).
func (c *Coordinator) removeEntry(e *entry) {
	e.g.MarkDead(c.now())
	e.c = nil
	c.mu.Lock()
	if c.mu.groups[e.id] == e {
		delete(c.mu.groups, e.id)
	}
	c.mu.Unlock()
}
