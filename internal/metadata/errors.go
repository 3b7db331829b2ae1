package metadata

import "errors"

// Validation errors returned by the state machine (and so by the proposal
// methods of Node). Check them with errors.Is; the returned error usually
// wraps one of them with detail.
var (
	// ErrTopicExists: a topic with that name (or topic ID) already exists.
	ErrTopicExists = errors.New("metadata: topic already exists")
	// ErrUnknownTopic: no topic has that name.
	ErrUnknownTopic = errors.New("metadata: unknown topic")
	// ErrInvalidPartitions: a partition count that is not positive, or
	// (CreatePartitions) not above the current count.
	ErrInvalidPartitions = errors.New("metadata: invalid number of partitions")
	// ErrInvalidReplicationFactor: a replication factor that is not
	// positive or exceeds the number of registered brokers.
	ErrInvalidReplicationFactor = errors.New("metadata: invalid replication factor")
	// ErrInvalidReplicaAssignment: explicit assignments that name an
	// unregistered broker, repeat a broker in one partition, have
	// partitions of different sizes or do not match the partition count.
	ErrInvalidReplicaAssignment = errors.New("metadata: invalid replica assignment")
	// ErrInvalidConfigResource: a config resource of an unknown type or a
	// broker resource whose name is neither "" nor a decimal broker id.
	ErrInvalidConfigResource = errors.New("metadata: invalid config resource")
	// ErrInvalidRecord: a record the state machine cannot apply (missing
	// fields, a zero topic ID, a non-positive producer-ID count, an
	// unknown record type or version).
	ErrInvalidRecord = errors.New("metadata: invalid record")
	// ErrStaleBrokerEpoch: a fence, unfence or shutdown record names a
	// broker incarnation that is no longer the registered one (or a
	// broker that is not registered).
	ErrStaleBrokerEpoch = errors.New("metadata: stale broker epoch")
	// ErrFencedLeaderEpoch: an alter_partition record from a broker that
	// no longer leads the partition, or leads it in another epoch.
	ErrFencedLeaderEpoch = errors.New("metadata: fenced leader epoch")
	// ErrStalePartitionEpoch: an alter_partition record based on an older
	// partition epoch (another ISR or leader change came first).
	ErrStalePartitionEpoch = errors.New("metadata: stale partition epoch")
	// ErrInvalidISR: an ISR that leaves out the leader, names a broker
	// that is not a replica (or twice), or adds a fenced broker.
	ErrInvalidISR = errors.New("metadata: invalid ISR")
)

// Node errors.
var (
	// ErrNotLeader: this node is not the Raft leader, so it cannot propose;
	// the caller should retry against the controller.
	ErrNotLeader = errors.New("metadata: not the leader")
	// ErrClosed: the node is closed (or its driver stopped after a fatal
	// storage error, which the returned error also carries).
	ErrClosed = errors.New("metadata: node closed")
	// ErrCorruption: the on-disk state under Config.Dir is inconsistent in
	// a way a torn tail does not explain (a bad snapshot, a WAL whose
	// entries do not follow the snapshot, a foreign node id).
	ErrCorruption = errors.New("metadata: corrupt storage")
)
