package handler

// ConsumerGroupDescribe (key 69), KIP-848
//
//	v0: group ids in; state, group epoch, assignment epoch, assignor and
//	    members (epoch, subscription, current and target assignment by
//	    topic id and name) out
//	v1: member type per member (KIP-1099: 1 = consumer protocol)
//
// A missing group, or a classic one, answers GROUP_ID_NOT_FOUND.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

// memberTypeConsumer is ConsumerGroupDescribe v1's member type of a
// member that speaks the consumer protocol (0 would be classic).
const memberTypeConsumer = 1

func (h *handlers) consumerGroupDescribe(r *Request) Reply {
	req := r.Msg.(*kmsg.ConsumerGroupDescribeRequest)
	resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
	resp.SetVersion(r.Version)
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	for _, id := range req.Groups {
		d := h.env.Groups.ConsumerDescribe(ctx, id)
		rg := kmsg.NewConsumerGroupDescribeResponseGroup()
		rg.Group, rg.ErrorCode, rg.State = id, d.Err, d.State.String()
		if d.ErrMessage != "" {
			msg := d.ErrMessage
			rg.ErrorMessage = &msg
		}
		rg.Epoch, rg.AssignmentEpoch, rg.AssignorName = d.Epoch, d.AssignmentEpoch, d.Assignor
		if req.IncludeAuthorizedOperations {
			// Without ACLs every operation on a group is allowed:
			// READ(3), DELETE(6), DESCRIBE(8) as a bit field.
			rg.AuthorizedOperations = 1<<3 | 1<<6 | 1<<8
		}
		for _, m := range d.Members {
			rg.Members = append(rg.Members, h.describedConsumerMember(m))
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return Now(resp)
}

func (h *handlers) describedConsumerMember(m group.ConsumerMemberDescription) kmsg.ConsumerGroupDescribeResponseGroupMember {
	rm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
	rm.MemberID, rm.MemberEpoch, rm.ClientID, rm.ClientHost = m.ID, m.Epoch, m.ClientID, m.ClientHost
	rm.MemberType = memberTypeConsumer
	if m.InstanceID != "" {
		s := m.InstanceID
		rm.InstanceID = &s
	}
	if m.RackID != "" {
		s := m.RackID
		rm.RackID = &s
	}
	rm.SubscribedTopics = append([]string{}, m.SubscribedTopics...)
	if m.SubscribedRegex != "" {
		s := m.SubscribedRegex
		rm.SubscribedTopicRegex = &s
	}
	// The current assignment includes partitions pending revocation,
	// as Kafka's describe does.
	current := group.Assignment{}
	for _, a := range []group.Assignment{m.Assigned, m.Pending} {
		for t, ps := range a {
			current[t] = append(current[t], ps...)
		}
	}
	rm.Assignment = h.describedAssignment(normalizeOwned(current))
	rm.TargetAssignment = h.describedAssignment(m.Target)
	return rm
}

func (h *handlers) describedAssignment(a group.Assignment) kmsg.Assignment {
	out := kmsg.Assignment{TopicPartitions: []kmsg.AssignmentTopicPartition{}}
	img := h.image()
	for _, id := range sortedTopicIDs(a) {
		tp := kmsg.AssignmentTopicPartition{TopicID: id, Partitions: a[id]}
		if t := img.TopicByID(id); t != nil {
			tp.Topic = t.Name
		}
		out.TopicPartitions = append(out.TopicPartitions, tp)
	}
	return out
}
