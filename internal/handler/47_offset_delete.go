package handler

// OffsetDelete (key 47)
//
//	v0: group, topics and partitions whose committed offsets to delete
//	    (KIP-496); a topic the group's members subscribe to keeps its
//	    offsets (GROUP_SUBSCRIBED_TO_TOPIC)

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func (h *handlers) offsetDelete(r *Request) Reply {
	req := r.Msg.(*kmsg.OffsetDeleteRequest)
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	resp.SetVersion(r.Version)
	topics := make([]group.FetchTopic, len(req.Topics))
	for i, t := range req.Topics {
		topics[i].Topic = t.Topic
		for _, p := range t.Partitions {
			topics[i].Partitions = append(topics[i].Partitions, p.Partition)
		}
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	top, codes := h.env.Groups.DeleteOffsets(ctx, req.Group, topics, h.partitionExists)
	resp.ErrorCode = top
	if top != 0 {
		return Now(resp)
	}
	for i, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for j, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = codes[i][j]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return Now(resp)
}
