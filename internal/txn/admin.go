package txn

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Described is one transactional id's state for DescribeTransactions.
type Described struct {
	Metadata
	ErrorCode int16
}

// Describe returns the state of each id; an id this broker does not
// coordinate answers NOT_COORDINATOR, an unknown one
// TRANSACTIONAL_ID_NOT_FOUND.
func (c *Coordinator) Describe(ctx context.Context, ids []string) []Described {
	out := make([]Described, 0, len(ids))
	for _, id := range ids {
		d := Described{Metadata: Metadata{ID: id, ProducerID: -1, ProducerEpoch: -1, StartMs: -1}}
		e, _, err := c.lookup(ctx, id, false)
		switch {
		case err != nil:
			d.ErrorCode = c.ErrCode("DescribeTransactions", err)
		case e == nil:
			d.ErrorCode = kerr.TransactionalIDNotFound.Code
		default:
			e.mu.Lock()
			d.Metadata = e.m.clone()
			if e.gone {
				d.ErrorCode = kerr.TransactionalIDNotFound.Code
			}
			e.mu.Unlock()
		}
		out = append(out, d)
	}
	return out
}

// ListFilter selects transactional ids for ListTransactions.
type ListFilter struct {
	States      []State // empty: any
	ProducerIDs []int64 // empty: any
	// MinDurationMs: only transactions open for at least this long
	// (-1 or 0: any; ListTransactions v1, KIP-994).
	MinDurationMs int64
}

// List returns the transactional ids this broker coordinates that match
// f, by id.
func (c *Coordinator) List(f ListFilter) []Metadata {
	c.owner.LoadLed()
	now := c.now().UnixMilli()
	var out []Metadata
	for _, e := range c.entries() {
		e.mu.Lock()
		m, gone := e.m.clone(), e.gone
		e.mu.Unlock()
		if gone || !f.match(m, now) {
			continue
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (f ListFilter) match(m Metadata, now int64) bool {
	if len(f.States) > 0 {
		ok := false
		for _, s := range f.States {
			ok = ok || s == m.State
		}
		if !ok {
			return false
		}
	}
	if len(f.ProducerIDs) > 0 {
		ok := false
		for _, p := range f.ProducerIDs {
			ok = ok || p == m.ProducerID
		}
		if !ok {
			return false
		}
	}
	if f.MinDurationMs > 0 && (m.State != Ongoing || now-m.StartMs < f.MinDurationMs) {
		return false
	}
	return true
}

// ParseState returns the state named s (Kafka's names: "Ongoing",
// "PrepareCommit", …); ok false if unknown.
func ParseState(s string) (State, bool) {
	for i, n := range stateNames {
		if n == s {
			return State(i), true
		}
	}
	return 0, false
}
