package handler

// CreateTopics (key 19)
//
//	v1: validate_only, error messages
//	v2: no change (served from v2, as Kafka 4)
//	v3: no change
//	v4: -1 partitions / replication factor mean the broker defaults (KIP-464)
//	v5: flexible; the created topic's configs, partitions and replication
//	    factor in the response (KIP-525)
//	v6: no change
//	v7: topic id in the response
//
// validate_only runs every check and writes nothing.

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) createTopics(r *Request) Reply {
	req := r.Msg.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	resp.SetVersion(r.Version)
	counts := countKeys(req.Topics, func(rt kmsg.CreateTopicsRequestTopic) string { return rt.Topic })
	ctx, cancel := timeout(r.Ctx, req.TimeoutMillis)
	defer cancel()
	for _, rt := range req.Topics {
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		st.NumPartitions, st.ReplicationFactor = -1, -1
		fail := func(e *kerr.Error, msg string) {
			st.ErrorCode = e.Code
			st.ErrorMessage = &msg
		}
		if counts[rt.Topic] > 1 {
			fail(kerr.InvalidRequest, "topic "+rt.Topic+" appears more than once in the request")
			resp.Topics = append(resp.Topics, st)
			continue
		}
		t := &topicRequest{name: rt.Topic, partitions: rt.NumPartitions, replicationFactor: rt.ReplicationFactor, configs: map[string]string{}}
		assignments, msg := assignmentsByIndex(rt.ReplicaAssignment)
		if msg != "" {
			fail(kerr.InvalidReplicaAssignment, msg)
			resp.Topics = append(resp.Topics, st)
			continue
		}
		t.assignments = assignments
		for _, c := range rt.Configs {
			if c.Value != nil {
				t.configs[c.Name] = *c.Value
			}
		}
		cfg := h.env.Config()
		if e, msg := h.checkTopic(h.image(), cfg, t); e != nil {
			fail(e, msg)
			resp.Topics = append(resp.Topics, st)
			continue
		}
		if !req.ValidateOnly {
			topic, err := h.createTopic(ctx, t)
			if err != nil {
				fail(kerr.ErrorForCode(code(h.log, "CreateTopics", err, kerr.KafkaStorageError)).(*kerr.Error), err.Error())
				resp.Topics = append(resp.Topics, st)
				continue
			}
			st.TopicID = topic.ID
		}
		st.NumPartitions, st.ReplicationFactor = t.partitions, t.replicationFactor
		for _, e := range cfg.DescribeTopic(t.configs, nil) {
			c := kmsg.NewCreateTopicsResponseTopicConfig()
			c.Name, c.Value, c.ReadOnly, c.Source, c.IsSensitive = e.Name, e.Value, e.ReadOnly, int8(e.Source), e.Sensitive
			st.Configs = append(st.Configs, c)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Now(resp)
}

// assignmentsByIndex orders explicit replica assignments by partition
// index; the indexes must be exactly 0..n-1, each once.
func assignmentsByIndex(in []kmsg.CreateTopicsRequestTopicReplicaAssignment) ([][]int32, string) {
	if len(in) == 0 {
		return nil, ""
	}
	out := make([][]int32, len(in))
	for _, a := range in {
		if a.Partition < 0 || int(a.Partition) >= len(in) || out[a.Partition] != nil {
			return nil, fmt.Sprintf("assignments must cover partitions 0 to %d exactly once; got partition %d", len(in)-1, a.Partition)
		}
		out[a.Partition] = a.Replicas
	}
	return out, ""
}
