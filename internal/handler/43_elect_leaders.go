package handler

// ElectLeaders (key 43)
//
//	v0: preferred-replica election for the given partitions (KIP-183)
//	v1: election_type (0 preferred, 1 unclean) and a top-level error
//	    code (KIP-460)
//	v2: flexible
//
// Null topic_partitions means every partition; then only the partitions
// an election was needed for are answered. The elections are one
// elect_leaders metadata record, decided by the state machine
// (internal/metadata/elect.go); per-partition errors are
// ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
// ELIGIBLE_LEADERS_NOT_AVAILABLE and UNKNOWN_TOPIC_OR_PARTITION. A failed
// proposal (no quorum, timeout) answers every partition with its code.

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

func (h *handlers) electLeaders(r *Request) Reply {
	req := r.Msg.(*kmsg.ElectLeadersRequest)
	resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
	resp.SetVersion(r.Version)
	typ := metadata.ElectionType(req.ElectionType)
	if r.Version == 0 {
		typ = metadata.PreferredElection
	}
	var parts []metadata.ElectPartition
	if req.Topics != nil {
		parts = []metadata.ElectPartition{} // non-nil: only these
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, metadata.ElectPartition{Topic: t.Topic, Partition: p, PartitionEpoch: metadata.AnyPartitionEpoch})
			}
		}
	}
	if typ != metadata.PreferredElection && typ != metadata.UncleanElection {
		msg := fmt.Sprintf("unknown election type %d", req.ElectionType)
		resp.ErrorCode = kerr.InvalidRequest.Code
		return Now(answerAll(resp, parts, kerr.InvalidRequest.Code, msg))
	}
	ctx, cancel := timeout(r.Ctx, req.TimeoutMillis)
	defer cancel()
	results, err := h.env.Meta.ElectLeaders(ctx, typ, parts)
	if err != nil {
		c := code(h.log, "ElectLeaders", err, kerr.RequestTimedOut)
		if r.Version >= 1 {
			resp.ErrorCode = c
		}
		return Now(answerAll(resp, parts, c, err.Error()))
	}
	out := electResults{resp: resp, byTopic: map[string]int{}}
	for _, res := range results {
		var c int16
		var msg *string
		if res.Err != nil {
			c = code(h.log, "ElectLeaders", res.Err, kerr.UnknownServerError)
			m := res.Err.Error()
			msg = &m
		}
		out.add(res.Topic, res.Partition, c, msg)
	}
	return Now(resp)
}

// answerAll gives every requested partition the same error.
func answerAll(resp *kmsg.ElectLeadersResponse, parts []metadata.ElectPartition, c int16, msg string) *kmsg.ElectLeadersResponse {
	out := electResults{resp: resp, byTopic: map[string]int{}}
	for _, ep := range parts {
		out.add(ep.Topic, ep.Partition, c, &msg)
	}
	return resp
}

// electResults fills a response's topics in the order they first appear.
type electResults struct {
	resp    *kmsg.ElectLeadersResponse
	byTopic map[string]int
}

func (o *electResults) add(topic string, partition int32, c int16, msg *string) {
	i, ok := o.byTopic[topic]
	if !ok {
		i = len(o.resp.Topics)
		o.byTopic[topic] = i
		t := kmsg.NewElectLeadersResponseTopic()
		t.Topic = topic
		o.resp.Topics = append(o.resp.Topics, t)
	}
	p := kmsg.NewElectLeadersResponseTopicPartition()
	p.Partition, p.ErrorCode, p.ErrorMessage = partition, c, msg
	o.resp.Topics[i].Partitions = append(o.resp.Topics[i].Partitions, p)
}
