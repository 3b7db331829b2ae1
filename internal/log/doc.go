// Package log is the durable, segmented log of one partition replica.
//
// A Log owns one directory, <dataDir>/<topic>-<partition>/, laid out as
// Kafka lays it out: <base>.log segments holding v2 record batches byte for
// byte as received (base offset and leader epoch rewritten), sparse
// <base>.index and <base>.timeindex files, <base>.txnindex (aborted
// transactions), leader-epoch-checkpoint, and our own log-start-offset and
// <offset>.snapshot (producer state, open transactions) files. The log
// tracks transactions from their batches and markers: LastStableOffset,
// AbortedTxns and OngoingTxns answer read_committed fetches and admin.
// docs/storage.md describes the formats, recovery and durability.
//
// # Ownership
//
// Open returns a Log that owns every file in its directory until Close or
// Delete; nothing else may touch them. Append takes ownership of the batch
// slice it is given. Read returns a fresh slice the caller owns.
//
// # Concurrency
//
// Every method is safe for concurrent use. Append, TruncateTo,
// DeleteRecordsBefore, EnforceRetention, SetConfig, AssignEpochStartOffset,
// ExpireProducers and Close are serialized by Log.mu. Read,
// OffsetForTimestamp and MaxTimestamp take a snapshot of the segment list
// and committed sizes under Log.mu and then read files without it, so they
// run concurrently with Append and never see a partial batch. Flush fsyncs
// without holding Log.mu, so appends continue during an fsync; concurrent
// Flush callers share one fsync (group commit). The log starts no
// goroutines.
//
// Lock order: Log.mu, then Log.files, then Log.flush.mu. Log.files is an
// RWMutex held shared by readers and Flush while they use segment files
// without Log.mu, and exclusively (always while holding Log.mu) to close,
// remove or truncate segment files. Log.flush.mu is never held during I/O.
//
// # Durability
//
// Append writes but does not fsync. Flush(upTo) returns once offsets below
// upTo are on disk; DurableOffset says how far that is. The log fsyncs on
// its own only when it rolls a segment (the old segment and its indexes),
// at Close, and for its small metadata files (written atomically: tmp file,
// fsync, rename, directory fsync). The flush.messages/flush.ms policy is
// the caller's: it decides when to call Flush.
//
// # Errors
//
// Sentinels, checked with errors.Is: ErrOffsetOutOfRange,
// ErrOutOfOrderSequence, ErrInvalidProducerEpoch (idempotent producer
// fencing; nothing was written), ErrClosed, and ErrFailed (a write, fsync
// or truncation failed in a way that leaves the files in doubt: appends
// and flushes are refused until the log is reopened, which runs recovery).
// Corrupt bytes met by Read wrap record.ErrCorrupt. Other errors are I/O
// errors from the fs package, wrapped with the file involved.
package log
