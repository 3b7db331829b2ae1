package handler

// OffsetCommit (key 8)
//
//	v0: group, topics, partitions, offset, metadata
//	v1: generation, member id, per-partition commit timestamp
//	v2: retention time (ignored since Kafka 2.1: offsets.retention.minutes)
//	v3: throttle time
//	v4: no change
//	v5: no retention time
//	v6: leader epoch per partition (KIP-320)
//	v7: group instance id (KIP-345)
//	v8: flexible
//	v9: GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION for a missing
//	    group; member epoch for KIP-848 groups
//
// Commits are durable in __consumer_offsets before the response.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func (h *handlers) offsetCommit(r *Request) Reply {
	req := r.Msg.(*kmsg.OffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	resp.SetVersion(r.Version)
	cr := group.CommitRequest{
		Group: req.Group, MemberID: req.MemberID, Generation: req.Generation, Version: r.Version,
		TopicExists: h.partitionExists,
	}
	if r.Version == 0 {
		cr.Generation = -1
	}
	if req.InstanceID != nil {
		cr.InstanceID = *req.InstanceID
	}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			epoch := p.LeaderEpoch
			if r.Version < 6 {
				epoch = -1
			}
			cr.Partitions = append(cr.Partitions, group.CommitPartition{
				Topic: t.Topic, Partition: p.Partition, Offset: p.Offset, LeaderEpoch: epoch, Metadata: p.Metadata,
			})
		}
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	codes := h.env.Groups.Commit(ctx, cr)
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, codes[i]
			i++
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return Now(resp)
}

// partitionExists reports whether the topic has the partition.
func (h *handlers) partitionExists(topic string, partition int32) bool {
	t := h.image().Topic(topic)
	return t != nil && partition >= 0 && int(partition) < len(t.Partitions)
}
