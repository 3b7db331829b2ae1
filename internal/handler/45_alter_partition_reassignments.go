package handler

// AlterPartitionReassignments (key 45)
//
//	v0: move partitions to target replica lists, or cancel a move with
//	    null replicas (KIP-455); flexible from the start
//	v1: allow_replication_factor_change (KIP-860): false refuses a target
//	    whose size differs from the partition's replica count with
//	    INVALID_REPLICATION_FACTOR
//
// Each partition is one reassign_partition metadata record; the state
// machine (internal/metadata/reassign.go) validates it and finishes the
// move once every target replica is in sync. Per-partition errors:
// UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT,
// NO_REASSIGNMENT_IN_PROGRESS, INVALID_REPLICATION_FACTOR (v1), and
// NOT_CONTROLLER / REQUEST_TIMED_OUT when the proposal did not commit.

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) alterPartitionReassignments(r *Request) Reply {
	req := r.Msg.(*kmsg.AlterPartitionAssignmentsRequest)
	resp := req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	resp.SetVersion(r.Version)
	allowRF := r.Version < 1 || req.AllowReplicationFactorChange
	resp.AllowReplicationFactorChange = allowRF
	return Later(func() kmsg.Response {
		ctx, cancel := timeout(r.Ctx, req.TimeoutMillis)
		defer cancel()
		for _, rt := range req.Topics {
			st := kmsg.NewAlterPartitionAssignmentsResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
				sp.Partition = rp.Partition
				if e, msg := h.checkReplicationFactor(rt.Topic, rp, allowRF); e != nil {
					sp.ErrorCode, sp.ErrorMessage = e.Code, &msg
				} else if _, err := h.env.Meta.ReassignPartition(ctx, rt.Topic, rp.Partition, rp.Replicas); err != nil {
					msg := err.Error()
					sp.ErrorCode, sp.ErrorMessage = code(h.log, "AlterPartitionReassignments", err, kerr.RequestTimedOut), &msg
				}
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp
	})
}

// checkReplicationFactor refuses (v1, allow_replication_factor_change
// false) a target whose size differs from the partition's replica count
// before any reassignment. Unknown topics are left to the state machine.
func (h *handlers) checkReplicationFactor(topic string, rp kmsg.AlterPartitionAssignmentsRequestTopicPartition, allow bool) (*kerr.Error, string) {
	if allow || rp.Replicas == nil {
		return nil, ""
	}
	t := h.image().Topic(topic)
	if t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.Partitions) {
		return nil, ""
	}
	p := t.Partitions[rp.Partition]
	if rf := len(p.Replicas) - len(p.AddingReplicas); rf != len(rp.Replicas) {
		return kerr.InvalidReplicationFactor, fmt.Sprintf("%s-%d has %d replicas, the target %d, and allow_replication_factor_change is false",
			topic, rp.Partition, rf, len(rp.Replicas))
	}
	return nil, ""
}
