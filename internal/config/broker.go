package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Broker is a broker's resolved configuration. Its exported fields are the
// effective values (after precedence and synonyms); each names the Kafka
// property it comes from. A Broker is immutable once Load or WithDynamic
// returns it, so it may be shared between goroutines freely; the zero
// value is not useful, get one from Load.
type Broker struct {
	NodeID                    int32    // node.id (or broker.id)
	ProcessRoles              []string // process.roles
	ControllerQuorumVoters    []string // controller.quorum.voters
	ControllerListenerNames   []string // controller.listener.names
	BrokerSessionTimeoutMs    int64    // broker.session.timeout.ms
	BrokerHeartbeatIntervalMs int64    // broker.heartbeat.interval.ms
	ClusterID                 string   // cluster.id; "" = generate on first start
	BrokerRack                string   // broker.rack; "" = none
	Listeners                 []string // listeners
	AdvertisedListeners       []string // advertised.listeners, defaulted from listeners
	LogDirs                   []string // log.dirs, else log.dir, else the default data dir

	// Leader balancing by the active controller.
	AutoLeaderRebalanceEnable           bool  // auto.leader.rebalance.enable
	LeaderImbalancePerBrokerPercentage  int32 // leader.imbalance.per.broker.percentage
	LeaderImbalanceCheckIntervalSeconds int64 // leader.imbalance.check.interval.seconds

	NumPartitions            int32 // num.partitions
	DefaultReplicationFactor int32 // default.replication.factor
	AutoCreateTopicsEnable   bool  // auto.create.topics.enable
	DeleteTopicEnable        bool  // delete.topic.enable

	LogCleanupPolicy               []string      // log.cleanup.policy
	LogRetentionMs                 int64         // log.retention.ms > .minutes > .hours; -1 = for ever
	LogRetentionBytes              int64         // log.retention.bytes; -1 = no limit
	LogSegmentBytes                int32         // log.segment.bytes
	LogRollMs                      int64         // log.roll.ms > log.roll.hours
	LogRollJitterMs                int64         // log.roll.jitter.ms > log.roll.jitter.hours
	LogRetentionCheckIntervalMs    int64         // log.retention.check.interval.ms
	LogIndexIntervalBytes          int32         // log.index.interval.bytes
	LogIndexSizeMaxBytes           int32         // log.index.size.max.bytes
	LogFlushIntervalMessages       int64         // log.flush.interval.messages; 1 = fsync before ack
	LogFlushIntervalMs             int64         // log.flush.interval.ms; math.MaxInt64 when unset
	LogSegmentDeleteDelayMs        int64         // log.segment.delete.delay.ms
	LogCleanerDeleteRetentionMs    int64         // log.cleaner.delete.retention.ms
	LogCleanerMinCompactionLagMs   int64         // log.cleaner.min.compaction.lag.ms
	LogCleanerMaxCompactionLagMs   int64         // log.cleaner.max.compaction.lag.ms
	LogCleanerMinCleanableRatio    float64       // log.cleaner.min.cleanable.ratio
	LogPreallocate                 bool          // log.preallocate
	LogMessageDownconversionEnable bool          // log.message.downconversion.enable
	LogLocalRetentionMs            int64         // log.local.retention.ms
	LogLocalRetentionBytes         int64         // log.local.retention.bytes
	MessageMaxBytes                int32         // message.max.bytes
	LogMessageTimestampType        TimestampType // log.message.timestamp.type
	LogMessageTimestampBeforeMaxMs int64         // log.message.timestamp.before.max.ms
	LogMessageTimestampAfterMaxMs  int64         // log.message.timestamp.after.max.ms
	MinInsyncReplicas              int32         // min.insync.replicas
	UncleanLeaderElectionEnable    bool          // unclean.leader.election.enable
	ReplicaLagTimeMaxMs            int64         // replica.lag.time.max.ms
	ReplicaSelectorClass           string        // replica.selector.class; "" = leader only
	CompressionType                string        // compression.type
	CompressionGzipLevel           int32         // compression.gzip.level
	CompressionLz4Level            int32         // compression.lz4.level
	CompressionZstdLevel           int32         // compression.zstd.level

	SocketRequestMaxBytes                int32 // socket.request.max.bytes
	ProducerIDExpirationMs               int32 // producer.id.expiration.ms
	TransactionalIDExpirationMs          int32 // transactional.id.expiration.ms
	TransactionMaxTimeoutMs              int32 // transaction.max.timeout.ms
	TransactionStateLogNumPartitions     int32 // transaction.state.log.num.partitions
	TransactionStateLogReplicationFactor int16 // transaction.state.log.replication.factor
	TransactionStateLogMinISR            int32 // transaction.state.log.min.isr
	OffsetsTopicNumPartitions            int32 // offsets.topic.num.partitions
	OffsetsTopicReplicationFactor        int16 // offsets.topic.replication.factor
	OffsetsRetentionMinutes              int32 // offsets.retention.minutes
	GroupInitialRebalanceDelayMs         int32 // group.initial.rebalance.delay.ms
	GroupMinSessionTimeoutMs             int32 // group.min.session.timeout.ms
	GroupMaxSessionTimeoutMs             int32 // group.max.session.timeout.ms

	GroupMaxSize                     int32    // group.max.size
	GroupConsumerSessionTimeoutMs    int32    // group.consumer.session.timeout.ms
	GroupConsumerHeartbeatIntervalMs int32    // group.consumer.heartbeat.interval.ms
	GroupConsumerAssignors           []string // group.consumer.assignors

	// The raw layers, by property name; never mutated after construction.
	static     map[string]string // file < env < flags
	dynDefault map[string]string // cluster-wide dynamic (metadata log, resource "")
	dynBroker  map[string]string // this broker's dynamic (metadata log, resource "<node id>")
	defaults   map[string]string // defaults computed at load (log.dir)
	hostname   string            // for advertised.listeners' default
}

