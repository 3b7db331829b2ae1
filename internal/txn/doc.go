// Package txn is the transaction coordinator: Kafka's exactly-once
// transactions (InitProducerId with a transactional id,
// AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, the COMMIT/ABORT markers)
// with its state in the internal topic __transaction_state.
//
// # Shape
//
// state.go is the state machine of one transactional id (Empty, Ongoing,
// PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead,
// PrepareEpochFence, numbered as Kafka's) as pure functions over a
// Metadata value: Init, AddPartitions, End, Complete, TimedOut, Expired
// take the current state and the time and return the next state (or a
// Kafka error) without I/O, clocks or goroutines, so they are tested
// directly.
//
// Coordinator is the thin driver. A transactional id lives in partition
// abs(javaHashCode(id)) % transaction.state.log.num.partitions of
// __transaction_state (Kafka's formula), whose leader is its
// coordinator. The topic is created on first need (retention -1: there
// is no compaction yet). Each transition is written as Kafka's own
// records (kmsg TxnMetadataKey/TxnMetadataValue) through
// group.AppendReplicated (every in-sync replica has it) before it takes
// effect; a partition whose leadership changed is unloaded and replayed
// again. That bookkeeping, the replay loop and the topic's creation are
// internal/coordinator/partowner's, shared with the group coordinator
// (failover.go says what unloading does to transactional ids, load.go
// how a batch is replayed); the background goroutine's next deadline is
// an internal/coordinator/alarm. Ending a transaction writes
// PrepareCommit/PrepareAbort, then a control batch (record.EndTxnMarker)
// to every partition of the transaction, then CompleteCommit/
// CompleteAbort. A marker counts once every in-sync replica has it (the
// high watermark passed it, acks=all). markers.go routes each partition
// by its leader in the latest metadata image: those this broker leads
// are written directly, the others are sent as WriteTxnMarkers requests
// by marker_sender.go (one queue, goroutine and connection per
// destination broker, everything queued meanwhile batched into one
// request); retriable failures are retried with back-off and leaders
// resolved again, partitions of deleted topics are dropped, and the
// transaction stays in its Prepare state until every marker is
// acknowledged. A partition is loaded by replaying
// it the first time it is used and by the background goroutine, which
// also finishes transactions left in a Prepare state (after a restart or
// a failed marker write), aborts transactions past their
// transaction.timeout.ms (bumping the epoch, which fences the producer)
// and forgets ids idle for transactional.id.expiration.ms.
//
// # Concurrency
//
// Every exported method of Coordinator is safe for concurrent use. Each
// transactional id has a mutex, held across a whole transition including
// its writes and markers; the coordinator's mutex guards the id map and
// the loaded partitions (kept by its partowner.Owner, which takes that
// same mutex). Lock order: id → coordinator → alarm; the marker
// sender's mutex guards only its queue map and is taken with nothing
// else held by it. Markers to __consumer_offsets call Config.GroupMarker
// (with the id's lock held on the coordinator's own path; the group
// coordinator never calls back into this package). AppendMarker,
// AwaitMarker and WriteMarker (the WriteTxnMarkers handler's path) take
// no coordinator lock.
//
// # Goroutines
//
// One background goroutine (run) and one marker-sender goroutine per
// destination broker the coordinator has sent markers to, which owns its
// connection. Close stops them all (a request in flight is interrupted;
// its transaction stays in a Prepare state for the next coordinator).
//
// # Errors
//
// Requests answer Kafka error codes (kerr). ErrNotCoordinator becomes
// NOT_COORDINATOR; other internal errors (a failed write) are logged and
// answered COORDINATOR_NOT_AVAILABLE.
//
// # Limits
//
// KIP-890 transaction version 2 is not served. Produce verification
// (part 1) asks the coordinator when it is another broker
// (verify_remote.go); Verify, which serves verify_only and
// TxnOffsetCommit, answers only from this broker's state. Markers are
// not fenced by coordinator epoch at the destination.
package txn
