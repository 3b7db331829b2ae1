package config

import (
	"errors"
	"strings"
)

// Topic is the resolved configuration of one topic: its overrides over the
// broker's (dynamic, then static) defaults. Each field names its property.
type Topic struct {
	CleanupPolicy               []string      // cleanup.policy
	CompressionType             string        // compression.type
	CompressionGzipLevel        int32         // compression.gzip.level
	CompressionLz4Level         int32         // compression.lz4.level
	CompressionZstdLevel        int32         // compression.zstd.level
	DeleteRetentionMs           int64         // delete.retention.ms
	FileDeleteDelayMs           int64         // file.delete.delay.ms
	FlushMessages               int64         // flush.messages; 1 = fsync before ack
	FlushMs                     int64         // flush.ms; math.MaxInt64 = never by time
	IndexIntervalBytes          int32         // index.interval.bytes
	LocalRetentionBytes         int64         // local.retention.bytes
	LocalRetentionMs            int64         // local.retention.ms
	MaxCompactionLagMs          int64         // max.compaction.lag.ms
	MaxMessageBytes             int32         // max.message.bytes
	MessageDownconversionEnable bool          // message.downconversion.enable
	MessageTimestampAfterMaxMs  int64         // message.timestamp.after.max.ms
	MessageTimestampBeforeMaxMs int64         // message.timestamp.before.max.ms
	MessageTimestampType        TimestampType // message.timestamp.type
	MinCleanableDirtyRatio      float64       // min.cleanable.dirty.ratio
	MinCompactionLagMs          int64         // min.compaction.lag.ms
	MinInsyncReplicas           int32         // min.insync.replicas
	Preallocate                 bool          // preallocate
	RemoteStorageEnable         bool          // remote.storage.enable
	RetentionBytes              int64         // retention.bytes; -1 = no limit
	RetentionMs                 int64         // retention.ms; -1 = for ever
	SegmentBytes                int32         // segment.bytes
	SegmentIndexBytes           int32         // segment.index.bytes
	SegmentJitterMs             int64         // segment.jitter.ms
	SegmentMs                   int64         // segment.ms
	UncleanLeaderElectionEnable bool          // unclean.leader.election.enable
}

// ValidateTopicConfigs checks a topic's config overrides (CreateTopics,
// AlterConfigs, IncrementalAlterConfigs after applying the operations).
// The error, an *Error for the first bad key in key order, wraps
// ErrUnknown, ErrInvalidValue or ErrNotSupported (cleanup.policy=compact,
// remote.storage.enable=true); all map to INVALID_CONFIG, and its text is
// meant for the client.
func ValidateTopicConfigs(m map[string]string) error {
	for _, k := range sortedKeys(m) {
		d, ok := topicIndex[k]
		if !ok {
			return &Error{Name: k, Value: m[k], Err: ErrUnknown}
		}
		if _, err := d.parse(m[k]); err != nil {
			return err
		}
	}
	return nil
}

// TopicConfig resolves a topic's configuration: each override in
// overrides, else the broker synonym's effective value (per-broker
// dynamic, cluster-wide dynamic, static, default), else the topic
// default. Overrides are validated before they reach the metadata log, so
// they are expected to be valid; an invalid or unknown one is skipped (the
// broker's value applies) and ResolveTopic reports it.
func (b *Broker) TopicConfig(overrides map[string]string) Topic {
	t, _ := b.ResolveTopic(overrides)
	return t
}

// ResolveTopic is TopicConfig that also returns the problems with the
// overrides (joined *Error values); the Topic is complete either way.
func (b *Broker) ResolveTopic(overrides map[string]string) (Topic, error) {
	var t Topic
	var errs []error
	for i := range topicDefs {
		d := &topicDefs[i]
		v, err := b.topicValue(d, overrides)
		if err != nil {
			errs = append(errs, err)
		}
		d.setTopic(&t, v)
	}
	for _, k := range sortedKeys(overrides) {
		if _, ok := topicIndex[k]; !ok {
			errs = append(errs, &Error{Name: k, Value: overrides[k], Err: ErrUnknown})
		}
	}
	return t, errors.Join(errs...)
}

// topicValue resolves one topic config. When the override is invalid it
// returns the inherited value and the override's error.
func (b *Broker) topicValue(d *Def, overrides map[string]string) (any, error) {
	var overrideErr error
	if raw, ok := overrides[d.Name]; ok {
		v, err := d.parse(raw)
		if err == nil {
			return v, nil
		}
		overrideErr = err
	}
	if d.BrokerSynonym != "" {
		bd := brokerIndex[d.BrokerSynonym]
		v, err := b.value(bd)
		if err != nil {
			return nil, errors.Join(overrideErr, err)
		}
		if v != nil {
			if v, err = convert(v, d.Type, 1); err == nil {
				return v, overrideErr
			}
			overrideErr = errors.Join(overrideErr, err)
		}
	}
	v, err := d.parse(d.Default)
	return v, errors.Join(overrideErr, err)
}

// AppendList is IncrementalAlterConfigs' APPEND on a LIST config: the
// elements of add not already in current are appended.
func AppendList(current, add string) string {
	cur := splitList(current)
	for _, e := range splitList(add) {
		if !containsString(cur, e) {
			cur = append(cur, e)
		}
	}
	return strings.Join(cur, ",")
}

// SubtractList is IncrementalAlterConfigs' SUBTRACT on a LIST config:
// every element of remove is taken out of current.
func SubtractList(current, remove string) string {
	rm := splitList(remove)
	var out []string
	for _, e := range splitList(current) {
		if !containsString(rm, e) {
			out = append(out, e)
		}
	}
	return strings.Join(out, ",")
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
