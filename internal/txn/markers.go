package txn

import (
	"errors"
	"fmt"
	"sync"

	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/record"
)

// maxParallelMarkers bounds the marker writes of one transaction in flight
// at once (each waits for its partition's fsync).
const maxParallelMarkers = 16

// writeMarkers writes a COMMIT or ABORT marker to every partition, in
// parallel, and returns once all are durable (or the errors).
func (c *Coordinator) writeMarkers(tps []TopicPartition, pid int64, epoch int16, coordEpoch int32, commit bool) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, maxParallelMarkers)
	for _, tp := range tps {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := c.WriteMarker(tp, pid, epoch, coordEpoch, commit); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s-%d: %w", tp.Topic, tp.Partition, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// WriteMarker appends a COMMIT or ABORT control batch for producer
// pid/epoch to a partition this broker hosts and waits until it is
// durable. A marker for a __consumer_offsets partition then applies or
// drops the producer's pending offsets (Config.GroupMarker). A partition
// of a deleted topic is skipped (nil), as Kafka does; a partition led by
// another broker is ErrPartitionNotHosted.
func (c *Coordinator) WriteMarker(tp TopicPartition, pid int64, epoch int16, coordEpoch int32, commit bool) error {
	p := c.cfg.Parts.Get(tp.Topic, tp.Partition)
	if p == nil {
		t := c.cfg.Meta.Image().Topic(tp.Topic)
		if t == nil || int(tp.Partition) >= len(t.Partitions) {
			c.log.Info("skipping marker for a deleted partition", "topic", tp.Topic, "partition", tp.Partition, "producer_id", pid)
			return nil
		}
		return ErrPartitionNotHosted
	}
	now := c.now()
	batch, err := record.Build(record.BatchSpec{
		Transactional: true, Control: true, Idempotent: true,
		ProducerID: pid, ProducerEpoch: epoch, BaseSequence: -1,
	}, []record.Record{record.EndTxnMarker(commit, coordEpoch, now.UnixMilli())})
	if err != nil {
		return err
	}
	res, err := p.Append(batch, now)
	if err != nil {
		return err
	}
	if err := p.WaitDurable(res.LastOffset + 1); err != nil {
		return err
	}
	if tp.Topic == group.OffsetsTopic && c.cfg.GroupMarker != nil {
		c.cfg.GroupMarker(tp.Partition, pid, commit)
	}
	return nil
}
