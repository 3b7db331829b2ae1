package handler

// InitProducerId (key 22)
//
//	v0: transactional id and timeout in, producer id and epoch out
//	v1: throttle time semantics
//	v2: flexible
//	v3: producer id and epoch in, to bump the epoch of an existing
//	    producer (KIP-360)
//	v4: PRODUCER_FENCED replaces INVALID_PRODUCER_EPOCH
//	v5: KIP-890 (transactions v2)
//
// Without a transactional id this is an idempotent producer: it gets a new
// producer id, epoch 0. Producer ids come in blocks allocated through the
// metadata quorum, so an id is never handed out twice, even across
// restarts. With a transactional id the transaction coordinator
// (internal/txn) answers: a new producer id for a new id, else the next
// epoch, after aborting the id's open transaction (fencing the previous
// producer); a timeout above transaction.max.timeout.ms is
// INVALID_TRANSACTION_TIMEOUT.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/txn"
)

func (h *handlers) initProducerID(r *Request) Reply {
	req := r.Msg.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.SetVersion(r.Version)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		ctx, cancel := timeout(r.Ctx, 0)
		defer cancel()
		resp.ProducerID, resp.ProducerEpoch, resp.ErrorCode = h.env.Txns.InitProducerID(ctx, txn.InitRequest{
			ID: *req.TransactionalID, TimeoutMs: req.TransactionTimeoutMillis,
			ProducerID: req.ProducerID, ProducerEpoch: req.ProducerEpoch, FencedOK: r.Version >= 4,
		})
		if resp.ErrorCode != 0 {
			resp.ProducerID, resp.ProducerEpoch = -1, -1
		}
		return Now(resp)
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	id, err := h.env.Txns.NextProducerID(ctx)
	if err != nil {
		resp.ErrorCode = code(h.log, "InitProducerId", err, kerr.CoordinatorNotAvailable)
		return Now(resp)
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return Now(resp)
}
