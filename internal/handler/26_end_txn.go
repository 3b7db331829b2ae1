package handler

// EndTxn (key 26)
//
//	v0: transactional id, producer id/epoch, commit or abort
//	v1: no change
//	v2: PRODUCER_FENCED may be returned
//	v3: flexible
//	v4: INVALID_TXN_STATE on an abort with nothing to abort (KIP-890)
//	v5: producer id and epoch in the response; transaction version 2
//	    (KIP-890): not served
//
// The decision is written to __transaction_state, the COMMIT/ABORT
// markers to every partition of the transaction, then the completion;
// the answer comes after the markers (or, if one cannot be written yet,
// after the decision: the coordinator retries them).

import "github.com/twmb/franz-go/pkg/kmsg"

func (h *handlers) endTxn(r *Request) Reply {
	req := r.Msg.(*kmsg.EndTxnRequest)
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	resp.SetVersion(r.Version)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	resp.ErrorCode = h.env.Txns.EndTxn(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, r.Version >= 2, req.Commit)
	return Now(resp)
}
