package broker

import (
	"time"

	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/replication"
)

// startReplication starts the follower fetchers' manager and the ISR
// updater (internal/replication); fetchers start with the first image.
func (b *Broker) startReplication() {
	b.repl = replication.New(replication.Config{
		NodeID: b.static.NodeID, Parts: b.parts, Meta: b.meta,
		LagMax: time.Duration(b.static.ReplicaLagTimeMaxMs) * time.Millisecond,
		Logger: b.logger.With("component", "replication"),
	})
}

// updateReplication points the fetchers at the leaders of img.
func (b *Broker) updateReplication(img *metadata.Image) {
	if b.repl != nil {
		b.repl.Update(img)
	}
}

// stopReplication stops the fetchers and the ISR updater (before the
// partitions close).
func (b *Broker) stopReplication() {
	if b.repl != nil {
		b.repl.Close()
	}
}

// Partitions returns the partition manager (for tests and diagnostics).
func (b *Broker) Partitions() *partition.Manager { return b.parts }
