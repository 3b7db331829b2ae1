package handler

// DeleteTopics (key 20)
//
//	v1: throttle time (served from v1, as Kafka 4)
//	v2-v3: no change
//	v4: flexible
//	v5: error messages
//	v6: topics by name or by id (KIP-516)
//
// Deletion is a metadata record; each broker then deletes its partitions'
// logs when it applies it.

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) deleteTopics(r *Request) Reply {
	req := r.Msg.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	resp.SetVersion(r.Version)
	topics := req.Topics
	if r.Version < 6 {
		topics = nil
		for _, name := range req.TopicNames {
			n := name
			topics = append(topics, kmsg.DeleteTopicsRequestTopic{Topic: &n})
		}
	}
	ctx, cancel := timeout(r.Ctx, req.TimeoutMillis)
	defer cancel()
	for _, rt := range topics {
		st := kmsg.NewDeleteTopicsResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		img := h.image()
		name := ""
		switch {
		case rt.Topic != nil:
			name = *rt.Topic
			if t := img.Topics[name]; t != nil {
				st.TopicID = t.ID
			} else {
				st.ErrorCode = kerr.UnknownTopicOrPartition.Code
			}
		default:
			if t := img.TopicsByID[rt.TopicID]; t != nil {
				name = t.Name
				st.Topic = &t.Name
			} else {
				st.ErrorCode = kerr.UnknownTopicID.Code
			}
		}
		if st.ErrorCode == 0 && !h.env.Config().DeleteTopicEnable {
			st.ErrorCode = kerr.TopicDeletionDisabled.Code
		}
		if st.ErrorCode == 0 {
			if err := h.env.Meta.DeleteTopic(ctx, name); err != nil {
				st.ErrorCode = code(h.log, "DeleteTopics", err, kerr.RequestTimedOut)
			} else if err := h.env.Reconcile(); err != nil {
				h.log.Error("deleting the partitions of a deleted topic failed", "topic", name, "err", err)
			}
		}
		if st.ErrorCode != 0 && r.Version >= 5 {
			msg := fmt.Sprintf("%s: %s", describeTopicRef(rt), kerr.ErrorForCode(st.ErrorCode))
			st.ErrorMessage = &msg
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Now(resp)
}

func describeTopicRef(rt kmsg.DeleteTopicsRequestTopic) string {
	if rt.Topic != nil {
		return "topic " + *rt.Topic
	}
	return fmt.Sprintf("topic id %x", rt.TopicID)
}
