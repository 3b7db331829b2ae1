package txn

import (
	"math"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// State is a transactional id's state, numbered as Kafka's
// TransactionState (and kmsg.TransactionState) so the stored records match.
type State int8

// The states of a transactional id.
const (
	Empty             State = 0
	Ongoing           State = 1
	PrepareCommit     State = 2
	PrepareAbort      State = 3
	CompleteCommit    State = 4
	CompleteAbort     State = 5
	Dead              State = 6
	PrepareEpochFence State = 7
)

var stateNames = [...]string{"Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "Unknown"
}

// preparing reports whether markers are being written.
func (s State) preparing() bool { return s == PrepareCommit || s == PrepareAbort }

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Metadata is one transactional id's state: what __transaction_state
// stores (TxnMetadataValue) plus its key. It is a value: transitions
// return a new Metadata and the driver writes it before using it.
type Metadata struct {
	ID                string
	ProducerID        int64
	ProducerEpoch     int16
	LastProducerID    int64 // the id/epoch before the last bump (-1: none); a retried InitProducerId may present them
	LastProducerEpoch int16
	TimeoutMs         int32
	State             State
	Partitions        []TopicPartition // sorted, no duplicates
	StartMs           int64            // when the current transaction started (-1: none)
	UpdateMs          int64
}

// clone returns a deep copy.
func (m Metadata) clone() Metadata {
	m.Partitions = append([]TopicPartition(nil), m.Partitions...)
	return m
}

func (m Metadata) has(tp TopicPartition) bool {
	i := sort.Search(len(m.Partitions), func(i int) bool { return !less(m.Partitions[i], tp) })
	return i < len(m.Partitions) && m.Partitions[i] == tp
}

func less(a, b TopicPartition) bool {
	if a.Topic != b.Topic {
		return a.Topic < b.Topic
	}
	return a.Partition < b.Partition
}

// withPartitions returns the sorted union of the current partitions and
// add.
func (m Metadata) withPartitions(add []TopicPartition) []TopicPartition {
	out := append([]TopicPartition(nil), m.Partitions...)
	for _, tp := range add {
		if !m.has(tp) {
			out = append(out, tp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	// drop duplicates within add
	k := 0
	for i, tp := range out {
		if i == 0 || tp != out[k-1] {
			out[k] = tp
			k++
		}
	}
	return out[:k]
}

// Deadline is when the open transaction times out (zero if none is open).
func (m Metadata) Deadline() time.Time {
	if m.State != Ongoing || m.StartMs < 0 {
		return time.Time{}
	}
	return time.UnixMilli(m.StartMs + int64(m.TimeoutMs))
}

// Errors of the transitions: Kafka codes (kerr), since each is an answer to
// a client.
var (
	errConcurrent = kerr.ConcurrentTransactions
	errMapping    = kerr.InvalidProducerIDMapping
	errState      = kerr.InvalidTxnState
)

// fenced is the error for a producer presenting an old epoch:
// PRODUCER_FENCED where the API version knows it, else
// INVALID_PRODUCER_EPOCH.
func fenced(producerFencedOK bool) *kerr.Error {
	if producerFencedOK {
		return kerr.ProducerFenced
	}
	return kerr.InvalidProducerEpoch
}

// checkProducer validates the producer id and epoch a request presents.
func (m Metadata) checkProducer(pid int64, epoch int16, fencedOK bool) *kerr.Error {
	if pid != m.ProducerID {
		return errMapping
	}
	if epoch != m.ProducerEpoch {
		return fenced(fencedOK)
	}
	return nil
}

// bumped returns m with the next epoch (a new producer id, epoch 0, when
// the epoch is exhausted; newID supplies it).
func (m Metadata) bumped(newID func() (int64, error)) (Metadata, error) {
	n := m.clone()
	n.LastProducerID, n.LastProducerEpoch = m.ProducerID, m.ProducerEpoch
	if m.ProducerEpoch >= math.MaxInt16-1 {
		id, err := newID()
		if err != nil {
			return m, err
		}
		n.ProducerID, n.ProducerEpoch = id, 0
		return n, nil
	}
	n.ProducerEpoch++
	return n, nil
}

// InitInput is an InitProducerId for an existing transactional id.
type InitInput struct {
	TimeoutMs     int32
	ProducerID    int64 // -1 unless the client asks to bump its epoch (KIP-360, v3+)
	ProducerEpoch int16
	FencedOK      bool // the request version knows PRODUCER_FENCED
	NowMs         int64
}

// InitDecision is what InitProducerId does with an existing id.
type InitDecision int

const (
	// InitBump: write Next (a new epoch, state Empty) and answer it.
	InitBump InitDecision = iota
	// InitAbortFirst: an open transaction must be aborted first: write
	// Next (PrepareAbort with a fenced epoch), complete the abort, then
	// InitProducerId runs again.
	InitAbortFirst
	// InitRetry: the request repeats a bump already done; answer the
	// current producer id and epoch without writing.
	InitRetry
)

// Init decides an InitProducerId for the existing m. It fails with
// CONCURRENT_TRANSACTIONS while markers are being written and with a
// fencing error when the id/epoch presented is not the current (or the
// previous, for a retried bump) one.
func Init(m Metadata, in InitInput, newID func() (int64, error)) (InitDecision, Metadata, error) {
	if m.State.preparing() || m.State == PrepareEpochFence {
		return 0, m, errConcurrent
	}
	if in.ProducerID >= 0 {
		switch {
		case in.ProducerID == m.ProducerID && in.ProducerEpoch == m.ProducerEpoch:
		case in.ProducerID == m.LastProducerID && in.ProducerEpoch == m.LastProducerEpoch && m.State != Ongoing:
			return InitRetry, m, nil
		case in.ProducerID == m.ProducerID && in.ProducerEpoch < m.ProducerEpoch:
			return 0, m, fenced(in.FencedOK)
		default:
			return 0, m, errMapping
		}
	}
	if m.State == Ongoing {
		n, err := m.bumped(newID)
		if err != nil {
			return 0, m, err
		}
		n.State, n.UpdateMs = PrepareAbort, in.NowMs
		return InitAbortFirst, n, nil
	}
	n, err := m.bumped(newID)
	if err != nil {
		return 0, m, err
	}
	n.State, n.TimeoutMs, n.Partitions, n.StartMs, n.UpdateMs = Empty, in.TimeoutMs, nil, -1, in.NowMs
	return InitBump, n, nil
}

// AddPartitions adds partitions to the transaction (AddPartitionsToTxn,
// and AddOffsetsToTxn with the group's __consumer_offsets partition). It
// returns changed false when every partition is already in an open
// transaction (nothing to write).
func AddPartitions(m Metadata, pid int64, epoch int16, fencedOK bool, tps []TopicPartition, nowMs int64) (Metadata, bool, error) {
	if err := m.checkProducer(pid, epoch, fencedOK); err != nil {
		return m, false, err
	}
	if m.State.preparing() || m.State == PrepareEpochFence {
		return m, false, errConcurrent
	}
	if m.State == Dead {
		return m, false, errState
	}
	if m.State == Ongoing {
		all := true
		for _, tp := range tps {
			all = all && m.has(tp)
		}
		if all {
			return m, false, nil
		}
	}
	n := m.clone()
	if m.State != Ongoing {
		n.Partitions, n.StartMs = nil, nowMs
	}
	n.Partitions = n.withPartitions(tps)
	n.State, n.UpdateMs = Ongoing, nowMs
	return n, true, nil
}

// EndDecision is what EndTxn does.
type EndDecision int

const (
	// EndPrepare: write Next (PrepareCommit/PrepareAbort), then the
	// markers, then the completion.
	EndPrepare EndDecision = iota
	// EndDone: a retry of an EndTxn already completed; answer success.
	EndDone
)

// End decides an EndTxn.
func End(m Metadata, pid int64, epoch int16, fencedOK, commit bool, nowMs int64) (EndDecision, Metadata, error) {
	if pid != m.ProducerID {
		return 0, m, errMapping
	}
	if epoch != m.ProducerEpoch {
		return 0, m, fenced(fencedOK)
	}
	switch m.State {
	case Ongoing:
		n := m.clone()
		n.State, n.UpdateMs = PrepareAbort, nowMs
		if commit {
			n.State = PrepareCommit
		}
		return EndPrepare, n, nil
	case CompleteCommit:
		if commit {
			return EndDone, m, nil
		}
	case CompleteAbort:
		if !commit {
			return EndDone, m, nil
		}
	case PrepareCommit, PrepareAbort, PrepareEpochFence:
		if m.State == PrepareCommit == commit {
			return 0, m, errConcurrent
		}
	}
	return 0, m, errState
}

// Complete is the state after every marker of a Prepare state is written.
func Complete(m Metadata, nowMs int64) Metadata {
	n := m.clone()
	n.State = CompleteAbort
	if m.State == PrepareCommit {
		n.State = CompleteCommit
	}
	n.Partitions, n.StartMs, n.UpdateMs = nil, -1, nowMs
	return n
}

// TimedOut returns the abort of an open transaction past its timeout,
// with the epoch bumped so the producer is fenced (as Kafka does).
func TimedOut(m Metadata, nowMs int64, newID func() (int64, error)) (Metadata, bool, error) {
	if m.State != Ongoing || m.StartMs < 0 || nowMs < m.StartMs+int64(m.TimeoutMs) {
		return m, false, nil
	}
	n, err := m.bumped(newID)
	if err != nil {
		return m, false, err
	}
	n.State, n.UpdateMs = PrepareAbort, nowMs
	return n, true, nil
}

// Expired reports whether an idle transactional id (no transaction open)
// has not been used for expiration and can be forgotten.
func Expired(m Metadata, nowMs int64, expiration time.Duration) bool {
	switch m.State {
	case Empty, CompleteCommit, CompleteAbort:
		return nowMs-m.UpdateMs >= expiration.Milliseconds()
	}
	return false
}
