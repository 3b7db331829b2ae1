package handler

// ListOffsets (key 2)
//
//	v1: one offset per partition, with its timestamp (v0's
//	    old_style_offsets are not served)
//	v2: isolation level (latest under read_committed is the LSO)
//	v3: no change
//	v4: current leader epoch in, leader epoch out (KIP-320)
//	v5: no change
//	v6: flexible
//	v7: timestamp -3: the record with the largest timestamp (KIP-734)
//	v8: timestamp -4: local log start (KIP-405; the log start here)
//	v9: timestamp -5: last tiered offset (KIP-1005; -1, no tiering)
//
// A timestamp with no record at or after it answers offset -1, timestamp
// -1, and no error.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/partition"
)

// Special ListOffsets timestamps.
const (
	listLatest           = -1
	listEarliest         = -2
	listMaxTimestamp     = -3
	listLocalEarliest    = -4
	listLastTieredOffset = -5
)

func (h *handlers) listOffsets(r *Request) Reply {
	req := r.Msg.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	resp.SetVersion(r.Version)
	seen := make(map[partition.TopicPartition]bool)
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			tp := partition.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}
			if seen[tp] {
				sp.ErrorCode = kerr.InvalidRequest.Code
			} else {
				seen[tp] = true
				h.listOffset(rt.Topic, rp, &sp, req.IsolationLevel == 1)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Now(resp)
}

func (h *handlers) listOffset(topic string, rp kmsg.ListOffsetsRequestTopicPartition, sp *kmsg.ListOffsetsResponseTopicPartition, committed bool) {
	sp.Offset, sp.Timestamp, sp.LeaderEpoch = -1, -1, -1
	p := h.env.Parts.Get(topic, rp.Partition)
	if p == nil {
		sp.ErrorCode = h.missingPartitionCode(topic, rp.Partition)
		return
	}
	if err := p.CheckLeaderEpoch(rp.CurrentLeaderEpoch); err != nil {
		sp.ErrorCode = code(h.log, "ListOffsets", err, kerr.NotLeaderForPartition)
		return
	}
	sp.LeaderEpoch = p.LeaderEpoch()
	if p.HighWatermarkPending() {
		// A new leader whose high watermark is still catching up to
		// its epoch's start (KIP-207): retriable, never a smaller
		// end offset than a client saw before.
		sp.ErrorCode = kerr.OffsetNotAvailable.Code
		return
	}
	o := p.Offsets()
	switch rp.Timestamp {
	case listLatest:
		sp.Offset = o.HighWatermark
		if committed {
			sp.Offset = o.LastStable
		}
	case listEarliest, listLocalEarliest:
		sp.Offset = o.LogStart
	case listMaxTimestamp:
		off, ts, err := p.Log().MaxTimestamp()
		if err != nil {
			sp.ErrorCode = code(h.log, "ListOffsets", err, kerr.KafkaStorageError)
			return
		}
		if off >= 0 && off < o.HighWatermark {
			sp.Offset, sp.Timestamp = off, ts
		}
	case listLastTieredOffset:
		sp.Offset = -1
	default:
		if rp.Timestamp < 0 {
			sp.ErrorCode = kerr.InvalidRequest.Code
			return
		}
		off, ts, ok, err := p.Log().OffsetForTimestamp(rp.Timestamp)
		if err != nil {
			// Never "no such record": the consumer would skip data.
			sp.ErrorCode = code(h.log, "ListOffsets", err, kerr.KafkaStorageError)
			return
		}
		if ok && off < o.HighWatermark {
			sp.Offset, sp.Timestamp = off, ts
		}
	}
}
