// Package group is the group coordinator: Kafka's classic consumer group
// protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, static
// membership), KIP-848's consumer protocol (ConsumerGroupHeartbeat with
// server-side assignors) and committed offsets, stored in the internal
// topic __consumer_offsets.
//
// # Shape
//
// Classic is one group's state machine (Empty, PreparingRebalance,
// CompletingRebalance, Stable, Dead) as a pure value, in the manner of
// etcd's raft: every input (Join, Sync, Heartbeat, Leave, ValidateCommit,
// Tick) takes the current time and returns its immediate answer plus an
// Output: deferred JoinGroup/SyncGroup responses to deliver (identified by
// a Waiter) and whether the group's metadata must be stored. It starts no
// goroutine, reads no clock, draws no random number (the driver passes
// new member ids in) and does no I/O, so it is tested with a fake clock
// and no sleeps. NextDeadline says when Tick next has work.
//
// Consumer is a KIP-848 group in the same style: Heartbeat takes the time
// and a TopicSnapshot of the cluster's topics and returns the answer;
// it keeps the group epoch, the target assignment (computed by the
// uniform or range assignor, assign.go) and each member's reconciliation
// state, and withholds a partition from a member until its previous
// owner has revoked it. A group entry holds a Classic, plus a Consumer
// while the group is a consumer-protocol group; the two protocols do not
// share a group with members. A consumer group's state (group epoch,
// subscribed topics, members with their subscriptions, epochs and
// assignments, target assignment) is stored as Kafka's ConsumerGroup*
// records (key versions 3-8, consumer_codec.go): after every change the
// coordinator writes the difference from the records last written
// (consumer_store.go), and replay rebuilds the group, so members carry
// on after a restart with their member ids and epochs.
//
// Coordinator is the thin driver. It owns the groups of the
// __consumer_offsets partitions this broker leads (a group lives in
// partition abs(javaHashCode(group id)) % partitions, as in Kafka),
// creates the topic on first need, replays a partition the first time
// one of its groups is used (rebuilding groups and offsets), writes
// commits and group metadata as Kafka's own record schemas (kmsg
// OffsetCommitKey/Value, GroupMetadataKey/Value, and the ConsumerGroup*
// records of KIP-848 groups) through
// AppendReplicated (held by every in-sync replica before the answer, like
// an acks=all produce), unloads and reloads a partition whose leadership
// changed, delivers deferred responses after the write, and runs one
// goroutine: a timer for session and rebalance timeouts, and the
// offsets.retention.minutes expiry. The machinery it shares with the
// transaction coordinator lives in internal/coordinator: partowner keeps
// which partitions are loaded in which leader epoch, drives their replay
// (store.go rebuilds groups from each batch) and creates the topic;
// failover.go says what unloading does to groups; alarm is the timer
// goroutine's next deadline.
//
// Transactional offset commits (TxnOffsetCommit, txn_offsets.go) are
// written as a transactional batch of the producer and kept pending per
// __consumer_offsets partition and producer id until the transaction
// coordinator reports the marker (CompleteTxn): a COMMIT applies them, an
// ABORT drops them; replay does the same with the markers it meets.
// HasPendingTxn answers OffsetFetch's require_stable.
//
// # Concurrency
//
// Every exported method of Coordinator is safe for concurrent use. Each
// group has its own mutex, held while its state machine runs and while
// its records are written; the coordinator's mutex guards the group map
// and the set of loaded partitions (kept by its partowner.Owner, which
// takes that same mutex). Lock order: group → coordinator → alarm. Join and Sync return a Pending response; the caller waits on it
// with its request context (a connection that closes abandons it).
//
// # Errors
//
// Requests answer Kafka error codes (kerr). ErrNotCoordinator becomes
// NOT_COORDINATOR; any other internal error (a failed write) is logged and
// answered COORDINATOR_NOT_AVAILABLE, which clients retry after looking
// the coordinator up again.
package group
