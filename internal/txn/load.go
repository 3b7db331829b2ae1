package txn

import (
	"time"

	"github.com/gregor-streaming/gregor/internal/coordinator/partowner"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// load replays the __transaction_state partition part: the last record
// of each transactional id wins, a tombstone forgets it. c.owner calls it
// with c.mu held. Transactions left in a Prepare state are finished by
// the background loop, open ones time out there.
func (c *Coordinator) load(part int32, p *partition.Partition) error {
	start := time.Now()
	state := map[string]Metadata{}
	err := partowner.Replay(StateTopic, part, p, func(h *record.Header, b []byte) error {
		if h.IsControl() {
			return nil
		}
		return replayBatch(b, state)
	})
	if err != nil {
		return err
	}
	unfinished := false
	for id, m := range state {
		c.mu.txns[id] = &entry{part: part, m: m}
		unfinished = unfinished || m.State.preparing()
		c.alarm.Set(m.Deadline())
	}
	if unfinished {
		c.alarm.Set(c.now())
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
