package metadata

import (
	"context"
	"errors"
	"fmt"
)

// CreateInternalTopic creates an internal topic such as __consumer_offsets
// or __transaction_state: the replication factor is capped at the number of
// registered brokers, and retention is off (-1) because the log cleaner that
// would compact it does not exist yet, so no record is ever deleted. If the
// topic exists already (another node created it first) it is returned with
// created false.
func (n *Node) CreateInternalTopic(ctx context.Context, name string, partitions int32, rf int16) (t *Topic, created bool, err error) {
	if t := n.Image().Topic(name); t != nil {
		return t, false, nil
	}
	if live := int16(len(n.Image().Brokers)); live < rf {
		rf = max(live, 1)
	}
	t, err = n.CreateTopic(ctx, TopicSpec{
		Name: name, NumPartitions: partitions, ReplicationFactor: rf, Internal: true,
		Configs: map[string]string{"retention.ms": "-1", "retention.bytes": "-1"},
	})
	if errors.Is(err, ErrTopicExists) {
		if t := n.Image().Topic(name); t != nil {
			return t, false, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("create %s: %w", name, err)
	}
	return t, true, nil
}
