package txn

import "errors"

// Coordinator failover: the transactional ids of a __transaction_state
// partition live here only while this broker leads it, in one leader
// epoch. The coordinator's partowner.Owner keeps the loaded partitions:
// each lookup calls its Ensure, which unloads a partition loaded in an
// older epoch or no longer led here, then (re)loads it by replaying its
// log (load, load.go). An unloaded entry refuses writes
// (ErrNotCoordinator), so a request or the background loop holding it
// from before the unload cannot change the log behind the reloaded
// state.

// reopen is asked when part is not hosted: if the image says this
// broker leads part but the partition is not open, it applies the
// latest image now rather than wait for the broker's reconciler (which
// may not have seen it yet).
func (c *Coordinator) reopen(part int32, err error) bool {
	if !errors.Is(err, errNotOpen) || c.cfg.Reconcile == nil {
		return false
	}
	if rerr := c.cfg.Reconcile(); rerr != nil {
		c.log.Warn("applying the metadata image to open a transaction state partition", "partition", part, "err", rerr)
	}
	return true
}

// unload forgets the transactional ids of part (c.mu held); the function
// it returns, run once c.mu is released, marks them unloaded.
func (c *Coordinator) unload(part, epoch int32) func() {
	var gone []*entry
	for id, e := range c.mu.txns {
		if e.part == part {
			gone = append(gone, e)
			delete(c.mu.txns, id)
		}
	}
	return func() {
		for _, e := range gone {
			e.mu.Lock()
			e.unloaded = true
			e.mu.Unlock()
		}
		c.log.Info("unloaded transaction state partition", "partition", part, "leader_epoch", epoch, "transactional_ids", len(gone))
	}
}

// LeadershipChanged tells the coordinator that partition leadership may
// have changed (a new metadata image was applied): its goroutine unloads
// the partitions this broker no longer leads, or leads in a newer epoch,
// without waiting for a request. It never blocks.
func (c *Coordinator) LeadershipChanged() { c.owner.LeadershipChanged() }
