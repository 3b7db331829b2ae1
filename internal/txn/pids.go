package txn

import (
	"context"
	"sync"
)

// producerIDs hands out producer ids from blocks reserved through the
// metadata quorum (disjoint from the blocks of the idempotent producers'
// allocator, so an id is never handed out twice).
type producerIDs struct {
	alloc func(ctx context.Context, count int64) (int64, error)

	mu struct {
		sync.Mutex
		next, end int64
	}
}

const producerIDBlock = 1000

func (p *producerIDs) next(ctx context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.next >= p.mu.end {
		first, err := p.alloc(ctx, producerIDBlock)
		if err != nil {
			return -1, err
		}
		p.mu.next, p.mu.end = first, first+producerIDBlock
	}
	id := p.mu.next
	p.mu.next++
	return id, nil
}

// NextProducerID hands out a producer id for an idempotent producer
// (InitProducerId without a transactional id): from the same never-reused
// blocks as transactional producers' ids.
func (c *Coordinator) NextProducerID(ctx context.Context) (int64, error) {
	return c.pids.next(ctx)
}
