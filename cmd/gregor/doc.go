// Command gregor is the one Gregor binary: `gregor serve` runs a broker, and
// the client subcommands (topic, produce, consume, version) talk to any
// Kafka-compatible cluster through franz-go (kgo, kadm) only.
//
// Contract of the client side:
//
//   - The command tree is built by newRootCmd and run by run; neither touches
//     process globals except through the getenv function and the cobra
//     command's stdin/stdout/stderr, so tests run the whole CLI in-process.
//   - Data goes to stdout (consumed records, tables); progress lines and the
//     closing summary of produce and consume go to stderr.
//   - A failure is returned as an error and printed by run as one line,
//     "gregor: <what failed>: <why> (<what to try>)". Usage errors
//     (*usageError: bad flags, arguments or flag values) exit with code 2,
//     every other error with code 1. Broker errors keep their kerr value in
//     the chain, so errors.Is(err, kerr.TopicAlreadyExists) works on them.
//   - Ctrl-C (the context of ExecuteContext) stops consume cleanly with exit
//     code 0 and a summary; it stops produce with errInterrupted (exit 1),
//     since records read from stdin may not have been delivered.
//   - Admin commands and the offset look-ups before consuming are bounded by
//     adminTimeout; each produced record by produceDeliveryTimeout.
//
// Goroutines: each command runs on the caller's goroutine; produce adds one
// stdin reader, produce and consume one progress printer. Both are stopped
// before the command returns (the stdin reader only once its current read
// returns, which for a terminal may be at process exit).
package main
