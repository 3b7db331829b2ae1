package group

import (
	"github.com/twmb/franz-go/pkg/kerr"
)

// Coordinator failover: the groups of a __consumer_offsets partition
// live here only while this broker leads it, in one leader epoch. The
// coordinator's partowner.Owner keeps the loaded partitions: each
// request's lookup calls its Ensure, which unloads a partition loaded in
// an older epoch or no longer led here, then (re)loads it by replaying
// its log (load, store.go). An unloaded group answers its pending
// JoinGroup/SyncGroup waits with NOT_COORDINATOR, and its entry refuses
// writes (gone), so a request that looked it up before the unload cannot
// change the log behind the reloaded state.

// unload forgets the groups of part (c.mu held) and drops the
// partition's pending transactional offsets (the next load replays
// them); the function it returns, run once c.mu is released, answers
// the groups' pending waits with NOT_COORDINATOR.
func (c *Coordinator) unload(part, epoch int32) func() {
	var gone []*entry
	for id, e := range c.mu.groups {
		if e.part == part {
			gone = append(gone, e)
			delete(c.mu.groups, id)
		}
	}
	c.txn.drop(part)
	return func() {
		for _, e := range gone {
			e.mu.Lock()
			e.gone = true
			for w, ch := range e.joins {
				ch <- *errJoin(kerr.NotCoordinator, "")
				delete(e.joins, w)
			}
			for w, ch := range e.syncs {
				ch <- SyncResponse{Err: kerr.NotCoordinator.Code}
				delete(e.syncs, w)
			}
			e.mu.Unlock()
		}
		c.log.Info("unloaded group partition", "partition", part, "leader_epoch", epoch, "groups", len(gone))
	}
}

// drop forgets the pending transactional offsets of part.
func (p *pendingTxns) drop(part int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, part)
}

// LeadershipChanged tells the coordinator that partition leadership may
// have changed (a new metadata image was applied): its goroutine unloads
// the partitions this broker no longer leads, or leads in a newer epoch,
// without waiting for a request. It never blocks.
func (c *Coordinator) LeadershipChanged() { c.owner.LeadershipChanged() }
