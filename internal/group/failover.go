package group

import (
	"maps"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Coordinator failover: the groups of a __consumer_offsets partition
// live here only while this broker leads it, in one leader epoch. Each
// request's lookup calls ensureLoaded, which unloads a partition loaded in
// an older epoch or no longer led here, then (re)loads it by replaying
// its log. An unloaded group answers its pending JoinGroup/SyncGroup
// waits with NOT_COORDINATOR, and its entry refuses writes (gone), so a
// request that looked it up before the unload cannot change the log
// behind the reloaded state.

// ensureLoaded makes the coordinator's view of part follow the
// partition's leadership; it fails with ErrNotCoordinator when this
// broker does not lead part.
func (c *Coordinator) ensureLoaded(part int32) error {
	p, err := c.hosted(part)
	c.mu.Lock()
	epoch, ok := c.mu.loaded[part]
	c.mu.Unlock()
	if ok && (err != nil || epoch != p.LeaderEpoch()) {
		c.unload(part, epoch)
	}
	if err != nil {
		return err
	}
	return c.load(part)
}

// unload forgets the groups of part if it is still loaded in epoch (two
// requests noticing the same change unload once), answers their pending
// waits with NOT_COORDINATOR and drops the partition's pending
// transactional offsets (the next load replays them).
func (c *Coordinator) unload(part int32, epoch int32) {
	c.mu.Lock()
	if cur, ok := c.mu.loaded[part]; !ok || cur != epoch {
		c.mu.Unlock()
		return
	}
	delete(c.mu.loaded, part)
	var gone []*entry
	for id, e := range c.mu.groups {
		if e.part == part {
			gone = append(gone, e)
			delete(c.mu.groups, id)
		}
	}
	c.txn.drop(part)
	c.mu.Unlock()
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
func (c *Coordinator) LeadershipChanged() {
	select {
	case c.resync <- struct{}{}:
	default:
	}
}

// unloadLost unloads every loaded partition whose leadership changed.
func (c *Coordinator) unloadLost() {
	c.mu.Lock()
	loaded := maps.Clone(c.mu.loaded)
	c.mu.Unlock()
	for part, epoch := range loaded {
		if p, err := c.hosted(part); err != nil || p.LeaderEpoch() != epoch {
			c.unload(part, epoch)
		}
	}
}
