// Package partition owns the replicas this broker hosts: for each, its log,
// leader epoch, high watermark and the notification that wakes fetches
// waiting for data.
//
// Today every partition has one replica, so the high watermark is the log
// end offset as soon as the data is as durable as the topic asks: with the
// default flush.messages=1 the high watermark is the fsynced offset (a
// consumer never sees a record a crash could take back); with a relaxed
// flush policy it is the log end offset. The cluster issue adds followers;
// the high watermark then becomes the minimum over the in-sync replicas.
//
// Offsets also carries the last stable offset (LSO, from the log's
// transaction state and the high watermark); ReadCommitted serves
// read_committed consumers below it, with the aborted transactions in
// range.
//
// A Partition is safe for concurrent use. Appends are serialized by its log.
// The Manager maps topic-partitions to Partitions and reconciles them with
// the applied metadata image (opening logs for new partitions, deleting the
// logs of deleted topics). Lock order: Manager.mu before Partition.mu; a
// Partition never calls back into the Manager.
package partition
