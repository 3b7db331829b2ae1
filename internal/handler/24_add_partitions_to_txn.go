package handler

// AddPartitionsToTxn (key 24)
//
//	v0: transactional id, producer id/epoch, topics and partitions
//	v1: no change
//	v2: no change
//	v3: flexible
//	v4: batched transactions in one request (KIP-890; sent by brokers)
//	v5: verify_only per transaction (KIP-890 part 1 verification)
//
// The partitions join the id's open transaction (opening one if none is
// open), durably in __transaction_state, before the answer. Every
// partition gets the same code. A partition of an unknown topic gets
// UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as
// Kafka does. verify_only checks membership without adding.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/txn"
)

func (h *handlers) addPartitionsToTxn(r *Request) Reply {
	req := r.Msg.(*kmsg.AddPartitionsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	resp.SetVersion(r.Version)
	if r.Version < 4 {
		t := kmsg.NewAddPartitionsToTxnRequestTransaction()
		t.TransactionalID, t.ProducerID, t.ProducerEpoch = req.TransactionalID, req.ProducerID, req.ProducerEpoch
		for _, rt := range req.Topics {
			tt := kmsg.NewAddPartitionsToTxnRequestTransactionTopic()
			tt.Topic, tt.Partitions = rt.Topic, rt.Partitions
			t.Topics = append(t.Topics, tt)
		}
		res := h.addPartitions(r, t)
		for _, st := range res.Topics {
			rt := kmsg.NewAddPartitionsToTxnResponseTopic()
			rt.Topic = st.Topic
			for _, sp := range st.Partitions {
				rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
				rp.Partition, rp.ErrorCode = sp.Partition, sp.ErrorCode
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return Now(resp)
	}
	for _, t := range req.Transactions {
		resp.Transactions = append(resp.Transactions, h.addPartitions(r, t))
	}
	return Now(resp)
}

func (h *handlers) addPartitions(r *Request, t kmsg.AddPartitionsToTxnRequestTransaction) kmsg.AddPartitionsToTxnResponseTransaction {
	out := kmsg.NewAddPartitionsToTxnResponseTransaction()
	out.TransactionalID = t.TransactionalID
	var tps []txn.TopicPartition
	unknown := map[txn.TopicPartition]bool{}
	img := h.image()
	for _, rt := range t.Topics {
		for _, p := range rt.Partitions {
			tp := txn.TopicPartition{Topic: rt.Topic, Partition: p}
			tps = append(tps, tp)
			if tt := img.Topics[rt.Topic]; tt == nil || p < 0 || int(p) >= len(tt.Partitions) {
				unknown[tp] = true
			}
		}
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	var code int16
	codeOf := func(tp txn.TopicPartition) int16 { return code }
	switch {
	case len(unknown) > 0:
		codeOf = func(tp txn.TopicPartition) int16 {
			if unknown[tp] {
				return kerr.UnknownTopicOrPartition.Code
			}
			return kerr.OperationNotAttempted.Code
		}
	case t.VerifyOnly:
		codes := map[txn.TopicPartition]int16{}
		for _, tp := range tps {
			codes[tp] = h.env.Txns.Verify(ctx, t.TransactionalID, t.ProducerID, t.ProducerEpoch, tp)
		}
		codeOf = func(tp txn.TopicPartition) int16 { return codes[tp] }
	default:
		code = h.env.Txns.AddPartitions(ctx, t.TransactionalID, t.ProducerID, t.ProducerEpoch, r.Version >= 2, tps)
	}
	for _, rt := range t.Topics {
		st := kmsg.NewAddPartitionsToTxnResponseTransactionTopic()
		st.Topic = rt.Topic
		for _, p := range rt.Partitions {
			sp := kmsg.NewAddPartitionsToTxnResponseTransactionTopicPartition()
			sp.Partition, sp.ErrorCode = p, codeOf(txn.TopicPartition{Topic: rt.Topic, Partition: p})
			st.Partitions = append(st.Partitions, sp)
		}
		out.Topics = append(out.Topics, st)
	}
	return out
}
