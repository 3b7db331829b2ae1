// Package record reads, validates and writes Kafka v2 record batches (magic
// 2), the unit in which Gregor receives, stores and serves data.
//
// A batch is kept as the raw bytes a producer sent. This package reads its
// fixed 61-byte header in place (ParseHeader), checks its CRC-32C
// (Validate) and Kafka's produce-time rules (ValidateProduce), and rewrites
// the few header fields the broker owns (base offset, partition leader
// epoch, max timestamp and timestamp type for LogAppendTime) without
// touching records. Iterating records (Records), which may need
// decompression, is separate and only done when a validation needs it.
// Build writes a batch (tests, benchmarks, the broker's own control
// batches); Split cuts a concatenation of batches.
//
// Layout (big-endian):
//
//	offset  size  field
//	0       8     base offset
//	8       4     batch length (bytes after this field)
//	12      4     partition leader epoch
//	16      1     magic (2)
//	17      4     CRC-32C of bytes 21..end
//	21      2     attributes
//	23      4     last offset delta
//	27      8     base timestamp
//	35      8     max timestamp
//	43      8     producer id
//	51      2     producer epoch
//	53      4     base sequence
//	57      4     record count
//	61      ...   records (compressed as a whole by the codec in attributes)
//
// Each record: varint length, int8 attributes, varlong timestamp delta,
// varint offset delta, varint key length (-1: null) and key, varint value
// length and value, varint header count, and per header a varint key
// length and key, varint value length (-1: null) and value. Varints are
// zigzag, as encoding/binary.Varint.
//
// Compression: gzip, snappy (raw blocks or the xerial framing that Java
// producers send), lz4 (frame format) and zstd are read; Decompress bounds
// the output (a zip-bomb guard) and Compress writes the same codecs.
//
// Errors are sentinels checked with errors.Is: ErrCorrupt (bytes that are
// not a valid batch; ErrTruncated wraps it for a batch cut short),
// ErrInvalidRecord, ErrInvalidTimestamp and ErrUnsupportedCompression
// (Kafka's INVALID_RECORD, INVALID_TIMESTAMP, UNSUPPORTED_COMPRESSION_TYPE;
// ValidateProduce returns them as *RecordError carrying the record index
// for ProduceResponse record_errors). Nothing here panics on any input.
//
// Concurrency and ownership: functions hold no state beyond pools of
// (de)compressors and are safe to call concurrently. Functions never
// retain their input; decoded records and split batches alias the input
// (or a fresh decompression buffer), so the caller must not modify the
// input while using them.
package record
