package group

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// consumerLimits returns the broker settings of consumer groups.
func (c *Coordinator) consumerLimits() ConsumerLimits {
	b := c.cfg.Broker()
	assignors := b.GroupConsumerAssignors
	if len(assignors) == 0 {
		assignors = []string{"uniform", "range"}
	}
	session := time.Duration(b.GroupConsumerSessionTimeoutMs) * time.Millisecond
	if session <= 0 {
		session = 45 * time.Second
	}
	interval := time.Duration(b.GroupConsumerHeartbeatIntervalMs) * time.Millisecond
	if interval <= 0 {
		interval = 5 * time.Second
	}
	return ConsumerLimits{SessionTimeout: session, HeartbeatInterval: interval, Assignors: assignors, MaxSize: c.maxGroupSize(b)}
}

// Assignors returns the server-side assignors consumer groups may use.
func (c *Coordinator) Assignors() []string { return c.consumerLimits().Assignors }

// topics returns the cluster's topics as a snapshot, rebuilt when the
// metadata image changed.
func (c *Coordinator) topics() *TopicSnapshot {
	img := c.cfg.Meta.Image()
	c.snap.Lock()
	defer c.snap.Unlock()
	if c.snap.cur != nil && c.snap.offset == img.Offset {
		return c.snap.cur
	}
	metas := make([]TopicMeta, 0, len(img.Topics))
	for _, t := range img.Topics {
		metas = append(metas, TopicMeta{Name: t.Name, ID: t.ID, Partitions: int32(len(t.Partitions))})
	}
	c.snap.version++
	c.snap.offset = img.Offset
	c.snap.cur = NewTopicSnapshot(c.snap.version, metas)
	return c.snap.cur
}

// ConsumerHeartbeat handles ConsumerGroupHeartbeat (KIP-848). A join
// (epoch 0) creates the group, or turns an empty classic group into a
// consumer group; a classic group with members answers
// GROUP_ID_NOT_FOUND, as Kafka does when the online upgrade is off.
func (c *Coordinator) ConsumerHeartbeat(ctx context.Context, group string, req ConsumerHeartbeatRequest) ConsumerHeartbeatResponse {
	limits := c.consumerLimits()
	if r := ValidateConsumerHeartbeat(group, &req, limits.Assignors); r != nil {
		return *r
	}
	if req.MemberID == "" {
		req.NewMemberID = newMemberID(req.ClientID)
	}
	join := req.MemberEpoch == EpochJoin
	e, err := c.lookup(ctx, group, join)
	if err != nil {
		return ConsumerHeartbeatResponse{Err: c.ErrCode("ConsumerGroupHeartbeat", err), MemberEpoch: -1}
	}
	if e == nil {
		return unknownGroupMember(group)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if e.c == nil {
		switch {
		case e.g.State() == Dead:
			return hbErr(kerr.CoordinatorNotAvailable, "Group %s is being removed.", group)
		case e.g.State() != Empty || len(e.g.pending) > 0:
			return hbErr(kerr.GroupIDNotFound, "Group %s is not a consumer group.", group)
		case !join:
			return unknownGroupMember(group)
		}
		e.c = NewConsumer(group, limits, now)
	}
	e.c.SetLimits(limits)
	resp, _ := e.c.Heartbeat(now, req, c.topics())
	// Every change (membership, epochs, targets, a member's assignment)
	// is durable before the member hears of it, as in Kafka.
	if err := c.storeConsumer(e); err != nil {
		return ConsumerHeartbeatResponse{Err: c.ErrCode("ConsumerGroupHeartbeat", err), MemberEpoch: -1}
	}
	if e.c != nil {
		c.alarm.Set(e.c.NextDeadline())
	}
	return resp
}

// ConsumerDescription is a consumer group as ConsumerGroupDescribe shows
// it.
type ConsumerDescription struct {
	Err             int16
	ErrMessage      string
	State           State
	Epoch           int32
	AssignmentEpoch int32
	Assignor        string
	Members         []ConsumerMemberDescription
}

// ConsumerMemberDescription is one member of a ConsumerDescription.
type ConsumerMemberDescription struct {
	ConsumerMember
	Target Assignment
}

// ConsumerDescribe describes a consumer group (ConsumerGroupDescribe):
// GROUP_ID_NOT_FOUND when there is none or the group is a classic one.
func (c *Coordinator) ConsumerDescribe(ctx context.Context, group string) ConsumerDescription {
	e, err := c.lookup(ctx, group, false)
	if err != nil {
		return ConsumerDescription{Err: c.ErrCode("ConsumerGroupDescribe", err)}
	}
	notFound := ConsumerDescription{Err: kerr.GroupIDNotFound.Code, ErrMessage: fmt.Sprintf("Group %s not found.", group), State: Dead}
	if e == nil {
		return notFound
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		if e.g.State() == Dead {
			return notFound
		}
		notFound.ErrMessage = fmt.Sprintf("Group %s is not a consumer group.", group)
		return notFound
	}
	g := e.c
	d := ConsumerDescription{State: g.State(), Epoch: g.Epoch(), AssignmentEpoch: g.AssignmentEpoch(), Assignor: g.Assignor()}
	for _, m := range g.Members() {
		cm := *m
		cm.Assigned, cm.Pending = m.Assigned.clone(), m.Pending.clone()
		d.Members = append(d.Members, ConsumerMemberDescription{ConsumerMember: cm, Target: g.Target(m.ID).clone()})
	}
	return d
}

// unknownGroupMember answers a heartbeat or leave (epoch ≠ 0) to a group
// this coordinator does not know as a consumer group (deleted, expired,
// or written before Gregor stored consumer group state). Kafka answers
// GROUP_ID_NOT_FOUND there; UNKNOWN_MEMBER_ID is the error every client
// answers with a clean rejoin (GROUP_ID_NOT_FOUND is fatal to Java's
// consumer).
func unknownGroupMember(group string) ConsumerHeartbeatResponse {
	return hbErr(kerr.UnknownMemberID, "Consumer group %s has no such member (the coordinator does not know the group).", group)
}
