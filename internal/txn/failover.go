package txn

import (
	"errors"
	"maps"
)

// Coordinator failover: the transactional ids of a __transaction_state
// partition live here only while this broker leads it, in one leader
// epoch. Each lookup calls ensureLoaded, which unloads a partition loaded
// in an older epoch or no longer led here, then (re)loads it by replaying
// its log. An unloaded entry refuses writes (ErrNotCoordinator), so a
// request or the background loop holding it from before the unload
// cannot change the log behind the reloaded state.

// ensureLoaded makes the coordinator's view of part follow the
// partition's leadership; it fails with ErrNotCoordinator when this
// broker does not lead part.
func (c *Coordinator) ensureLoaded(part int32) error {
	p, err := c.hosted(part)
	if errors.Is(err, errNotOpen) && c.cfg.Reconcile != nil {
		// The image says this broker leads part but the partition is
		// not open: apply the latest image now rather than wait for
		// the broker's reconciler (which may not have seen it yet).
		if rerr := c.cfg.Reconcile(); rerr != nil {
			c.log.Warn("applying the metadata image to open a transaction state partition", "partition", part, "err", rerr)
		}
		p, err = c.hosted(part)
	}
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

// unload forgets the transactional ids of part if it is still loaded in
// epoch (two requests noticing the same change unload once).
func (c *Coordinator) unload(part int32, epoch int32) {
	c.mu.Lock()
	if cur, ok := c.mu.loaded[part]; !ok || cur != epoch {
		c.mu.Unlock()
		return
	}
	delete(c.mu.loaded, part)
	var gone []*entry
	for id, e := range c.mu.txns {
		if e.part == part {
			gone = append(gone, e)
			delete(c.mu.txns, id)
		}
	}
	c.mu.Unlock()
	for _, e := range gone {
		e.mu.Lock()
		e.unloaded = true
		e.mu.Unlock()
	}
	c.log.Info("unloaded transaction state partition", "partition", part, "leader_epoch", epoch, "transactional_ids", len(gone))
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
