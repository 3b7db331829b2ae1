package handler

// DescribeTransactions (key 65)
//
//	v0: transactional ids in; state, timeout, start time, producer
//	    id/epoch and partitions out (KIP-664)
//
// An id another broker coordinates is NOT_COORDINATOR; an unknown one
// TRANSACTIONAL_ID_NOT_FOUND.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) describeTransactions(r *Request) Reply {
	req := r.Msg.(*kmsg.DescribeTransactionsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeTransactionsResponse)
	resp.SetVersion(r.Version)
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	for _, d := range h.env.Txns.Describe(ctx, req.TransactionalIDs) {
		s := kmsg.NewDescribeTransactionsResponseTransactionState()
		s.ErrorCode, s.TransactionalID = d.ErrorCode, d.ID
		s.State, s.TimeoutMillis, s.StartTimestamp = d.State.String(), d.TimeoutMs, d.StartMs
		s.ProducerID, s.ProducerEpoch = d.ProducerID, d.ProducerEpoch
		for _, tp := range d.Partitions {
			if n := len(s.Topics); n > 0 && s.Topics[n-1].Topic == tp.Topic {
				s.Topics[n-1].Partitions = append(s.Topics[n-1].Partitions, tp.Partition)
				continue
			}
			t := kmsg.NewDescribeTransactionsResponseTransactionStateTopic()
			t.Topic, t.Partitions = tp.Topic, []int32{tp.Partition}
			s.Topics = append(s.Topics, t)
		}
		resp.TransactionStates = append(resp.TransactionStates, s)
	}
	return Now(resp)
}