// Load builds the static configuration of a broker from, in increasing
// precedence: the Java-style properties file (skipped when the path is
// ""), the environment (GREGOR_LOG_RETENTION_MS, KAFKA_LOG_RETENTION_MS,
// ...; see EnvName) and overrides (the command line's flags). env is a
// list of KEY=value as os.Environ returns; it also supplies XDG_DATA_HOME
// and HOME for the default data dir.
//
// Unknown properties are not errors: each gives a warning naming it and
// where it came from, for the caller to log. An invalid value is an error
// (wrapping an *Error) naming the property, the value, what is allowed and
// where it came from.
func Load(propertiesFile string, env []string, overrides map[string]string) (*Broker, []string, error) {
	return load(propertiesFile, env, overrides, os.Hostname)
}

func load(propertiesFile string, env []string, overrides map[string]string, hostname func() (string, error)) (*Broker, []string, error) {
	b := &Broker{static: map[string]string{}, defaults: map[string]string{"log.dir": defaultDataDir(env)}}
	b.hostname = "localhost"
	if h, err := hostname(); err == nil && h != "" {
		b.hostname = h
	}
	var layers []Property
	if propertiesFile != "" {
		data, err := os.ReadFile(propertiesFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read config file: %w", err)
		}
		props, err := ParseProperties(string(data))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", propertiesFile, err)
		}
		for _, p := range props {
			p.Origin = fmt.Sprintf("%s:%d", propertiesFile, p.Line)
			layers = append(layers, p)
		}
	}
	layers = append(layers, envProperties(env)...)
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		layers = append(layers, Property{Key: strings.TrimSpace(k), Value: overrides[k], Origin: "flag"})
	}
	var warnings []string
	for _, p := range layers {
		w, err := b.setStatic(p)
		if err != nil {
			return nil, warnings, err
		}
		if w != "" {
			warnings = append(warnings, w)
		}
	}
	if err := b.resolve(); err != nil {
		return nil, warnings, err
	}
	return b, warnings, nil
}

