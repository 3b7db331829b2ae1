package record

import (
	"errors"
	"fmt"
)

// Sentinel errors; check with errors.Is. ErrCorrupt is in batch.go.
var (
	// ErrTruncated marks bytes that end inside a batch (a partial batch at
	// the end of a fetch or of a log segment). It wraps ErrCorrupt.
	ErrTruncated = fmt.Errorf("%w: truncated batch", ErrCorrupt)
	// ErrInvalidRecord marks a well-formed batch that a broker must refuse
	// at produce time (Kafka's INVALID_RECORD): a record count that does
	// not match the offset range, a control batch from a client, an
	// impossible producer id/epoch/sequence, a keyless record on a
	// compacted topic.
	ErrInvalidRecord = errors.New("invalid record")
	// ErrInvalidTimestamp marks a record timestamp outside
	// message.timestamp.before.max.ms / message.timestamp.after.max.ms
	// (Kafka's INVALID_TIMESTAMP).
	ErrInvalidTimestamp = errors.New("invalid timestamp")
	// ErrUnsupportedCompression marks a compression codec other than
	// none, gzip, snappy, lz4 and zstd (Kafka's
	// UNSUPPORTED_COMPRESSION_TYPE).
	ErrUnsupportedCompression = errors.New("unsupported compression type")
)

// RecordError is a produce-time error that Kafka reports per record
// (ProduceResponse record_errors, KIP-467). It unwraps to its Err
// (ErrInvalidRecord or ErrInvalidTimestamp).
type RecordError struct {
	// Index is the record's position in its batch (Kafka's batch_index),
	// or -1 when the error concerns the batch as a whole.
	Index int
	// Err is the sentinel.
	Err error
	// Message explains the error, for the response's error_message.
	Message string
}

func (e *RecordError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("%v: %s", e.Err, e.Message)
	}
	return fmt.Sprintf("%v: record %d: %s", e.Err, e.Index, e.Message)
}

func (e *RecordError) Unwrap() error { return e.Err }

func batchError(sentinel error, format string, args ...any) error {
	return &RecordError{Index: -1, Err: sentinel, Message: fmt.Sprintf(format, args...)}
}
