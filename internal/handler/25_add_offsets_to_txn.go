package handler

// AddOffsetsToTxn (key 25)
//
//	v0: transactional id, producer id/epoch, group
//	v1: no change
//	v2: no change
//	v3: flexible
//	v4: no change (KIP-890 marker)
//
// Adds the group's __consumer_offsets partition to the transaction, so
// its TxnOffsetCommit is committed or aborted with it.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/txn"
)

func (h *handlers) addOffsetsToTxn(r *Request) Reply {
	req := r.Msg.(*kmsg.AddOffsetsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	resp.SetVersion(r.Version)
	part, code := h.offsetsPartition(r, req.Group)
	if code != 0 {
		resp.ErrorCode = code
		return Now(resp)
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	resp.ErrorCode = h.env.Txns.AddPartitions(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, r.Version >= 2,
		[]txn.TopicPartition{{Topic: group.OffsetsTopic, Partition: part}})
	return Now(resp)
}
