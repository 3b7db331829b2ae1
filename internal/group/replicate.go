package group

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// ReplicationTimeout bounds a coordinator write's wait for the in-sync
// replicas (Kafka's offsets.commit.timeout.ms default, 5 s).
const ReplicationTimeout = 5 * time.Second

// AppendReplicated appends batch to p, an internal partition this broker
// leads, and returns once the high watermark passes it: every in-sync
// replica has it, as a produce with acks=all (-1). The coordinators of
// groups and transactions write their state this way, so a new leader
// (and coordinator) replays everything that was acknowledged.
//
// Errors: partition.ErrNotLeader when this broker does not lead the
// partition or lost it meanwhile (the write may or may not survive),
// partition.ErrNotEnoughReplicas(AfterAppend), partition.ErrReplicationTimeout
// after ReplicationTimeout, and the log's errors.
func AppendReplicated(p *partition.Partition, batch []byte, now time.Time) (log.AppendResult, error) {
	if err := p.CheckProduce(-1); err != nil {
		return log.AppendResult{}, err
	}
	res, err := p.Append(batch, now)
	if err != nil {
		return res, err
	}
	if err := p.WaitDurable(res.LastOffset + 1); err != nil {
		return res, err
	}
	// Append stamped the leader epoch in the batch; wait in that epoch.
	epoch := p.LeaderEpoch()
	if h, err := record.ParseHeader(batch); err == nil && h.PartitionLeaderEpoch >= 0 {
		epoch = h.PartitionLeaderEpoch
	}
	ctx, cancel := context.WithTimeout(context.Background(), ReplicationTimeout)
	defer cancel()
	if err := p.WaitReplicated(ctx, res.LastOffset+1, epoch); err != nil {
		return res, fmt.Errorf("replicate %s-%d up to offset %d: %w", p.Topic, p.Index, res.LastOffset, err)
	}
	return res, nil
}

// LostLeadership reports whether err from AppendReplicated means this
// broker no longer leads the partition (the client must find the new
// coordinator).
func LostLeadership(err error) bool {
	return errors.Is(err, partition.ErrNotLeader) || errors.Is(err, partition.ErrClosed)
}

// appendReplicated is AppendReplicated with a lost leadership as
// ErrNotCoordinator.
func (c *Coordinator) appendReplicated(p *partition.Partition, batch []byte) error {
	_, err := AppendReplicated(p, batch, c.now())
	if LostLeadership(err) {
		return fmt.Errorf("%w: %w", ErrNotCoordinator, err)
	}
	return err
}
