package log

import (
	"errors"
	"log/slog"
	"math"
	"time"
)

// Sentinel errors. Check them with errors.Is; the returned errors wrap them
// with details.
var (
	// ErrOffsetOutOfRange: an offset below the log start offset or above
	// the log end offset (Kafka's OFFSET_OUT_OF_RANGE).
	ErrOffsetOutOfRange = errors.New("offset out of range")
	// ErrOutOfOrderSequence: an idempotent producer's batch does not
	// continue its sequence (OUT_OF_ORDER_SEQUENCE_NUMBER).
	ErrOutOfOrderSequence = errors.New("out of order sequence number")
	// ErrInvalidProducerEpoch: a batch from a producer epoch older than
	// the one the log knows (INVALID_PRODUCER_EPOCH).
	ErrInvalidProducerEpoch = errors.New("invalid producer epoch")
	// ErrClosed: the log was closed or deleted.
	ErrClosed = errors.New("log closed")
	// ErrFailed: an earlier write failed in a way that could not be undone
	// (the active segment may hold a partial batch); the log refuses
	// appends until it is reopened, which runs recovery.
	ErrFailed = errors.New("log failed after an I/O error; reopen to recover")
)

// Config is a partition log's configuration. Every field carries the Kafka
// topic property it implements.
type Config struct {
	// SegmentBytes is segment.bytes (default 1073741824). A segment rolls
	// before a batch would take it past this size. Values above MaxInt32
	// are clamped (index positions are 32-bit, as in Kafka).
	SegmentBytes int64
	// SegmentMs is segment.ms (default 604800000): a non-empty segment
	// whose first batch's max timestamp is older than this rolls.
	SegmentMs int64
	// RetentionMs is retention.ms (default 604800000, -1 unlimited).
	RetentionMs int64
	// RetentionBytes is retention.bytes (default -1, unlimited).
	RetentionBytes int64
	// IndexIntervalBytes is index.interval.bytes (default 4096): bytes
	// appended between two offset index entries (0: an entry per batch).
	IndexIntervalBytes int
	// MaxProducerIdleMs is producer.id.expiration.ms (default 86400000).
	MaxProducerIdleMs int64
	// FlushMessages is flush.messages. The log itself never fsyncs on its
	// own (except at roll, close and for metadata files): the caller
	// applies the policy by calling Flush. 1 (the default here, unlike
	// Kafka) means fsync before acknowledging.
	FlushMessages int64
	// FlushMs is flush.ms (default MaxInt64), for the caller's flusher.
	FlushMs int64
}

// DefaultConfig returns the defaults listed on Config's fields.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:       1073741824,
		SegmentMs:          604800000,
		RetentionMs:        604800000,
		RetentionBytes:     -1,
		IndexIntervalBytes: 4096,
		MaxProducerIdleMs:  86400000,
		FlushMessages:      1,
		FlushMs:            math.MaxInt64,
	}
}

// normalized replaces values the log cannot use with defaults.
func (c Config) normalized() Config {
	d := DefaultConfig()
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = d.SegmentBytes
	}
	if c.SegmentBytes > math.MaxInt32 {
		c.SegmentBytes = math.MaxInt32
	}
	if c.SegmentMs <= 0 {
		c.SegmentMs = d.SegmentMs
	}
	if c.IndexIntervalBytes < 0 {
		c.IndexIntervalBytes = d.IndexIntervalBytes
	}
	if c.MaxProducerIdleMs <= 0 {
		c.MaxProducerIdleMs = d.MaxProducerIdleMs
	}
	return c
}

// Options are the log's collaborators. The zero value works: slog.Default
// and time.Now.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
}

// AppendOptions are what the partition tells Append about a batch.
type AppendOptions struct {
	// LeaderEpoch is stamped into the batch's partition leader epoch
	// (negative: leave the batch's own value).
	LeaderEpoch int32
	// LogAppendTime: -1 keeps CreateTime; otherwise the batch becomes a
	// LogAppendTime batch with this max timestamp.
	LogAppendTime int64
}

// AppendResult describes an appended (or duplicate) batch.
type AppendResult struct {
	BaseOffset, LastOffset int64
	// LogAppendTime is the timestamp set by AppendOptions.LogAppendTime,
	// or -1 for CreateTime.
	LogAppendTime int64
	// Duplicate: the batch repeats one of the producer's last five
	// batches; nothing was written and the offsets are the original's.
	Duplicate bool
	// LogStartOffset is the log start offset after the append.
	LogStartOffset int64
}

// ProducerInfo describes one idempotent producer's state
// (DescribeProducers).
type ProducerInfo struct {
	ProducerID    int64
	ProducerEpoch int16
	// LastSequence is the last sequence appended, -1 if none is known.
	LastSequence int32
	// LastTimestamp is the max timestamp of the producer's last batch.
	LastTimestamp int64
	// TxnStartOffset is the first offset of the producer's open
	// transaction, -1 if none.
	TxnStartOffset int64
}
