package config

import (
	"errors"
	"fmt"
	"math"
)

// brokerDefs is the table of every broker property Gregor understands.
// Order is the order of DescribeConfigs and of docs/configuration.md.
var brokerDefs = []Def{
	// Identity and cluster.
	{Name: "node.id", Type: TypeInt, Default: "1", KafkaDefault: "(required)", Why: "a single node starts with no configuration",
		Doc:     "The id of this node, unique in the cluster. broker.id is accepted as a legacy synonym.",
		aliases: []alias{{name: "broker.id"}}, valid: atLeast(0), setBroker: bfield(func(b *Broker) *int32 { return &b.NodeID })},
	{Name: "broker.id", Type: TypeInt, NullDefault: true,
		Doc: "Legacy synonym of node.id (used when node.id is not set).", valid: atLeast(0)},
	{Name: "process.roles", Type: TypeList, Default: "broker,controller", KafkaDefault: "(required)", Why: "one binary runs a combined node by default",
		Doc: "The roles of this node: broker, controller or both.", valid: listOf("broker", "controller"),
		setBroker: bfield(func(b *Broker) *[]string { return &b.ProcessRoles })},
	{Name: "controller.quorum.voters", Type: TypeList, Default: "",
		Doc: "The metadata quorum's voters as id@host:port,...; empty means this node alone.", valid: voters(),
		setBroker: bfield(func(b *Broker) *[]string { return &b.ControllerQuorumVoters })},
	{Name: "controller.listener.names", Type: TypeList, Default: "CONTROLLER",
		Doc:   "The names of the listeners in listeners that carry the metadata quorum's traffic between controllers (not the Kafka protocol). With voters configured and no such listener, the node listens on its own address in controller.quorum.voters.",
		valid: nonEmptyList("listener names"), setBroker: bfield(func(b *Broker) *[]string { return &b.ControllerListenerNames })},
	{Name: "broker.session.timeout.ms", Type: TypeLong, Default: "9000",
		Doc:   "How long the active controller waits for a broker's heartbeat before it fences the broker (drops it from Metadata's broker list). Only in a quorum of more than one voter.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int64 { return &b.BrokerSessionTimeoutMs })},
	{Name: "broker.heartbeat.interval.ms", Type: TypeLong, Default: "2000",
		Doc:   "How often a broker sends a heartbeat to the active controller.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int64 { return &b.BrokerHeartbeatIntervalMs })},
	{Name: "auto.leader.rebalance.enable", Type: TypeBoolean, Default: "true",
		Doc:       "The active controller moves leadership back to preferred replicas (the first of each assignment) when a broker's share of partitions it should lead but does not exceeds leader.imbalance.per.broker.percentage, checked every leader.imbalance.check.interval.seconds.",
		setBroker: bfield(func(b *Broker) *bool { return &b.AutoLeaderRebalanceEnable })},
	{Name: "leader.imbalance.per.broker.percentage", Type: TypeInt, Default: "10",
		Doc:   "The percentage of a broker's preferred partitions led by another broker above which the controller runs preferred elections for them.",
		valid: between(0, 100), setBroker: bfield(func(b *Broker) *int32 { return &b.LeaderImbalancePerBrokerPercentage })},
	{Name: "leader.imbalance.check.interval.seconds", Type: TypeLong, Default: "300",
		Doc:   "How often the active controller checks the leader imbalance.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int64 { return &b.LeaderImbalanceCheckIntervalSeconds })},
	{Name: "cluster.id", Type: TypeString, NullDefault: true,
		Doc:   "Gregor extension: the cluster id to format a new data dir with (Kafka takes it from kafka-storage format). Unset: a random id is generated on first start; ignored once the data dir is formatted.",
		valid: clusterID(), setBroker: bfield(func(b *Broker) *string { return &b.ClusterID })},
	{Name: "broker.rack", Type: TypeString, NullDefault: true,
		Doc:       "The rack of this broker, used for rack-aware replica placement and returned in Metadata.",
		setBroker: bfield(func(b *Broker) *string { return &b.BrokerRack })},
	{Name: "listeners", Type: TypeList, Default: "PLAINTEXT://localhost:9092", KafkaDefault: "PLAINTEXT://:9092", Why: "not reachable from the network until asked",
		Doc:   "The addresses to listen on, NAME://host:port,...; an empty host or 0.0.0.0 listens on every interface, port 0 picks a free port.",
		valid: listeners(false), setBroker: bfield(func(b *Broker) *[]string { return &b.Listeners })},
	{Name: "advertised.listeners", Type: TypeList, NullDefault: true,
		Doc:   "The addresses given to clients in Metadata. Unset: listeners, with an empty or 0.0.0.0 host replaced by the machine's hostname.",
		valid: listeners(true), setBroker: func(b *Broker, v any) { b.AdvertisedListeners, _ = v.([]string) }},
	{Name: "log.dirs", Type: TypeList, NullDefault: true,
		Doc: "The directories holding the data (Gregor supports one). Unset: log.dir.", aliases: []alias{{name: "log.dir"}},
		valid: nonEmptyList("directories"), setBroker: bfield(func(b *Broker) *[]string { return &b.LogDirs })},
	{Name: "log.dir", Type: TypeString, Default: "$XDG_DATA_HOME/gregor, else $HOME/.local/share/gregor, else ./data", KafkaDefault: "/tmp/kafka-logs", Why: "/tmp is wiped on reboot",
		Doc: "The data directory, used when log.dirs is not set."},

	// Topic creation.
	{Name: "num.partitions", Type: TypeInt, Default: "1", Doc: "The number of partitions of a topic created without one (auto-created or -1).",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.NumPartitions })},
	{Name: "default.replication.factor", Type: TypeInt, Default: "1", Doc: "The replication factor of a topic created without one.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.DefaultReplicationFactor })},
	{Name: "auto.create.topics.enable", Type: TypeBoolean, Default: "true", Doc: "Create a topic when a client asks Metadata for it and allows auto-creation.",
		setBroker: bfield(func(b *Broker) *bool { return &b.AutoCreateTopicsEnable })},
	{Name: "delete.topic.enable", Type: TypeBoolean, Default: "true", Doc: "Allow DeleteTopics; when false it fails with TOPIC_DELETION_DISABLED.",
		setBroker: bfield(func(b *Broker) *bool { return &b.DeleteTopicEnable })},

	// Log: defaults of the topic configs (each is a topic config's broker synonym).
	{Name: "log.cleanup.policy", Type: TypeList, Default: "delete", Dynamic: true, Doc: "Default cleanup.policy: delete old segments (compact is not implemented yet).",
		valid: cleanupPolicy(), setBroker: bfield(func(b *Broker) *[]string { return &b.LogCleanupPolicy })},
	{Name: "log.retention.ms", Type: TypeLong, NullDefault: true, Dynamic: true,
		Doc:     "Default retention.ms: how long to keep a segment, -1 for ever. Unset: log.retention.minutes, then log.retention.hours.",
		aliases: []alias{{"log.retention.minutes", 60000}, {"log.retention.hours", 3600000}}, valid: atLeast(-1),
		setBroker: func(b *Broker, v any) { b.LogRetentionMs = retention(v) }},
	{Name: "log.retention.minutes", Type: TypeInt, NullDefault: true, Doc: "log.retention.ms in minutes (used when log.retention.ms is not set).",
		aliases: []alias{{"log.retention.hours", 60}}, valid: atLeast(-1)},
	{Name: "log.retention.hours", Type: TypeInt, Default: "168", Doc: "log.retention.ms in hours (used when neither log.retention.ms nor log.retention.minutes is set).", valid: atLeast(-1)},
	{Name: "log.retention.bytes", Type: TypeLong, Default: "-1", Dynamic: true, Doc: "Default retention.bytes: the size a partition may grow to before old segments are deleted, -1 for no limit.",
		setBroker: bfield(func(b *Broker) *int64 { return &b.LogRetentionBytes })},
	{Name: "log.segment.bytes", Type: TypeInt, Default: "1073741824", Dynamic: true, Doc: "Default segment.bytes: the size at which a new segment is rolled.",
		valid: atLeast(14), setBroker: bfield(func(b *Broker) *int32 { return &b.LogSegmentBytes })},
	{Name: "log.roll.ms", Type: TypeLong, NullDefault: true, Dynamic: true, Doc: "Default segment.ms: the age at which a new segment is rolled. Unset: log.roll.hours.",
		aliases: []alias{{"log.roll.hours", 3600000}}, valid: atLeast(1), setBroker: bfield(func(b *Broker) *int64 { return &b.LogRollMs })},
	{Name: "log.roll.hours", Type: TypeInt, Default: "168", Doc: "log.roll.ms in hours.", valid: atLeast(1)},
	{Name: "log.roll.jitter.ms", Type: TypeLong, NullDefault: true, Dynamic: true, Doc: "Default segment.jitter.ms. Unset: log.roll.jitter.hours.",
		aliases: []alias{{"log.roll.jitter.hours", 3600000}}, valid: atLeast(0), setBroker: bfield(func(b *Broker) *int64 { return &b.LogRollJitterMs })},
	{Name: "log.roll.jitter.hours", Type: TypeInt, Default: "0", Doc: "log.roll.jitter.ms in hours.", valid: atLeast(0)},
	{Name: "log.retention.check.interval.ms", Type: TypeLong, Default: "300000", Doc: "How often the broker checks for segments to delete.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int64 { return &b.LogRetentionCheckIntervalMs })},
	{Name: "log.index.interval.bytes", Type: TypeInt, Default: "4096", Dynamic: true, Doc: "Default index.interval.bytes: bytes of batches between two offset-index entries.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int32 { return &b.LogIndexIntervalBytes })},
	{Name: "log.index.size.max.bytes", Type: TypeInt, Default: "10485760", Dynamic: true, Doc: "Default segment.index.bytes: the maximum size of an offset index.",
		valid: atLeast(4), setBroker: bfield(func(b *Broker) *int32 { return &b.LogIndexSizeMaxBytes })},
	{Name: "log.flush.interval.messages", Type: TypeLong, Default: "1", KafkaDefault: "9223372036854775807",
		Why:     "fsync before acknowledging: a produce with acks!=0 is answered only after its batch is on disk (group commit); set Kafka's value to leave flushing to the OS",
		Dynamic: true, Doc: "Default flush.messages: fsync after this many messages; 1 means before every acknowledgement.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int64 { return &b.LogFlushIntervalMessages })},
	{Name: "log.flush.interval.ms", Type: TypeLong, NullDefault: true, Dynamic: true, Doc: "Default flush.ms: fsync at least this often. Unset: no time-based flush (9223372036854775807).",
		valid: atLeast(0), setBroker: func(b *Broker, v any) { b.LogFlushIntervalMs = orMax(v) }},
	{Name: "log.segment.delete.delay.ms", Type: TypeLong, Default: "60000", Dynamic: true, Doc: "Default file.delete.delay.ms: how long a deleted segment's files linger before removal.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int64 { return &b.LogSegmentDeleteDelayMs })},
	{Name: "log.cleaner.delete.retention.ms", Type: TypeLong, Default: "86400000", Dynamic: true, Doc: "Default delete.retention.ms (compacted topics: how long tombstones are kept).",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int64 { return &b.LogCleanerDeleteRetentionMs })},
	{Name: "log.cleaner.min.compaction.lag.ms", Type: TypeLong, Default: "0", Dynamic: true, Doc: "Default min.compaction.lag.ms.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int64 { return &b.LogCleanerMinCompactionLagMs })},
	{Name: "log.cleaner.max.compaction.lag.ms", Type: TypeLong, Default: "9223372036854775807", Dynamic: true, Doc: "Default max.compaction.lag.ms.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int64 { return &b.LogCleanerMaxCompactionLagMs })},
	{Name: "log.cleaner.min.cleanable.ratio", Type: TypeDouble, Default: "0.5", Dynamic: true, Doc: "Default min.cleanable.dirty.ratio.",
		valid: ratio(), setBroker: bfield(func(b *Broker) *float64 { return &b.LogCleanerMinCleanableRatio })},
	{Name: "log.preallocate", Type: TypeBoolean, Default: "false", Dynamic: true, Doc: "Default preallocate: preallocate segment files.",
		setBroker: bfield(func(b *Broker) *bool { return &b.LogPreallocate })},
	{Name: "log.message.downconversion.enable", Type: TypeBoolean, Default: "true", Dynamic: true, Doc: "Default message.downconversion.enable (removed in Kafka 4.0; accepted for old configs, Gregor never down-converts).",
		setBroker: bfield(func(b *Broker) *bool { return &b.LogMessageDownconversionEnable })},
	{Name: "log.local.retention.ms", Type: TypeLong, Default: "-2", Dynamic: true, Doc: "Default local.retention.ms (tiered storage; -2 means retention.ms).",
		valid: atLeast(-2), setBroker: bfield(func(b *Broker) *int64 { return &b.LogLocalRetentionMs })},
	{Name: "log.local.retention.bytes", Type: TypeLong, Default: "-2", Dynamic: true, Doc: "Default local.retention.bytes (tiered storage; -2 means retention.bytes).",
		valid: atLeast(-2), setBroker: bfield(func(b *Broker) *int64 { return &b.LogLocalRetentionBytes })},
	{Name: "message.max.bytes", Type: TypeInt, Default: "1048588", Dynamic: true, Doc: "Default max.message.bytes: the largest record batch a topic accepts.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int32 { return &b.MessageMaxBytes })},
	{Name: "log.message.timestamp.type", Type: TypeString, Default: "CreateTime", Dynamic: true, Doc: "Default message.timestamp.type: CreateTime keeps the producer's timestamps, LogAppendTime stamps the broker's clock.",
		valid: oneOf("CreateTime", "LogAppendTime"), setBroker: func(b *Broker, v any) { b.LogMessageTimestampType = timestampType(v) }},
	{Name: "log.message.timestamp.before.max.ms", Type: TypeLong, Default: "9223372036854775807", Dynamic: true, Doc: "Default message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int64 { return &b.LogMessageTimestampBeforeMaxMs })},
	{Name: "log.message.timestamp.after.max.ms", Type: TypeLong, Default: "3600000", Dynamic: true, Doc: "Default message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int64 { return &b.LogMessageTimestampAfterMaxMs })},
	{Name: "min.insync.replicas", Type: TypeInt, Default: "1", Dynamic: true, Doc: "Default min.insync.replicas: the ISR size an acks=all produce needs.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.MinInsyncReplicas })},
	{Name: "replica.lag.time.max.ms", Type: TypeLong, Default: "30000", Doc: "How long a follower may go without catching up to the leader's log end before the leader removes it from the ISR.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int64 { return &b.ReplicaLagTimeMaxMs })},
	{Name: "replica.selector.class", Type: TypeString, NullDefault: true,
		Doc:   "How a partition leader picks the replica a consumer should fetch from (KIP-392). Unset: consumers fetch from the leader. " + RackAwareReplicaSelector + " (or its short form " + RackAwareAlias + "): a consumer whose Fetch (v11+) carries a client.rack is sent to a live in-sync replica in that rack; a broker with this set also serves consumer fetches for the partitions it follows, up to its high watermark.",
		valid: replicaSelector(), setBroker: bfield(func(b *Broker) *string { return &b.ReplicaSelectorClass })},
	{Name: "unclean.leader.election.enable", Type: TypeBoolean, Default: "false", Dynamic: true, Doc: "Default unclean.leader.election.enable: let an out-of-sync replica become leader (loses data).",
		setBroker: bfield(func(b *Broker) *bool { return &b.UncleanLeaderElectionEnable })},
	{Name: "compression.type", Type: TypeString, Default: "producer", Dynamic: true, Doc: "Default compression.type of topics.",
		valid: compressionType(), setBroker: bfield(func(b *Broker) *string { return &b.CompressionType })},
	{Name: "compression.gzip.level", Type: TypeInt, Default: "-1", Dynamic: true, Doc: "Default compression.gzip.level.",
		valid: gzipLevel(), setBroker: bfield(func(b *Broker) *int32 { return &b.CompressionGzipLevel })},
	{Name: "compression.lz4.level", Type: TypeInt, Default: "9", Dynamic: true, Doc: "Default compression.lz4.level.",
		valid: between(1, 17), setBroker: bfield(func(b *Broker) *int32 { return &b.CompressionLz4Level })},
	{Name: "compression.zstd.level", Type: TypeInt, Default: "3", Dynamic: true, Doc: "Default compression.zstd.level.",
		valid: between(-131072, 22), setBroker: bfield(func(b *Broker) *int32 { return &b.CompressionZstdLevel })},

	// Server, producers, groups, transactions.
	{Name: "socket.request.max.bytes", Type: TypeInt, Default: "104857600", Doc: "The largest request frame the broker reads; a larger one closes the connection.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.SocketRequestMaxBytes })},
	{Name: "producer.id.expiration.ms", Type: TypeInt, Default: "86400000", Dynamic: true, Doc: "How long an idle producer id's state is kept.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.ProducerIDExpirationMs })},
	{Name: "transactional.id.expiration.ms", Type: TypeInt, Default: "604800000", Doc: "How long an unused transactional id is kept.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.TransactionalIDExpirationMs })},
	{Name: "transaction.max.timeout.ms", Type: TypeInt, Default: "900000", Doc: "The largest transaction timeout a producer may ask for (InitProducerId gets INVALID_TRANSACTION_TIMEOUT above it).",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.TransactionMaxTimeoutMs })},
	{Name: "transaction.state.log.num.partitions", Type: TypeInt, Default: "50", Doc: "Partitions of __transaction_state.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.TransactionStateLogNumPartitions })},
	{Name: "transaction.state.log.replication.factor", Type: TypeShort, Default: "3", Doc: "Replication factor of __transaction_state.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int16 { return &b.TransactionStateLogReplicationFactor })},
	{Name: "transaction.state.log.min.isr", Type: TypeInt, Default: "2", Doc: "min.insync.replicas of __transaction_state.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.TransactionStateLogMinISR })},
	{Name: "offsets.topic.num.partitions", Type: TypeInt, Default: "50", Doc: "Partitions of __consumer_offsets (cannot change once it exists).",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.OffsetsTopicNumPartitions })},
	{Name: "offsets.topic.replication.factor", Type: TypeShort, Default: "3", Doc: "Replication factor of __consumer_offsets.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int16 { return &b.OffsetsTopicReplicationFactor })},
	{Name: "offsets.retention.minutes", Type: TypeInt, Default: "10080", Doc: "How long committed offsets of an empty group are kept.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.OffsetsRetentionMinutes })},
	{Name: "group.initial.rebalance.delay.ms", Type: TypeInt, Default: "3000", Doc: "How long a new classic group waits for more members before its first rebalance.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int32 { return &b.GroupInitialRebalanceDelayMs })},
	{Name: "group.min.session.timeout.ms", Type: TypeInt, Default: "6000", Doc: "The smallest session timeout a classic group member may ask for.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int32 { return &b.GroupMinSessionTimeoutMs })},
	{Name: "group.max.session.timeout.ms", Type: TypeInt, Default: "1800000", Doc: "The largest session timeout a classic group member may ask for.",
		valid: atLeast(0), setBroker: bfield(func(b *Broker) *int32 { return &b.GroupMaxSessionTimeoutMs })},
	{Name: "group.max.size", Type: TypeInt, Default: "2147483647", Doc: "The most members a group (classic or consumer protocol) may have; a member beyond it gets GROUP_MAX_SIZE_REACHED.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.GroupMaxSize })},
	{Name: "group.consumer.session.timeout.ms", Type: TypeInt, Default: "45000", Doc: "How long a consumer-protocol (KIP-848) member may go without a ConsumerGroupHeartbeat before it is removed from its group.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.GroupConsumerSessionTimeoutMs })},
	{Name: "group.consumer.heartbeat.interval.ms", Type: TypeInt, Default: "5000", Doc: "The heartbeat interval given to consumer-protocol (KIP-848) members in ConsumerGroupHeartbeat responses.",
		valid: atLeast(1), setBroker: bfield(func(b *Broker) *int32 { return &b.GroupConsumerHeartbeatIntervalMs })},
	{Name: "group.consumer.assignors", Type: TypeList, Default: "uniform,range", KafkaDefault: "org.apache.kafka.coordinator.group.assignor.UniformAssignor,org.apache.kafka.coordinator.group.assignor.RangeAssignor", Why: "only the built-in assignors exist; their short names (which Kafka also accepts) are used",
		Doc:   "The server-side assignors of consumer-protocol (KIP-848) groups; the first is used when a member names none. Kafka's class names of the built-in assignors are accepted as synonyms of uniform and range.",
		valid: assignors(), setBroker: func(b *Broker, v any) { b.GroupConsumerAssignors = shortAssignors(v) }},
}

var compressionTypes = oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")

// retention normalizes a retention time: any negative value means "for
// ever", -1.
func retention(v any) int64 {
	n, _ := v.(int64)
	if n < 0 {
		return -1
	}
	return n
}

// orMax is a LONG whose null means "never", math.MaxInt64.
func orMax(v any) int64 {
	if n, ok := v.(int64); ok {
		return n
	}
	return math.MaxInt64
}

func timestampType(v any) TimestampType {
	if s, _ := v.(string); s == "LogAppendTime" {
		return LogAppendTime
	}
	return CreateTime
}

// assignorClasses maps Kafka's class names of the built-in server-side
// assignors to their short names.
var assignorClasses = map[string]string{
	"org.apache.kafka.coordinator.group.assignor.UniformAssignor": "uniform",
	"org.apache.kafka.coordinator.group.assignor.RangeAssignor":   "range",
}

// shortAssignors returns a group.consumer.assignors value with class names
// replaced by short names.
func shortAssignors(v any) []string {
	l, _ := v.([]string)
	out := make([]string, 0, len(l))
	for _, a := range l {
		if s, ok := assignorClasses[a]; ok {
			a = s
		}
		out = append(out, a)
	}
	return out
}

// assignors validates group.consumer.assignors: a non-empty list of
// uniform and range (or their Kafka class names).
func assignors() *validator {
	return &validator{desc: "a non-empty list of uniform, range", check: func(v any) error {
		l := shortAssignors(v)
		if len(l) == 0 {
			return errors.New("must name at least one assignor (uniform, range)")
		}
		for _, a := range l {
			if a != "uniform" && a != "range" {
				return fmt.Errorf("unknown assignor %q (custom server-side assignors are not supported; use uniform or range)", a)
			}
		}
		return nil
	}}
}
