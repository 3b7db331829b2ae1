package handler

// ListPartitionReassignments (key 46)
//
//	v0: the partitions being reassigned, with their replicas, adding and
//	    removing replicas (KIP-455); flexible from the start
//
// Null topics lists every reassignment in progress; otherwise only the
// named partitions that are being reassigned are answered (unknown
// topics and partitions, and partitions not being reassigned, are left
// out, as Kafka does).

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

func (h *handlers) listPartitionReassignments(r *Request) Reply {
	req := r.Msg.(*kmsg.ListPartitionReassignmentsRequest)
	resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
	resp.SetVersion(r.Version)
	img := h.image()
	byTopic := map[string]int{} // index in resp.Topics
	add := func(topic string, p metadata.Partition) {
		i, ok := byTopic[topic]
		if !ok {
			st := kmsg.NewListPartitionReassignmentsResponseTopic()
			st.Topic = topic
			i = len(resp.Topics)
			resp.Topics = append(resp.Topics, st)
			byTopic[topic] = i
		}
		st := &resp.Topics[i]
		sp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		sp.Partition = p.Index
		sp.Replicas = slices.Clone(p.Replicas)
		sp.AddingReplicas = slices.Clone(p.AddingReplicas)
		sp.RemovingReplicas = slices.Clone(p.RemovingReplicas)
		st.Partitions = append(st.Partitions, sp)
	}
	if req.Topics == nil {
		for _, ra := range img.Reassignments() {
			add(ra.Topic, ra.Partition)
		}
		return Now(resp)
	}
	for _, rt := range req.Topics {
		t := img.Topic(rt.Topic)
		if t == nil {
			continue
		}
		for _, i := range rt.Partitions {
			if i >= 0 && int(i) < len(t.Partitions) && t.Partitions[i].Reassigning() {
				add(rt.Topic, t.Partitions[i])
			}
		}
	}
	return Now(resp)
}
