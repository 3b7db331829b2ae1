package metadata

import (
	"fmt"
	"maps"
)

// brokerTransition is a change of a broker's lifecycle state.
type brokerTransition int

const (
	fence    brokerTransition = iota // missed heartbeats: fenced
	unfence                          // heartbeats again: alive
	shutdown                         // controlled shutdown: fenced for good
)

// applyBrokerState fences, unfences or shuts down the incarnation r
// names. A record for another epoch (the broker registered again since
// the controller decided) is stale: ErrStaleBrokerEpoch, nothing changes.
// Unfencing a broker that shut down is refused the same way: only a new
// registration brings it back.
func applyBrokerState(img *Image, r *brokerEpochRecord, tr brokerTransition) (*Image, error) {
	b := img.Brokers[r.ID]
	switch {
	case b == nil:
		return nil, fmt.Errorf("%w: broker %d is not registered", ErrStaleBrokerEpoch, r.ID)
	case b.Epoch != r.Epoch:
		return nil, fmt.Errorf("%w: broker %d has epoch %d, record names %d", ErrStaleBrokerEpoch, r.ID, b.Epoch, r.Epoch)
	case tr == unfence && b.ShutDown:
		return nil, fmt.Errorf("%w: broker %d shut down; it must register again", ErrStaleBrokerEpoch, r.ID)
	}
	nb := *b
	switch tr {
	case fence:
		nb.Fenced = true
	case unfence:
		nb.Fenced = false
	case shutdown:
		nb.Fenced, nb.ShutDown = true, true
	}
	next := img.shallow()
	next.Brokers = maps.Clone(img.Brokers)
	next.Brokers[r.ID] = &nb
	if tr == unfence {
		return electReturning(next, r.ID), nil
	}
	return electAway(next, r.ID, false), nil
}
