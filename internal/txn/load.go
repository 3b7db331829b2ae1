package txn

import (
	"fmt"
	"time"

	"github.com/gregor-streaming/gregor/internal/record"
)

// loadChunk is how many bytes of a __transaction_state partition are read
// at a time while replaying it.
const loadChunk = 1 << 20

// load replays the __transaction_state partition part once: the last
// record of each transactional id wins, a tombstone forgets it. It holds
// the coordinator's lock meanwhile. Transactions left in a Prepare state
// are finished by the background loop, open ones time out there.
func (c *Coordinator) load(part int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mu.loaded[part]; ok {
		return nil
	}
	p, err := c.hosted(part)
	if err != nil {
		return err
	}
	epoch := p.LeaderEpoch()
	start := time.Now()
	state := map[string]Metadata{}
	// The leader's whole log: what a previous leader acknowledged is
	// here, even while this leader's high watermark catches up.
	next, end := p.Offsets().LogStart, p.Offsets().LogEnd
	for next < end {
		buf, _, err := p.Read(next, loadChunk)
		if err != nil {
			return fmt.Errorf("replay %s-%d at offset %d: %w", StateTopic, part, next, err)
		}
		batches, err := record.Split(buf)
		if err != nil || len(batches) == 0 {
			return fmt.Errorf("replay %s-%d at offset %d: %w (%d batches)", StateTopic, part, next, err, len(batches))
		}
		for _, b := range batches {
			h, err := record.ParseHeader(b)
			if err != nil {
				return fmt.Errorf("replay %s-%d: %w", StateTopic, part, err)
			}
			next = h.LastOffset() + 1
			if h.IsControl() {
				continue
			}
			if err := replayBatch(b, state); err != nil {
				return fmt.Errorf("replay %s-%d at offset %d: %w", StateTopic, part, h.BaseOffset, err)
			}
		}
	}
	unfinished := false
	for id, m := range state {
		c.mu.txns[id] = &entry{part: part, m: m}
		unfinished = unfinished || m.State.preparing()
		c.schedule(m.Deadline())
	}
	c.mu.loaded[part] = epoch
	if unfinished {
		c.schedule(c.now())
	}
	c.log.Info("loaded transaction state partition", "partition", part, "transactional_ids", len(state), "took", time.Since(start))
	return nil
}

func replayBatch(b []byte, state map[string]Metadata) error {
	recs, err := record.Records(b)
	if err != nil {
		return err
	}
	for _, r := range recs {
		id, m, ok, err := decodeRecord(r.Key, r.Value)
		if err != nil {
			return err
		}
		if !ok {
			delete(state, id)
			continue
		}
		state[id] = m
	}
	return nil
}

// loadAll loads every __transaction_state partition this broker leads.
func (c *Coordinator) loadAll() {
	t := c.cfg.Meta.Image().Topic(StateTopic)
	if t == nil {
		return
	}
	for _, p := range t.Partitions {
		if p.Leader != c.cfg.NodeID {
			continue
		}
		if err := c.ensureLoaded(p.Index); err != nil {
			c.log.Error("loading transaction state partition failed", "partition", p.Index, "err", err)
		}
	}
}