// setStatic validates one property and records it, or returns a warning
// when the name is unknown.
func (b *Broker) setStatic(p Property) (warning string, err error) {
	d, ok := brokerIndex[p.Key]
	if !ok {
		return unknownWarning(p), nil
	}
	if _, err := d.parse(p.Value); err != nil {
		return "", fmt.Errorf("%s: %w", p.Origin, err)
	}
	b.static[p.Key] = p.Value
	return "", nil
}

func unknownWarning(p Property) string {
	if t, ok := topicIndex[p.Key]; ok && t.BrokerSynonym != "" {
		return fmt.Sprintf("%s: %q is a topic config, ignored here; its broker-wide default is %s", p.Origin, p.Key, t.BrokerSynonym)
	}
	if why, ok := ignoredKafka[p.Key]; ok {
		return fmt.Sprintf("%s: Kafka property %q has no effect in Gregor (%s), ignored", p.Origin, p.Key, why)
	}
	return fmt.Sprintf("%s: unknown property %q ignored", p.Origin, p.Key)
}

// ignoredKafka are common server.properties entries that Gregor accepts
// silently but for a specific warning: they tune machinery Gregor does not
// have.
var ignoredKafka = map[string]string{
	"num.network.threads":                              "one goroutine per connection",
	"num.io.threads":                                   "one goroutine per connection",
	"num.recovery.threads.per.data.dir":                "recovery is per partition",
	"socket.send.buffer.bytes":                         "the OS default is used",
	"socket.receive.buffer.bytes":                      "the OS default is used",
	"listener.security.protocol.map":                   "the listener name is its protocol",
	"inter.broker.listener.name":                       "brokers use the first listener",
	"share.coordinator.state.topic.replication.factor": "share groups are not implemented",
	"share.coordinator.state.topic.min.isr":            "share groups are not implemented",
}

// defaultDataDir is $XDG_DATA_HOME/gregor, else $HOME/.local/share/gregor,
// else ./data, reading the variables from env.
func defaultDataDir(env []string) string {
	if x := lookupEnv(env, "XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "gregor")
	}
	if h := lookupEnv(env, "HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "gregor")
	}
	return "data"
}

func lookupEnv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val // the last one wins, as with os.Getenv
		}
	}
	return v
}

// WithDynamic returns a copy of b with the dynamic broker configs of the
// metadata log applied: clusterDefault (the cluster-wide ones, resource
// name "") and perBroker (this broker's). Precedence: per-broker dynamic >
// cluster-default dynamic > static > default. b's own dynamic layers are
// replaced, not merged. An unknown key, a key that is not dynamically
// updatable or an invalid value gives an error and no Broker.
func (b *Broker) WithDynamic(clusterDefault, perBroker map[string]string) (*Broker, error) {
	if err := ValidateDynamic(clusterDefault); err != nil {
		return nil, fmt.Errorf("cluster-wide dynamic config: %w", err)
	}
	if err := ValidateDynamic(perBroker); err != nil {
		return nil, fmt.Errorf("dynamic config of broker %d: %w", b.NodeID, err)
	}
	nb := *b
	nb.dynDefault = clone(clusterDefault)
	nb.dynBroker = clone(perBroker)
	if err := nb.resolve(); err != nil {
		return nil, err
	}
	return &nb, nil
}

