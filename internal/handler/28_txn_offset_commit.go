package handler

// TxnOffsetCommit (key 28)
//
//	v0: transactional id, group, producer id/epoch, offsets
//	v1: no change
//	v2: leader epoch per partition
//	v3: flexible; generation, member id, instance id (KIP-447: the
//	    group fences a zombie member)
//	v4: no change (KIP-890 marker)
//	v5: no change
//
// The offsets are written to __consumer_offsets in the producer's
// transaction and become the group's committed offsets only when the
// transaction commits. The group's partition must have been added with
// AddOffsetsToTxn (else INVALID_TXN_STATE).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/txn"
)

func (h *handlers) txnOffsetCommit(r *Request) Reply {
	req := r.Msg.(*kmsg.TxnOffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	resp.SetVersion(r.Version)
	code := h.checkTxnOffsetCommit(r, req)
	greq := group.TxnCommitRequest{
		Group: req.Group, ProducerID: req.ProducerID, ProducerEpoch: req.ProducerEpoch,
		MemberID: req.MemberID, Generation: req.Generation,
		TopicExists: func(topic string, p int32) bool {
			t := h.image().Topics[topic]
			return t != nil && p >= 0 && int(p) < len(t.Partitions)
		},
	}
	if r.Version < 3 {
		greq.Generation = -1
	}
	if req.InstanceID != nil {
		greq.InstanceID = *req.InstanceID
	}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			greq.Partitions = append(greq.Partitions, group.CommitPartition{Topic: t.Topic, Partition: p.Partition, Offset: p.Offset, LeaderEpoch: p.LeaderEpoch, Metadata: p.Metadata})
		}
	}
	var codes []int16
	if code == 0 {
		ctx, cancel := timeout(r.Ctx, 0)
		defer cancel()
		codes = h.env.Groups.TxnCommit(ctx, greq)
	}
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code
			if codes != nil {
				rp.ErrorCode = codes[i]
			}
			i++
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return Now(resp)
}

// checkTxnOffsetCommit verifies with the transaction coordinator that
// the group's partition is in the producer's open transaction.
func (h *handlers) checkTxnOffsetCommit(r *Request, req *kmsg.TxnOffsetCommitRequest) int16 {
	if req.Group == "" {
		return kerr.InvalidGroupID.Code
	}
	part, code := h.offsetsPartition(r, req.Group)
	if code != 0 {
		return code
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	return h.env.Txns.Verify(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, txn.TopicPartition{Topic: group.OffsetsTopic, Partition: part})
}
