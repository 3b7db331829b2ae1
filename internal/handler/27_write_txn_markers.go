package handler

// WriteTxnMarkers (key 27)
//
//	v0: markers: producer id/epoch, commit, coordinator epoch, partitions
//	v1: flexible
//	v2: transaction version per marker (KIP-890; not served)
//
// Kafka's coordinator sends this to partition leaders; Gregor's
// coordinator appends markers to the partitions it hosts directly, and
// serves this API for tools that resolve a hanging transaction by hand
// (`gregor txn abort`, kafka-transactions.sh --abort). Each partition
// gets a COMMIT or ABORT control batch with the producer's id and epoch,
// durable before the answer; an older epoch than the partition's is
// INVALID_PRODUCER_EPOCH.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/txn"
)

func (h *handlers) writeTxnMarkers(r *Request) Reply {
	req := r.Msg.(*kmsg.WriteTxnMarkersRequest)
	resp := req.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
	resp.SetVersion(r.Version)
	for _, m := range req.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		for _, t := range m.Topics {
			rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
				rp.Partition = p
				if h.env.Parts.Get(t.Topic, p) == nil {
					rp.ErrorCode = h.missingPartitionCode(t.Topic, p)
				} else {
					err := h.env.Txns.WriteMarker(txn.TopicPartition{Topic: t.Topic, Partition: p}, m.ProducerID, m.ProducerEpoch, m.CoordinatorEpoch, m.Committed)
					rp.ErrorCode = code(h.log, "WriteTxnMarkers", err, kerr.KafkaStorageError)
				}
				rt.Partitions = append(rt.Partitions, rp)
			}
			rm.Topics = append(rm.Topics, rt)
		}
		resp.Markers = append(resp.Markers, rm)
	}
	return Now(resp)
}