// ValidateDynamic checks broker configs an AlterConfigs or
// IncrementalAlterConfigs request wants to set at run time: every key
// must be a known broker config (ErrUnknown) that is dynamically
// updatable (ErrReadOnly) with a valid value (ErrInvalidValue,
// ErrNotSupported). The first problem, in key order, is returned.
func ValidateDynamic(m map[string]string) error {
	for _, k := range sortedKeys(m) {
		d, ok := brokerIndex[k]
		if !ok {
			return &Error{Name: k, Value: m[k], Err: ErrUnknown}
		}
		if !d.Dynamic {
			return &Error{Name: k, Value: m[k], Err: ErrReadOnly}
		}
		if _, err := d.parse(m[k]); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// resolve fills the typed fields from the layers.
func (b *Broker) resolve() error {
	for i := range brokerDefs {
		d := &brokerDefs[i]
		if d.setBroker == nil {
			continue
		}
		v, err := b.value(d)
		if err != nil {
			return err
		}
		d.setBroker(b, v)
	}
	if b.AdvertisedListeners == nil {
		b.AdvertisedListeners = b.defaultAdvertised()
	}
	if len(b.LogDirs) == 0 {
		return &Error{Name: "log.dirs", Value: "", Reason: "at least one directory is needed", Err: ErrInvalidValue}
	}
	if b.GroupMinSessionTimeoutMs > b.GroupMaxSessionTimeoutMs {
		return &Error{Name: "group.min.session.timeout.ms", Value: fmt.Sprint(b.GroupMinSessionTimeoutMs),
			Reason: fmt.Sprintf("must not exceed group.max.session.timeout.ms (%d)", b.GroupMaxSessionTimeoutMs), Err: ErrInvalidValue}
	}
	return nil
}

// defaultAdvertised is listeners with a wildcard host replaced by the
// machine's hostname.
func (b *Broker) defaultAdvertised() []string {
	out := make([]string, 0, len(b.Listeners))
	for _, s := range b.Listeners {
		l, err := ParseListener(s)
		if err != nil { // validated already; keep it as written
			out = append(out, s)
			continue
		}
		if isWildcard(l.Host) {
			l.Host = b.hostname
		}
		out = append(out, l.String())
	}
	return out
}

// occurrence is one place a value of a config is set.
type occurrence struct {
	name   string
	raw    string
	source Source
	scale  int64
}

// occurrences lists where d (or one of its aliases) is set, highest
// precedence first: by source (dynamic per-broker, dynamic default,
// static, default), then by name (d before its aliases), as Kafka orders
// DescribeConfigs synonyms.
func (b *Broker) occurrences(d *Def) []occurrence {
	names := append([]alias{{name: d.Name, scale: 1}}, d.aliases...)
	layers := []struct {
		m   map[string]string
		src Source
	}{{b.dynBroker, SourceDynamicBroker}, {b.dynDefault, SourceDynamicDefaultBroker}, {b.static, SourceStaticBroker}}
	var out []occurrence
	for _, l := range layers {
		for _, a := range names {
			if v, ok := l.m[a.name]; ok {
				out = append(out, occurrence{a.name, v, l.src, a.scale})
			}
		}
	}
	for _, a := range names {
		if v, ok := b.defaultOf(a.name); ok {
			out = append(out, occurrence{a.name, v, SourceDefault, a.scale})
		}
	}
	return out
}

// defaultOf returns the default of a broker config as a property string.
func (b *Broker) defaultOf(name string) (string, bool) {
	if v, ok := b.defaults[name]; ok {
		return v, true
	}
	d, ok := brokerIndex[name]
	if !ok || d.NullDefault {
		return "", false
	}
	return d.Default, true
}

// value resolves d to a value of d's type, or nil when it is set nowhere
// and has no default.
func (b *Broker) value(d *Def) (any, error) {
	occ := b.occurrences(d)
	if len(occ) == 0 {
		return nil, nil
	}
	return occValue(d, occ[0])
}

func occValue(d *Def, o occurrence) (any, error) {
	od := brokerIndex[o.name]
	v, err := od.parse(o.raw)
	if err != nil {
		return nil, err
	}
	v, err = convert(v, d.Type, o.scale)
	if err != nil {
		return nil, &Error{Name: o.name, Value: o.raw, Reason: err.Error(), Err: ErrInvalidValue}
	}
	return v, nil
}
