package handler

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/record"
	"github.com/gregor-streaming/gregor/internal/txn"
)

// verifyTxnProduce checks a transactional batch before it is appended:
// the request names the transactional id and the partition was added to
// its open transaction with the batch's producer id and epoch (KIP-890
// verification, which keeps a late or stray batch from opening a
// transaction the coordinator will never end), asking the coordinator
// when it is another broker.
func (h *handlers) verifyTxnProduce(r *Request, topic string, part int32, hdr *record.Header) int16 {
	req := r.Msg.(*kmsg.ProduceRequest)
	if req.TransactionID == nil || *req.TransactionID == "" {
		return kerr.TransactionalIDAuthorizationFailed.Code
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	return h.env.Txns.VerifyProduce(ctx, *req.TransactionID, hdr.ProducerID, hdr.ProducerEpoch, txn.TopicPartition{Topic: topic, Partition: part})
}

// offsetsPartition returns the __consumer_offsets partition of a group,
// creating the topic on first need.
func (h *handlers) offsetsPartition(r *Request, groupID string) (int32, int16) {
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	if _, err := h.env.Groups.Coordinator(ctx, groupID); err != nil {
		return -1, h.env.Groups.ErrCode("AddOffsetsToTxn", err)
	}
	t := h.image().Topic(group.OffsetsTopic)
	if t == nil {
		return -1, kerr.CoordinatorNotAvailable.Code
	}
	return group.PartitionFor(groupID, int32(len(t.Partitions))), 0
}
