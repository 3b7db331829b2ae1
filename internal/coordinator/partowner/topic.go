package partowner

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

// Topic is a coordinator's internal topic (__consumer_offsets,
// __transaction_state), created on first need. Set the exported fields
// before use; its methods are safe for concurrent use.
type Topic struct {
	Name string
	Meta *metadata.Node
	// Size returns the partition count and replication factor to create
	// the topic with (the broker properties of the moment).
	Size func() (partitions int32, replicationFactor int16)
	// Reconcile opens the partitions of the just-created topic here.
	Reconcile func() error
	Logger    *slog.Logger

	createMu sync.Mutex // serializes creating the topic
}

// Partitions returns the topic's partition count. When the topic does
// not exist it is created if create is set, else Partitions returns 0.
func (t *Topic) Partitions(ctx context.Context, create bool) (int32, error) {
	if it := t.Meta.Image().Topic(t.Name); it != nil || !create {
		if it == nil {
			return 0, nil
		}
		return int32(len(it.Partitions)), nil
	}
	t.createMu.Lock()
	defer t.createMu.Unlock()
	if it := t.Meta.Image().Topic(t.Name); it != nil {
		return int32(len(it.Partitions)), nil
	}
	n, rf := t.Size()
	it, created, err := t.Meta.CreateInternalTopic(ctx, t.Name, n, rf)
	if err != nil {
		return 0, err
	}
	if !created {
		return int32(len(it.Partitions)), nil
	}
	if err := t.Reconcile(); err != nil {
		return 0, fmt.Errorf("open %s: %w", t.Name, err)
	}
	t.Logger.Info("created internal topic", "topic", t.Name, "partitions", len(it.Partitions), "replication_factor", len(it.Partitions[0].Replicas))
	return int32(len(it.Partitions)), nil
}

// Coordinator returns the leader of the partition that pick chooses
// among the topic's n partitions (creating the topic on first need): the
// coordinator of a key. ok is false (leader -1) when the partition has
// no leader in the latest metadata image.
func (t *Topic) Coordinator(ctx context.Context, pick func(n int32) int32) (leader int32, ok bool, err error) {
	n, err := t.Partitions(ctx, true)
	if err != nil {
		return -1, false, err
	}
	part := pick(n)
	it := t.Meta.Image().Topic(t.Name)
	if it == nil || part < 0 || int(part) >= len(it.Partitions) || it.Partitions[part].Leader < 0 {
		return -1, false, nil
	}
	return it.Partitions[part].Leader, true, nil
}
