package txn

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

// Produce verification across brokers (KIP-890 part 1): a transactional
// batch for a partition this broker leads is checked against the
// transactional id's coordinator before it is appended. When another
// broker coordinates the id, the check is an AddPartitionsToTxn v5
// request with verify_only, as Kafka's partition leaders send. A success
// is remembered per (partition, producer) for the producer epoch and the
// partition's leader epoch, so only the first batch of each transaction
// in each partition pays the round trip; the partition's next marker for
// the producer forgets it (the transaction ended), as does a leader
// change. Coordinator errors (unreachable, NOT_COORDINATOR, loading,
// CONCURRENT_TRANSACTIONS) answer NOT_ENOUGH_REPLICAS, which producers
// retry, as Kafka does.

const (
	// addPartitionsVerifyVersion is the AddPartitionsToTxn version sent:
	// v5, the first with verify_only.
	addPartitionsVerifyVersion = 5
	// verifyTimeout bounds one remote verification.
	verifyTimeout = 5 * time.Second
)

var errVerifyAnswer = errors.New("txn: AddPartitionsToTxn answer does not match the request")

type verifyKey struct {
	tp  TopicPartition
	pid int64
}

type verifyMark struct {
	epoch       int16
	leaderEpoch int32
}

// verifiedSet remembers the transactions verified remotely.
type verifiedSet struct {
	mu sync.Mutex
	m  map[verifyKey]verifyMark
}

func (v *verifiedSet) has(k verifyKey, mk verifyMark) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	got, ok := v.m[k]
	return ok && got == mk
}

func (v *verifiedSet) add(k verifyKey, mk verifyMark) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[verifyKey]verifyMark{}
	}
	v.m[k] = mk
}

func (v *verifiedSet) forget(k verifyKey) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.m, k)
}

// sweep forgets the entries whose partition is no longer led here in the
// epoch they were verified in.
func (v *verifiedSet) sweep(leaderEpoch func(TopicPartition) (int32, bool)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, mk := range v.m {
		if le, ok := leaderEpoch(k.tp); !ok || le != mk.leaderEpoch {
			delete(v.m, k)
		}
	}
}

// VerifyProduce is Verify for a transactional produce to partition tp,
// which this broker leads: checked here if this broker coordinates id,
// else by the coordinator (AddPartitionsToTxn verify_only).
func (c *Coordinator) VerifyProduce(ctx context.Context, id string, pid int64, epoch int16, tp TopicPartition) int16 {
	code, local := c.verifyLocal(ctx, id, pid, epoch, tp)
	if local {
		return code
	}
	return c.verifyRemote(ctx, id, pid, epoch, tp)
}

func (c *Coordinator) verifyRemote(ctx context.Context, id string, pid int64, epoch int16, tp TopicPartition) int16 {
	p := c.cfg.Parts.Get(tp.Topic, tp.Partition)
	if p == nil {
		// Not open here: the produce path answers for the partition.
		return 0
	}
	key, mark := verifyKey{tp, pid}, verifyMark{epoch, p.LeaderEpoch()}
	if c.verified.has(key, mark) {
		return 0
	}
	dest := c.coordinatorNode(ctx, id)
	if dest < 0 || dest == c.cfg.NodeID {
		return kerr.NotEnoughReplicas.Code
	}
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	resp, err := c.sender.request(ctx, dest, verifyRequest(id, pid, epoch, tp))
	if err != nil {
		c.log.Debug("remote produce verification failed", "transactional_id", id, "coordinator", dest, "err", err)
		return kerr.NotEnoughReplicas.Code
	}
	code, err := verifyAnswer(resp.(*kmsg.AddPartitionsToTxnResponse))
	if err != nil {
		c.log.Warn("remote produce verification answer", "transactional_id", id, "coordinator", dest, "err", err)
		return kerr.NotEnoughReplicas.Code
	}
	switch code {
	case 0:
		c.verified.add(key, mark)
		return 0
	case kerr.NotCoordinator.Code, kerr.CoordinatorNotAvailable.Code, kerr.CoordinatorLoadInProgress.Code, kerr.ConcurrentTransactions.Code:
		return kerr.NotEnoughReplicas.Code
	case kerr.ProducerFenced.Code:
		return kerr.InvalidProducerEpoch.Code
	}
	return code
}

// coordinatorNode is the leader of id's __transaction_state partition in
// the latest metadata image (-1 if none).
func (c *Coordinator) coordinatorNode(ctx context.Context, id string) int32 {
	n, err := c.topic.Partitions(ctx, false)
	if err != nil || n == 0 {
		return -1
	}
	t := c.cfg.Meta.Image().Topic(StateTopic)
	part := group.PartitionFor(id, n)
	if t == nil || int(part) >= len(t.Partitions) {
		return -1
	}
	return t.Partitions[part].Leader
}

func verifyRequest(id string, pid int64, epoch int16, tp TopicPartition) *kmsg.AddPartitionsToTxnRequest {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.SetVersion(addPartitionsVerifyVersion)
	t := kmsg.NewAddPartitionsToTxnRequestTransaction()
	t.TransactionalID, t.ProducerID, t.ProducerEpoch, t.VerifyOnly = id, pid, epoch, true
	tt := kmsg.NewAddPartitionsToTxnRequestTransactionTopic()
	tt.Topic, tt.Partitions = tp.Topic, []int32{tp.Partition}
	t.Topics = append(t.Topics, tt)
	req.Transactions = append(req.Transactions, t)
	return req
}

// verifyAnswer is the code of the one partition a verification asked
// about (or the response's top-level error).
func verifyAnswer(resp *kmsg.AddPartitionsToTxnResponse) (int16, error) {
	if resp.ErrorCode != 0 {
		return resp.ErrorCode, nil
	}
	if len(resp.Transactions) != 1 || len(resp.Transactions[0].Topics) != 1 || len(resp.Transactions[0].Topics[0].Partitions) != 1 {
		return 0, errVerifyAnswer
	}
	return resp.Transactions[0].Topics[0].Partitions[0].ErrorCode, nil
}
