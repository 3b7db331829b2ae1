package handler

// OffsetForLeaderEpoch (key 23)
//
//	v0: the end offset of a leader epoch
//	v1: the leader epoch of that end offset
//	v2: current leader epoch in, for fencing (KIP-320; served from v2)
//	v3: replica id (consumers send -1, KIP-392)
//	v4: flexible
//
// Consumers use it to validate their position after a leader change;
// followers (the cluster issue) to find where to truncate.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) offsetForLeaderEpoch(r *Request) Reply {
	req := r.Msg.(*kmsg.OffsetForLeaderEpochRequest)
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	resp.SetVersion(r.Version)
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LeaderEpoch, sp.EndOffset = -1, -1
			p := h.env.Parts.Get(rt.Topic, rp.Partition)
			switch {
			case p == nil:
				sp.ErrorCode = h.missingPartitionCode(rt.Topic, rp.Partition)
			default:
				if err := p.CheckLeaderEpoch(rp.CurrentLeaderEpoch); err != nil {
					sp.ErrorCode = code(h.log, "OffsetForLeaderEpoch", err, kerr.NotLeaderForPartition)
					break
				}
				sp.LeaderEpoch, sp.EndOffset = p.Log().EndOffsetForEpoch(rp.LeaderEpoch)
				if hw := p.Offsets().HighWatermark; sp.EndOffset > hw && req.ReplicaID < 0 {
					sp.EndOffset = hw
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Now(resp)
}
