// Package broker assembles one Gregor node: it opens the data directory,
// starts the metadata quorum, registers the broker, opens the hosted
// partitions, and serves the Kafka protocol on the configured listeners.
//
// Goroutines owned here (besides the server's and the metadata node's):
//   - the reconciler, which applies each new metadata image to the hosted
//     partitions and to the effective (static + dynamic) configuration;
//   - the retention ticker (log.retention.check.interval.ms);
//   - the topic flush.ms ticker (every second; only topics that relax
//     fsync-before-ack have anything to do);
//   - the flush ticker (log.flush.interval.ms), only when it is set.
//
// Close stops them in reverse order of start and waits for all of them.
package broker
