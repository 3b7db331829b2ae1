package handler

// DeleteRecords (key 21)
//
//	v0: move the log start offset of partitions forward
//	v1: no change
//	v2: flexible
//
// Offset -1 means the high watermark. Whole segments below the new log
// start offset are deleted; the rest stays on disk but is never served.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) deleteRecords(r *Request) Reply {
	req := r.Msg.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	resp.SetVersion(r.Version)
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition, sp.LowWatermark = rp.Partition, -1
			p := h.env.Parts.Get(rt.Topic, rp.Partition)
			if p == nil {
				sp.ErrorCode = h.missingPartitionCode(rt.Topic, rp.Partition)
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			o := p.Offsets()
			off := rp.Offset
			if off == -1 {
				off = o.HighWatermark
			}
			switch {
			case off < 0 || off > o.HighWatermark:
				sp.ErrorCode = kerr.OffsetOutOfRange.Code
			default:
				if err := p.Log().DeleteRecordsBefore(off); err != nil {
					sp.ErrorCode = code(h.log, "DeleteRecords", err, kerr.KafkaStorageError)
				}
			}
			sp.LowWatermark = p.Offsets().LogStart
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Now(resp)
}
