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
// With several voters in controller.quorum.voters (cluster.go) the node
// also binds the controller listener, runs the quorum transport
// (internal/quorum) and a metadata.Session that registers the broker in
// the background and heartbeats; Close starts with the controlled
// shutdown. A quorum of one does none of this.
//
// Close stops them in reverse order of start and waits for all of them.
package broker
