// Package replication runs this broker's side of partition replication
// that needs goroutines: the follower fetchers and the ISR updater.
//
// A Replicator is told the partitions this broker follows after every
// metadata reconcile (Update). It keeps one fetcher goroutine per leader
// broker; each holds one connection to its leader and sends Fetch
// requests with this broker's replica id, for all the partitions that
// leader leads and this broker follows, starting at each follower log's
// end offset. Fetched batches are appended with log.AppendReplicated
// (keeping the leader's offsets and epochs), fsynced when the topic
// fsyncs before acknowledging (flush.messages=1) before the next fetch
// reports the new log end offset, and the leader's high watermark is
// adopted. A diverging epoch in the answer makes the follower truncate its
// log first. A fetcher whose partitions' leader or leader epoch changed is
// stopped and a new one started (Update compares the sets).
//
// The ISR updater is one goroutine: every replica.lag.time.max.ms / 2, or
// at once when a leader signals that a follower caught up, it asks every
// partition this broker leads for an ISR change (partition.ISRChange) and
// proposes it to the metadata quorum (metadata.Node.AlterPartition, fenced
// by leader and partition epochs). The committed partition state is then
// installed directly, before the reconcile loop also applies it.
//
// Goroutines: the fetchers and the ISR updater, all ended by Close, which
// waits for them. A Replicator is safe for concurrent use; Update calls are
// serialized by its mutex. Nothing here holds a partition lock while doing
// I/O.
package replication
