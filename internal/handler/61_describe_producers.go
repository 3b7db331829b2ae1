package handler

// DescribeProducers (key 61)
//
//	v0: topics and partitions in; per partition the active producers:
//	    id, epoch, last sequence, last timestamp, coordinator epoch, and
//	    the first offset of the open transaction (KIP-664)
//
// This is how a hanging transaction is found: a producer whose
// current_txn_start_offset stays put while the LSO is stuck there.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) describeProducers(r *Request) Reply {
	req := r.Msg.(*kmsg.DescribeProducersRequest)
	resp := req.ResponseKind().(*kmsg.DescribeProducersResponse)
	resp.SetVersion(r.Version)
	for _, rt := range req.Topics {
		st := kmsg.NewDescribeProducersResponseTopic()
		st.Topic = rt.Topic
		for _, p := range rt.Partitions {
			sp := kmsg.NewDescribeProducersResponseTopicPartition()
			sp.Partition = p
			part := h.env.Parts.Get(rt.Topic, p)
			if part == nil {
				sp.ErrorCode = h.missingPartitionCode(rt.Topic, p)
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			for _, pi := range part.Log().Producers() {
				ap := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
				ap.ProducerID, ap.ProducerEpoch = pi.ProducerID, int32(pi.ProducerEpoch)
				ap.LastSequence, ap.LastTimestamp = pi.LastSequence, pi.LastTimestamp
				ap.CoordinatorEpoch, ap.CurrentTxnStartOffset = -1, pi.TxnStartOffset
				sp.ActiveProducers = append(sp.ActiveProducers, ap)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Now(resp)
}
