package handler

// CreatePartitions (key 37)
//
//	v0: grow topics to a new partition count, optionally with assignments
//	v1: no change
//	v2: flexible
//	v3: no change
//
// Every requested topic gets a result (an empty array breaks librdkafka).

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) createPartitions(r *Request) Reply {
	req := r.Msg.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	resp.SetVersion(r.Version)
	counts := countKeys(req.Topics, func(rt kmsg.CreatePartitionsRequestTopic) string { return rt.Topic })
	ctx, cancel := timeout(r.Ctx, req.TimeoutMillis)
	defer cancel()
	for _, rt := range req.Topics {
		st := kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		e, msg := h.checkNewPartitions(rt, counts[rt.Topic])
		if e == nil && !req.ValidateOnly {
			var assignments [][]int32
			for _, a := range rt.Assignment {
				assignments = append(assignments, a.Replicas)
			}
			if err := h.env.Meta.CreatePartitions(ctx, rt.Topic, rt.Count, assignments); err != nil {
				e, msg = kerr.ErrorForCode(code(h.log, "CreatePartitions", err, kerr.RequestTimedOut)).(*kerr.Error), err.Error()
			} else if err := h.env.Reconcile(); err != nil {
				h.log.Error("opening new partitions failed", "topic", rt.Topic, "err", err)
				e, msg = kerr.KafkaStorageError, "the partitions were created but could not be opened on this broker: "+err.Error()
			}
		}
		if e != nil {
			st.ErrorCode = e.Code
			st.ErrorMessage = &msg
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Now(resp)
}

func (h *handlers) checkNewPartitions(rt kmsg.CreatePartitionsRequestTopic, count int) (*kerr.Error, string) {
	img := h.image()
	t := img.Topics[rt.Topic]
	switch {
	case count > 1:
		return kerr.InvalidRequest, "topic " + rt.Topic + " appears more than once in the request"
	case t == nil:
		return kerr.UnknownTopicOrPartition, "topic " + rt.Topic + " does not exist"
	case int(rt.Count) <= len(t.Partitions):
		return kerr.InvalidPartitions, fmt.Sprintf("topic %s has %d partitions; the new count %d must be larger", rt.Topic, len(t.Partitions), rt.Count)
	case int(rt.Count)-len(t.Partitions) > maxPartitionsPerRequest:
		return kerr.PolicyViolation, fmt.Sprintf("%d new partitions in one request; at most %d may be created at once", int(rt.Count)-len(t.Partitions), maxPartitionsPerRequest)
	case rt.Assignment != nil && len(rt.Assignment) != int(rt.Count)-len(t.Partitions):
		return kerr.InvalidReplicaAssignment, fmt.Sprintf("%d assignments for %d new partitions", len(rt.Assignment), int(rt.Count)-len(t.Partitions))
	}
	for _, a := range rt.Assignment {
		for _, b := range a.Replicas {
			if img.Brokers[b] == nil {
				return kerr.InvalidReplicaAssignment, fmt.Sprintf("unknown broker %d in the assignment", b)
			}
		}
	}
	return nil, ""
}
