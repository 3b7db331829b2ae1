package handler

// Fetching from the closest replica (KIP-392, Fetch v11+).
//
// On the leader, with replica.selector.class set to the rack-aware
// selector, a consumer fetch that carries a rack (client.rack) is answered,
// for each partition, with preferred_read_replica = a follower in that
// rack and no records, when this broker is not in the rack itself and a
// follower there is alive (registered, not fenced), in the ISR, and holds
// the fetch offset (between the log start and log end it reported with its
// last fetch); of several, the one with the highest log end, then replica
// order. The client then fetches that partition from the follower.
//
// On a follower, with the same setting, a consumer fetch (v11+) is served
// for partitions this broker follows, up to its high watermark (the
// leader's as of the last replica fetch, capped by its own durable log),
// read_committed up to the last stable offset its own log computes from
// the replicated transactional batches and markers. Errors as on the
// leader, except for offsets the follower does not have yet:
//
//   - current_leader_epoch older / newer than the one it follows:
//     FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH;
//   - not a replica (any more): NOT_LEADER_OR_FOLLOWER (with the leader,
//     KIP-951, on v16+);
//   - offset between its high watermark and log end: no records and no
//     error, the fetch waits for the high watermark (as Kafka's log read
//     does on any replica);
//   - offset beyond its log end: OFFSET_NOT_AVAILABLE (KIP-392: the client
//     retries, through the leader, without resetting its position);
//   - offset below its log start: OFFSET_OUT_OF_RANGE (the clients go back
//     to the leader, which has its own log start).
//
// A follower never redirects (preferred_read_replica is -1 on it).
// ListOffsets and OffsetForLeaderEpoch stay leader-only, as in Kafka.

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/partition"
)

// followerReads is how one consumer fetch may use KIP-392: whether the
// broker runs the rack-aware selector (v11+ only), and the client's rack.
type followerReads struct {
	enabled bool
	rack    string // the consumer's rack, "" if none
	ownRack string // this broker's broker.rack
}

func (h *handlers) followerReadsFor(r *Request, req *kmsg.FetchRequest) followerReads {
	cfg := h.env.Config()
	if r.Version < 11 || cfg == nil || !cfg.RackAwareFetch() {
		return followerReads{}
	}
	return followerReads{enabled: true, rack: req.Rack, ownRack: cfg.BrokerRack}
}

// checkReadEpoch validates the client's current leader epoch on the
// leader or, when follower reads are on, on a follower replica; asFollower
// reports the latter.
func (f *fetchState) checkReadEpoch(p *partition.Partition, epoch int32) (asFollower bool, err error) {
	err = p.CheckLeaderEpoch(epoch)
	if errors.Is(err, partition.ErrNotLeader) && f.fr.enabled {
		return true, p.CheckFollowerRead(epoch)
	}
	return false, err
}

// preferredReplica returns the follower the consumer should fetch p from
// at offset, or -1 to be served here. Only the leader calls it.
func (f *fetchState) preferredReplica(p *partition.Partition, offset int64) int32 {
	if !f.fr.enabled || f.fr.rack == "" || f.fr.rack == f.fr.ownRack {
		return -1
	}
	img := f.h.image()
	best, bestEnd := int32(-1), int64(-1)
	for _, c := range p.ReadReplicas(offset) {
		b := img.Brokers[c.ID]
		if !b.Alive() || b.Rack != f.fr.rack {
			continue
		}
		if c.LogEnd > bestEnd {
			best, bestEnd = c.ID, c.LogEnd
		}
	}
	return best
}

// followerReadCode maps a read error on a follower: an offset beyond its
// log end is one it does not have yet (OFFSET_NOT_AVAILABLE, retriable),
// not one out of the partition's range.
func followerReadCode(err error, offset int64, o partition.Offsets) (int16, bool) {
	if errors.Is(err, log.ErrOffsetOutOfRange) && offset > o.LogEnd {
		return kerr.OffsetNotAvailable.Code, true
	}
	return 0, false
}
