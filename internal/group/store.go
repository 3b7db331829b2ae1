package group

import (
	"fmt"
	"time"

	"github.com/gregor-streaming/gregor/internal/coordinator/partowner"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// load replays the __consumer_offsets partition part, rebuilding its
// groups and offsets; c.owner calls it with c.mu held, so no request
// sees a half-loaded partition.
func (c *Coordinator) load(part int32, p *partition.Partition) error {
	start := time.Now()
	now := c.now()
	limits := c.limits()
	metas := map[string]*decoded{}
	offsets := map[string]map[string]map[int32]Offset{}
	pending := txnReplay{}
	cgs := consumerImages{}
	n := 0
	err := partowner.Replay(OffsetsTopic, part, p, func(h *record.Header, b []byte) error {
		if skip, err := replayTxn(h, b, pending, offsets); err != nil || skip {
			return err
		}
		recs, err := record.Records(b)
		if err != nil {
			return err
		}
		for _, r := range recs {
			d, err := decodeRecord(r.Key, r.Value)
			if err != nil {
				return fmt.Errorf("record at offset %d: %w", r.Offset, err)
			}
			if !cgs.replay(d) {
				replay(d, metas, offsets)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.restorePending(part, pending)
	for id, d := range metas {
		c.mu.groups[id] = newEntry(id, part, restoreClassic(id, limits, d.meta, now))
	}
	c.restoreConsumers(part, cgs, limits, now)
	for id, o := range offsets {
		e := c.mu.groups[id]
		if e == nil {
			e = newEntry(id, part, NewClassic(id, limits, now))
			c.mu.groups[id] = e
		}
		e.offsets = o
	}
	for _, e := range c.mu.groups {
		if e.part == part {
			c.alarm.Set(e.g.NextDeadline())
		}
	}
	c.log.Info("loaded group partition", "partition", part, "records", n, "groups", len(metas), "took", time.Since(start))
	return nil
}

// replay applies one decoded record to the state being rebuilt.
func replay(d decoded, metas map[string]*decoded, offsets map[string]map[string]map[int32]Offset) {
	if !d.isOffset {
		if d.meta == nil {
			delete(metas, d.group)
		} else {
			metas[d.group] = &d
		}
		return
	}
	g := offsets[d.group]
	if d.offset == nil {
		if g != nil && g[d.topic] != nil {
			delete(g[d.topic], d.partition)
			if len(g[d.topic]) == 0 {
				delete(g, d.topic)
			}
			if len(g) == 0 {
				delete(offsets, d.group)
			}
		}
		return
	}
	if g == nil {
		g = map[string]map[int32]Offset{}
		offsets[d.group] = g
	}
	if g[d.topic] == nil {
		g[d.topic] = map[int32]Offset{}
	}
	g[d.topic][d.partition] = *d.offset
}

// kv is one record to write to __consumer_offsets; a nil value is a
// tombstone.
type kv struct{ key, value []byte }

// write appends records to the group's partition as one batch and waits
// until every in-sync replica has it (writeBatch).
func (c *Coordinator) write(e *entry, recs []kv) error {
	ts := c.now().UnixMilli()
	rs := make([]record.Record, len(recs))
	for i, r := range recs {
		rs[i] = record.Record{Timestamp: ts, Key: r.key, Value: r.value}
	}
	return c.writeBatch(e, record.BatchSpec{}, rs)
}

// writeBatch appends recs to the group's partition as one batch built
// with spec and waits until every in-sync replica has it (acks=all,
// AppendReplicated). Nothing is written for no records, or for an entry
// that was unloaded (ErrNotCoordinator).
func (c *Coordinator) writeBatch(e *entry, spec record.BatchSpec, recs []record.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if e.gone {
		return ErrNotCoordinator
	}
	p, err := c.hosted(e.part)
	if err != nil {
		return err
	}
	batch, err := record.Build(spec, recs)
	if err != nil {
		return err
	}
	return c.appendReplicated(p, batch)
}

// storeGroup writes the group's metadata. e.mu must be held.
func (c *Coordinator) storeGroup(e *entry) error {
	return c.write(e, []kv{{groupKey(e.id), groupValue(e.g)}})
}
