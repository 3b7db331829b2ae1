package handler

// ListTransactions (key 66)
//
//	v0: state and producer id filters (KIP-664)
//	v1: duration filter: transactions open at least this long (KIP-994)
//	v2: transactional id pattern (KIP-1152; not served)
//
// Lists the transactional ids this broker coordinates. Unknown state
// names are echoed in unknown_state_filters.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/txn"
)

func (h *handlers) listTransactions(r *Request) Reply {
	req := r.Msg.(*kmsg.ListTransactionsRequest)
	resp := req.ResponseKind().(*kmsg.ListTransactionsResponse)
	resp.SetVersion(r.Version)
	f := txn.ListFilter{ProducerIDs: req.ProducerIDFilters, MinDurationMs: req.DurationFilterMillis}
	for _, s := range req.StateFilters {
		st, ok := txn.ParseState(s)
		if !ok {
			resp.UnknownStateFilters = append(resp.UnknownStateFilters, s)
			continue
		}
		f.States = append(f.States, st)
	}
	if len(req.StateFilters) > 0 && len(f.States) == 0 {
		return Now(resp) // only unknown states: nothing matches
	}
	for _, m := range h.env.Txns.List(f) {
		s := kmsg.NewListTransactionsResponseTransactionState()
		s.TransactionalID, s.ProducerID, s.TransactionState = m.ID, m.ProducerID, m.State.String()
		resp.TransactionStates = append(resp.TransactionStates, s)
	}
	return Now(resp)
}
