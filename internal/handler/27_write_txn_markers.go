package handler

// WriteTxnMarkers (key 27)
//
//	v0: markers: producer id/epoch, commit, coordinator epoch, partitions
//	v1: flexible
//	v2: transaction version per marker (KIP-890; not served)
//
// The transaction coordinator sends this to the leaders of the
// partitions of a transaction that it does not lead itself
// (internal/txn/marker_sender.go); tools send it to resolve a hanging
// transaction by hand (`gregor txn abort`, kafka-transactions.sh
// --abort). Each partition gets a COMMIT or ABORT control batch with the
// producer's id and epoch, appended and fsynced at once; the answer waits
// until every marker is below its partition's high watermark (every
// in-sync replica has it), as a Produce with acks=all: an ISR below
// min.insync.replicas is NOT_ENOUGH_REPLICAS (nothing written), one that
// shrinks below it while waiting NOT_ENOUGH_REPLICAS_AFTER_APPEND, a lost
// leadership NOT_LEADER_OR_FOLLOWER, a replication wait over 10 s
// REQUEST_TIMED_OUT. An older producer epoch than the partition's is
// INVALID_PRODUCER_EPOCH.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/txn"
)

// pendingMarker is a marker appended for a response partition, waiting
// for its ISR.
type pendingMarker struct {
	m  *txn.AppendedMarker
	rp *kmsg.WriteTxnMarkersResponseMarkerTopicPartition
}

func (h *handlers) writeTxnMarkers(r *Request) Reply {
	req := r.Msg.(*kmsg.WriteTxnMarkersRequest)
	resp := req.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
	resp.SetVersion(r.Version)
	// Responses are built first so the pending markers can point into
	// them (no reallocation after).
	for _, m := range req.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		for _, t := range m.Topics {
			rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
				rp.Partition = p
				rt.Partitions = append(rt.Partitions, rp)
			}
			rm.Topics = append(rm.Topics, rt)
		}
		resp.Markers = append(resp.Markers, rm)
	}
	var waits []pendingMarker
	for i, m := range req.Markers {
		for j, t := range m.Topics {
			for k, p := range t.Partitions {
				rp := &resp.Markers[i].Topics[j].Partitions[k]
				if h.env.Parts.Get(t.Topic, p) == nil {
					rp.ErrorCode = h.missingPartitionCode(t.Topic, p)
					continue
				}
				am, err := h.env.Txns.AppendMarker(txn.TopicPartition{Topic: t.Topic, Partition: p}, m.ProducerID, m.ProducerEpoch, m.CoordinatorEpoch, m.Committed)
				if err != nil {
					rp.ErrorCode = code(h.log, "WriteTxnMarkers", err, kerr.KafkaStorageError)
					continue
				}
				waits = append(waits, pendingMarker{am, rp})
			}
		}
	}
	if len(waits) == 0 {
		return Now(resp)
	}
	return Later(func() kmsg.Response {
		for _, w := range waits {
			err := h.env.Txns.AwaitMarker(r.Ctx, w.m)
			w.rp.ErrorCode = code(h.log, "WriteTxnMarkers", err, kerr.RequestTimedOut)
		}
		return resp
	})
}
