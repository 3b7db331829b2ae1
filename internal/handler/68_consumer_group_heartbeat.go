package handler

// ConsumerGroupHeartbeat (key 68), KIP-848
//
//	v0: group, member id (server-generated on the first join), member
//	    epoch, instance id, rack, rebalance timeout, subscribed topic
//	    names, server assignor, owned partitions by topic id; the response
//	    carries the member id, epoch, heartbeat interval and the
//	    assignment when it changed
//	v1: the client generates its member id (KIP-1082); subscribed topic
//	    regex (KIP-848's regex subscriptions)
//
// The group logic is group.Consumer; this file only translates.

import (
	"bytes"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func (h *handlers) consumerGroupHeartbeat(r *Request) Reply {
	req := r.Msg.(*kmsg.ConsumerGroupHeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	resp.SetVersion(r.Version)
	gr := group.ConsumerHeartbeatRequest{
		Version: r.Version, MemberID: req.MemberID, MemberEpoch: req.MemberEpoch,
		InstanceID: req.InstanceID, RackID: req.RackID, RebalanceTimeoutMs: req.RebalanceTimeoutMillis,
		SubscribedTopicNames: req.SubscribedTopicNames, SubscribedTopicRegex: req.SubscribedTopicRegex,
		ServerAssignor: req.ServerAssignor, ClientID: r.ClientID, ClientHost: clientHost(r.ClientAddr),
	}
	if req.Topics != nil {
		gr.OwnedSent, gr.Owned = true, group.Assignment{}
		for _, t := range req.Topics {
			gr.Owned[t.TopicID] = append(gr.Owned[t.TopicID], t.Partitions...)
		}
		// A member is told partitions by topic id; ids it sends of
		// topics deleted since are harmless (they match nothing).
		gr.Owned = normalizeOwned(gr.Owned)
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	gresp := h.env.Groups.ConsumerHeartbeat(ctx, req.Group, gr)
	resp.ErrorCode, resp.MemberEpoch = gresp.Err, gresp.MemberEpoch
	if gresp.ErrMessage != "" {
		msg := gresp.ErrMessage
		resp.ErrorMessage = &msg
	}
	if gresp.Err != 0 {
		return Now(resp)
	}
	id := gresp.MemberID
	resp.MemberID = &id
	resp.HeartbeatIntervalMillis = int32(gresp.HeartbeatInterval.Milliseconds())
	if gresp.HasAssignment {
		a := kmsg.NewConsumerGroupHeartbeatResponseAssignment()
		a.Topics = []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{}
		for _, t := range sortedTopicIDs(gresp.Assignment) {
			at := kmsg.NewConsumerGroupHeartbeatResponseAssignmentTopic()
			at.TopicID, at.Partitions = t, gresp.Assignment[t]
			a.Topics = append(a.Topics, at)
		}
		resp.Assignment = &a
	}
	return Now(resp)
}

// normalizeOwned sorts and deduplicates owned partitions.
func normalizeOwned(a group.Assignment) group.Assignment {
	for t, ps := range a {
		slices.Sort(ps)
		a[t] = slices.Compact(ps)
	}
	return a
}

// sortedTopicIDs returns an assignment's topic ids in byte order, so
// responses are deterministic.
func sortedTopicIDs(a group.Assignment) []group.TopicID {
	ids := make([]group.TopicID, 0, len(a))
	for t := range a {
		ids = append(ids, t)
	}
	slices.SortFunc(ids, func(x, y group.TopicID) int { return bytes.Compare(x[:], y[:]) })
	return ids
}
