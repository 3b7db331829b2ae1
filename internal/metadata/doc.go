// Package metadata keeps the cluster metadata (brokers, topics,
// partitions, topic IDs, config overrides, producer-ID blocks) as records
// in a Raft log (go.etcd.io/raft/v3) and applies them to a state machine.
//
// # Shape
//
// The state machine is pure: apply(image, record, index) returns a new
// Image and the record's result, or a validation error and the image
// unchanged; it does no I/O and uses no clock or randomness (random topic
// IDs and placement seeds are chosen by the proposer and carried in the
// record), so every node that applies the same log gets the same images.
// Partition leader elections are part of it: fence, shutdown, unfence and
// registration records move leaderships among ISR members, and
// alter_partition records (Node.AlterPartition, proposed by a partition's
// leader) change ISRs, fenced by leader and partition epochs
// (apply_partition.go, docs/replication.md). Partition reassignments
// (reassign_partition records, Node.ReassignPartition) add the target
// replicas and finish inside the state machine once every target replica
// is in the ISR (reassign.go). elect_leaders records (Node.ElectLeaders)
// run preferred and unclean elections with per-partition results, and
// the state machine elects uncleanly by itself where the image enables
// unclean.leader.election.enable (elect.go); the active controller's
// driver tick proposes preferred elections for imbalanced brokers and
// unclean ones under its static default (rebalance.go, Config.Balancing).
//
// A Node runs one driver goroutine that owns the raft.RawNode, its
// raft.MemoryStorage and the files under Config.Dir. It ticks Raft on a
// ticker, feeds it proposals, and handles each Ready in order: append the
// entries and hard state to the WAL and fsync, hand messages to the
// Transport, apply the committed entries, Advance, and every
// Config.SnapshotEvery applied entries write a snapshot and compact the
// WAL. Nothing is applied, and no proposal returns, before its entry is
// durable.
//
// # Concurrency
//
// Every exported method of Node is safe for concurrent use. Image returns
// an immutable snapshot of the state (published through an atomic
// pointer; apply copies on write), which readers use without locks and
// must not modify. Changed returns a channel closed at the next publish.
// Proposal methods (RegisterBroker, CreateTopic, ...) block until their
// record is committed and applied on this node, or their context ends.
//
// # Errors
//
// The state machine's validation errors (ErrTopicExists, ErrUnknownTopic,
// ErrInvalidPartitions, ErrInvalidReplicationFactor,
// ErrInvalidReplicaAssignment, ErrInvalidConfigResource, ErrInvalidRecord)
// come back wrapped from the proposal methods; test them with errors.Is.
// ErrNotLeader means this node cannot propose; ErrClosed that the node is
// closed, or that its driver stopped on a storage error, which the error
// then wraps too (after such an error the node must be restarted: its
// in-memory state may be ahead of its disk). ErrCorruption from Start
// means the files under Config.Dir are inconsistent beyond a torn WAL
// tail, which recovery cuts silently (it was never acknowledged).
//
// # Quorums
//
// A quorum of one (no Config.Voters) campaigns at Start and needs no
// transport. With several voters, every node bootstraps the same first
// snapshot (Config.Voters, Config.ClusterID), messages travel through
// Config.Transport and come in through Step, ReceiveHeartbeat and the
// Report methods (never blocking), and proposals work on every node:
// Raft forwards a follower's to the leader. Session is a broker's
// registration, heartbeats and controlled shutdown; with
// Config.SessionTimeout set, the leader fences brokers whose heartbeats
// stop (Broker.Fenced). See docs/metadata.md for the protocol, the storage
// format and the failure cases.
//
// # Membership
//
// A node started with Config.Learner (a broker-only node, or a controller
// not yet voting) joins as a Raft learner: it asks the voters
// (JoinRequest, through the transport; ReceiveJoin on their side), the
// leader adds it with a ConfChange carrying its Config.Addr, and it
// follows the log from the leader's snapshot without ever voting.
// AddVoter promotes a caught-up learner and RemoveVoter removes a member,
// one single-node ConfChange at a time, checked again when applied so
// every node accepts or rejects it alike (ErrDuplicateVoter,
// ErrUnknownMember, ErrLastVoter, ErrNotCaughtUp). Members' addresses are
// handed to the transport (Transport.SetPeer / RemovePeer) and kept in
// snapshots; QuorumStatus reports learners as Observers (membership.go).
//
// Goroutines: one driver per Node, and one per Session.
package metadata
