package handler

// OffsetFetch (key 9)
//
//	v0: group, topics, partitions
//	v1: no change (offsets from Kafka rather than ZooKeeper)
//	v2: null topics means every committed offset; top-level error code
//	v3: throttle time
//	v4: no change
//	v5: leader epoch per partition (KIP-320)
//	v6: flexible
//	v7: require_stable: UNSTABLE_OFFSET_COMMIT for a partition while a
//	    transaction has uncommitted offsets for it (KIP-447)
//	v8: several groups per request (KIP-709)
//	v9: member id and epoch for KIP-848 groups
//
// An unknown group or partition answers offset -1 and no error.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func (h *handlers) offsetFetch(r *Request) Reply {
	req := r.Msg.(*kmsg.OffsetFetchRequest)
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	resp.SetVersion(r.Version)
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	if r.Version >= 8 {
		for _, g := range req.Groups {
			var topics []group.FetchTopic
			if g.Topics != nil {
				topics = []group.FetchTopic{}
				for _, t := range g.Topics {
					topics = append(topics, group.FetchTopic{Topic: t.Topic, Partitions: t.Partitions})
				}
			}
			fetched, code := h.env.Groups.Fetch(ctx, g.Group, topics)
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group, rg.ErrorCode = g.Group, code
			for _, ft := range fetched {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic = ft.Topic
				for _, fp := range ft.Partitions {
					rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					md := fp.Metadata
					rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata = fp.Partition, fp.Offset.Offset, fp.LeaderEpoch, &md
					if req.RequireStable && h.env.Groups.HasPendingTxn(g.Group, ft.Topic, fp.Partition) {
						rp.ErrorCode = kerr.UnstableOffsetCommit.Code
					}
					rt.Partitions = append(rt.Partitions, rp)
				}
				rg.Topics = append(rg.Topics, rt)
			}
			resp.Groups = append(resp.Groups, rg)
		}
		return Now(resp)
	}
	var topics []group.FetchTopic
	if req.Topics != nil || r.Version < 2 {
		topics = []group.FetchTopic{}
		for _, t := range req.Topics {
			topics = append(topics, group.FetchTopic{Topic: t.Topic, Partitions: t.Partitions})
		}
	}
	fetched, code := h.env.Groups.Fetch(ctx, req.Group, topics)
	resp.ErrorCode = code
	for _, ft := range fetched {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = ft.Topic
		for _, fp := range ft.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			md := fp.Metadata
			rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata = fp.Partition, fp.Offset.Offset, fp.LeaderEpoch, &md
			if r.Version < 2 {
				rp.ErrorCode = code
			}
			if req.RequireStable && h.env.Groups.HasPendingTxn(req.Group, ft.Topic, fp.Partition) {
				rp.ErrorCode = kerr.UnstableOffsetCommit.Code
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return Now(resp)
}
