package handler

import (
	"errors"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// errorTable maps internal sentinel errors to Kafka error codes. It is the
// one place this mapping lives.
var errorTable = []struct {
	err  error
	code *kerr.Error
}{
	{record.ErrCorrupt, kerr.CorruptMessage},
	{record.ErrInvalidRecord, kerr.InvalidRecord},
	{record.ErrInvalidTimestamp, kerr.InvalidTimestamp},
	{record.ErrUnsupportedCompression, kerr.UnsupportedCompressionType},
	{partition.ErrMessageTooLarge, kerr.MessageTooLarge},
	{partition.ErrFencedLeaderEpoch, kerr.FencedLeaderEpoch},
	{partition.ErrUnknownLeaderEpoch, kerr.UnknownLeaderEpoch},
	{partition.ErrClosed, kerr.NotLeaderForPartition},
	{partition.ErrNotLeader, kerr.NotLeaderForPartition},
	{partition.ErrNotReplica, kerr.NotLeaderForPartition},
	{partition.ErrNotEnoughReplicas, kerr.NotEnoughReplicas},
	{partition.ErrNotEnoughReplicasAfterAppend, kerr.NotEnoughReplicasAfterAppend},
	{partition.ErrReplicationTimeout, kerr.RequestTimedOut},
	{log.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
	{log.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
	{log.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
	// A log that failed an fsync or is closing: retriable, so the client
	// refreshes metadata and retries (never UNKNOWN_SERVER_ERROR).
	{log.ErrFailed, kerr.NotLeaderForPartition},
	{log.ErrClosed, kerr.NotLeaderForPartition},
	{metadata.ErrTopicExists, kerr.TopicAlreadyExists},
	{metadata.ErrUnknownTopic, kerr.UnknownTopicOrPartition},
	{metadata.ErrInvalidPartitions, kerr.InvalidPartitions},
	{metadata.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
	{metadata.ErrInvalidReplicaAssignment, kerr.InvalidReplicaAssignment},
	{metadata.ErrNotLeader, kerr.NotController},
	{metadata.ErrElectionNotNeeded, kerr.ElectionNotNeeded},
	{metadata.ErrPreferredLeaderNotAvailable, kerr.PreferredLeaderNotAvailable},
	{metadata.ErrEligibleLeadersNotAvailable, kerr.EligibleLeadersNotAvailable},
	{metadata.ErrNoReassignmentInProgress, kerr.NoReassignmentInProgress},
}

// code maps err to a Kafka error code. An error with no mapping is logged
// and becomes fallback: callers pass a retriable code (KAFKA_STORAGE_ERROR,
// REQUEST_TIMED_OUT) on data paths, because UNKNOWN_SERVER_ERROR makes Java
// idempotent producers duplicate (KAFKA-14034).
func code(logger *slog.Logger, what string, err error, fallback *kerr.Error) int16 {
	if err == nil {
		return 0
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			return e.code.Code
		}
	}
	logger.Error("unexpected error", "in", what, "err", err, "answered", fallback.Message)
	return fallback.Code
}

// errAcksZeroFailed closes a connection whose acks=0 produce failed: with
// no response to carry the error, closing makes the client refresh its
// metadata, as Kafka does.
var errAcksZeroFailed = errors.New("acks=0 produce failed; closing the connection so the client refreshes metadata")
