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

func (h *handlers) hintProduce(resp *kmsg.ProduceResponse) {
	img := h.image()
	seen := map[int32]bool{}
	for ti := range resp.Topics {
		rt := &resp.Topics[ti]
		name := rt.Topic
		if t := img.TopicsByID[rt.TopicID]; name == "" && t != nil {
			name = t.Name
		}
		for pi := range rt.Partitions {
			sp := &rt.Partitions[pi]
			if !leaderMoved(sp.ErrorCode) {
				continue
			}
			id, epoch, b := leaderOf(img, name, sp.Partition)
			if b == nil {
				continue
			}
			sp.CurrentLeader.LeaderID, sp.CurrentLeader.LeaderEpoch = id, epoch
			if !seen[id] {
				seen[id] = true
				e := kmsg.NewProduceResponseBroker()
				e.NodeID, e.Host, e.Port, e.Rack = id, b.Host, b.Port, rackOf(b)
				resp.Brokers = append(resp.Brokers, e)
			}
		}
	}
}

func (h *handlers) hintFetch(resp *kmsg.FetchResponse) {
	img := h.image()
	seen := map[int32]bool{}
	for ti := range resp.Topics {
		rt := &resp.Topics[ti]
		name := rt.Topic
		if t := img.TopicsByID[rt.TopicID]; t != nil {
			name = t.Name
		}
		for pi := range rt.Partitions {
			sp := &rt.Partitions[pi]
			if !leaderMoved(sp.ErrorCode) {
				continue
			}
			id, epoch, b := leaderOf(img, name, sp.Partition)
			if b == nil {
				continue
			}
			sp.CurrentLeader.LeaderID, sp.CurrentLeader.LeaderEpoch = id, epoch
			if !seen[id] {
				seen[id] = true
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
