package txn

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestVerifiedSet(t *testing.T) {
	var v verifiedSet
	k := verifyKey{TopicPartition{"a", 0}, 7}
	if v.has(k, verifyMark{}) {
		t.Fatal("an empty set has the zero mark")
	}
	v.add(k, verifyMark{epoch: 1, leaderEpoch: 3})
	if !v.has(k, verifyMark{1, 3}) || v.has(k, verifyMark{2, 3}) || v.has(k, verifyMark{1, 4}) {
		t.Fatal("a mark holds only for its producer epoch and leader epoch")
	}
	v.forget(k)
	if v.has(k, verifyMark{1, 3}) {
		t.Fatal("forgotten mark still held")
	}
	k2 := verifyKey{TopicPartition{"b", 1}, 7}
	v.add(k, verifyMark{1, 3})
	v.add(k2, verifyMark{1, 5})
	v.sweep(func(tp TopicPartition) (int32, bool) { return 3, tp.Topic == "a" })
	if !v.has(k, verifyMark{1, 3}) || v.has(k2, verifyMark{1, 5}) {
		t.Fatal("sweep keeps exactly the partitions still led in their epoch")
	}
}

func TestVerifyRequestAndAnswer(t *testing.T) {
	req := verifyRequest("id", 7, 2, TopicPartition{"a", 3})
	if req.GetVersion() != addPartitionsVerifyVersion || len(req.Transactions) != 1 {
		t.Fatalf("request %+v", req)
	}
	tx := req.Transactions[0]
	if !tx.VerifyOnly || tx.TransactionalID != "id" || tx.ProducerID != 7 || tx.ProducerEpoch != 2 ||
		len(tx.Topics) != 1 || tx.Topics[0].Topic != "a" || len(tx.Topics[0].Partitions) != 1 || tx.Topics[0].Partitions[0] != 3 {
		t.Fatalf("transaction %+v", tx)
	}
	resp := kmsg.NewPtrAddPartitionsToTxnResponse()
	if _, err := verifyAnswer(resp); !errors.Is(err, errVerifyAnswer) {
		t.Fatalf("empty answer: %v", err)
	}
	rt := kmsg.NewAddPartitionsToTxnResponseTransaction()
	tt := kmsg.NewAddPartitionsToTxnResponseTransactionTopic()
	tp := kmsg.NewAddPartitionsToTxnResponseTransactionTopicPartition()
	tp.Partition, tp.ErrorCode = 3, kerr.InvalidTxnState.Code
	tt.Topic, tt.Partitions = "a", append(tt.Partitions, tp)
	rt.Topics = append(rt.Topics, tt)
	resp.Transactions = append(resp.Transactions, rt)
	if code, err := verifyAnswer(resp); err != nil || code != kerr.InvalidTxnState.Code {
		t.Fatalf("answer: %d %v", code, err)
	}
	resp.ErrorCode = kerr.NotCoordinator.Code
	if code, err := verifyAnswer(resp); err != nil || code != kerr.NotCoordinator.Code {
		t.Fatalf("top-level error: %d %v", code, err)
	}
}
