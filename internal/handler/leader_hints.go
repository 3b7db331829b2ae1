package handler

// KIP-951: a Produce (v10+) or Fetch (v16+) partition answered with
// NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH carries the current leader
// and its epoch, and the response lists that leader's endpoint, so the
// client moves to it without a metadata round trip. The table routes
// Produce and Fetch through these wrappers.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

// produceHinted is Produce with KIP-951 leader hints.
func (h *handlers) produceHinted(r *Request) Reply {
	if r.Version < 10 {
		return h.produce(r)
	}
	return afterReply(h.produce(r), func(resp kmsg.Response) {
		if pr, ok := resp.(*kmsg.ProduceResponse); ok {
			h.hintProduce(pr)
		}
	})
}

// fetchRouted sends replica fetches to the replica path
// (01_fetch_replica.go) and adds KIP-951 leader hints to consumer ones.
func (h *handlers) fetchRouted(r *Request) Reply {
	req := r.Msg.(*kmsg.FetchRequest)
	if id := fetchReplicaID(r, req); id >= 0 {
		return h.fetchReplica(r, req, id)
	}
	if r.Version < 16 {
		return h.fetch(r)
	}
	return afterReply(h.fetch(r), func(resp kmsg.Response) {
		switch fr := resp.(type) {
		case partedFetch:
			h.hintFetch(fr.FetchResponse)
		case *kmsg.FetchResponse:
			h.hintFetch(fr)
		}
	})
}

// afterReply runs f on the reply's response before it is sent.
func afterReply(reply Reply, f func(kmsg.Response)) Reply {
	switch {
	case reply.later != nil:
		later := reply.later
		reply.later = func() kmsg.Response {
			resp := later()
			if resp != nil {
				f(resp)
			}
			return resp
		}
	case reply.resp != nil:
		f(reply.resp)
	}
	return reply
}

func leaderMoved(code int16) bool {
	return code == kerr.NotLeaderForPartition.Code || code == kerr.FencedLeaderEpoch.Code
}

// leaderOf returns the partition's leader and epoch in img, and the
// leader's registration (nil if there is no live leader).
func leaderOf(img *metadata.Image, topic string, p int32) (int32, int32, *metadata.Broker) {
	t := img.Topics[topic]
	if t == nil || p < 0 || int(p) >= len(t.Partitions) {
		return -1, -1, nil
	}
	pm := t.Partitions[p]
	b := img.Brokers[pm.Leader]
	if !b.Alive() {
		return -1, -1, nil
	}
	return pm.Leader, pm.LeaderEpoch, b
}

// leaderHints finds, for the partitions of one response, the leaders to
// report, and lists each leader's broker once.
type leaderHints struct {
	img  *metadata.Image
	seen map[int32]bool
}

func (h *handlers) leaderHints() *leaderHints {
	return &leaderHints{img: h.image(), seen: map[int32]bool{}}
}

// hint returns the leader and epoch to report for a partition answered
// with code, and its broker when the response does not list it yet (nil
// otherwise); ok is false when there is nothing to report (no leader
// error, or no live leader).
func (lh *leaderHints) hint(topic string, p int32, code int16) (id, epoch int32, add *metadata.Broker, ok bool) {
	if !leaderMoved(code) {
		return 0, 0, nil, false
	}
	id, epoch, b := leaderOf(lh.img, topic, p)
	if b == nil {
		return 0, 0, nil, false
	}
	if !lh.seen[id] {
		lh.seen[id] = true
		add = b
	}
	return id, epoch, add, true
}

func (h *handlers) hintProduce(resp *kmsg.ProduceResponse) {
	lh := h.leaderHints()
	for ti := range resp.Topics {
		rt := &resp.Topics[ti]
		name := rt.Topic
		if t := lh.img.TopicsByID[rt.TopicID]; name == "" && t != nil {
			name = t.Name
		}
		for pi := range rt.Partitions {
			sp := &rt.Partitions[pi]
			id, epoch, b, ok := lh.hint(name, sp.Partition, sp.ErrorCode)
			if !ok {
				continue
			}
			sp.CurrentLeader.LeaderID, sp.CurrentLeader.LeaderEpoch = id, epoch
			if b != nil {
				e := kmsg.NewProduceResponseBroker()
				e.NodeID, e.Host, e.Port, e.Rack = id, b.Host, b.Port, rackOf(b)
				resp.Brokers = append(resp.Brokers, e)
			}
		}
	}
}

func (h *handlers) hintFetch(resp *kmsg.FetchResponse) {
	lh := h.leaderHints()
	for ti := range resp.Topics {
		rt := &resp.Topics[ti]
		name := rt.Topic
		if t := lh.img.TopicsByID[rt.TopicID]; t != nil {
			name = t.Name
		}
		for pi := range rt.Partitions {
			sp := &rt.Partitions[pi]
			id, epoch, b, ok := lh.hint(name, sp.Partition, sp.ErrorCode)
			if !ok {
				continue
			}
			sp.CurrentLeader.LeaderID, sp.CurrentLeader.LeaderEpoch = id, epoch
			if b != nil {
				e := kmsg.NewFetchResponseBroker()
				e.NodeID, e.Host, e.Port, e.Rack = id, b.Host, b.Port, rackOf(b)
				resp.Brokers = append(resp.Brokers, e)
			}
		}
	}
}

func rackOf(b *metadata.Broker) *string {
	if b.Rack == "" {
		return nil
	}
	r := b.Rack
	return &r
}
