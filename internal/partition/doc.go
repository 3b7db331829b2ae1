// Package partition owns the replicas this broker hosts: for each, its log,
// leader epoch, high watermark and the notification that wakes fetches
// waiting for data.
//
// A replica's own log counts for the high watermark as far as it is as
// durable as the topic asks: with the default flush.messages=1 up to the
// fsynced offset (a consumer never sees a record a crash could take back);
// with a relaxed flush policy up to the log end offset. On a leader the
// high watermark is the minimum of that and the log end every other
// in-sync replica reported with its last fetch (UpdateFollower); on a
// follower it is the leader's as of the last fetch (FollowerAppended). A
// lone replica is its own ISR: the single-node case. replica.go and
// isr.go hold the replication state (leader, epochs, ISR, followers'
// progress, ISR decisions: ISRChange, acks=all: CheckProduce and
// WaitReplicated); see docs/replication.md. A follower refuses produce
// (ErrNotLeader); consumer reads only when the handler serves them as a
// follower (KIP-392: CheckFollowerRead, then Read/ReadCommitted, which
// stop at the follower's high watermark; the leader offers followers
// through ReadReplicas). Its log is written only by its fetcher
// (AppendReplicated, TruncateReplica, refused with ErrNotFollower once it
// no longer follows the fetcher's leader epoch).
//
// Offsets also carries the last stable offset (LSO, from the log's
// transaction state and the high watermark); ReadCommitted serves
// read_committed consumers below it, with the aborted transactions in
// range.
//
// A Partition is safe for concurrent use. Appends are serialized by its log.
// The Manager maps topic-partitions to Partitions and reconciles them with
// the applied metadata image (opening logs for new partitions, deleting the
// logs of deleted topics). Lock order: Manager.mu before Partition.mu; a
// Partition never calls back into the Manager. A Partition's replica state
// mutex (replica.go) is never held together with Partition.mu.
package partition
