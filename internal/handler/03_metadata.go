package handler

// Metadata (key 3)
//
//	v0: brokers and topics; an empty topic list means all topics
//	v1: controller id, rack, is_internal; a null list means all, an empty
//	    list none
//	v2: cluster id
//	v3: throttle time
//	v4: allow_auto_topic_creation (implied true before v4)
//	v5: offline replicas
//	v6: no change
//	v7: leader epoch (KIP-320)
//	v8: authorized operations (KIP-430)
//	v9: flexible
//	v10: topic ids (KIP-516)
//	v11: cluster authorized operations removed
//	v12: topics may be requested by id; topic names nullable
//
// Auto-creation (auto.create.topics.enable and the request's flag) creates
// the topic through the metadata quorum and answers with it at once.

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

// internalTopics are flagged is_internal, as Kafka does.
var internalTopics = map[string]bool{
	"__consumer_offsets": true, "__transaction_state": true, "__share_group_state": true,
}

func (h *handlers) metadata(r *Request) Reply {
	req := r.Msg.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	resp.SetVersion(r.Version)
	img := h.image()
	resp.Brokers = brokersOf(img)
	resp.ClusterID = &img.ClusterID
	resp.ControllerID = img.ClientController(h.env.NodeID)

	all := req.Topics == nil || (r.Version == 0 && len(req.Topics) == 0)
	if all {
		names := make([]string, 0, len(img.Topics))
		for name := range img.Topics {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			resp.Topics = append(resp.Topics, topicMetadata(img.Topics[name], r.Version))
		}
		return Now(resp)
	}
	autoCreate := (r.Version < 4 || req.AllowAutoTopicCreation) && h.env.Config().AutoCreateTopicsEnable
	for _, rt := range req.Topics {
		resp.Topics = append(resp.Topics, h.requestedTopic(r.Ctx, &img, rt, autoCreate, r.Version))
	}
	return Now(resp)
}

// requestedTopic answers one requested topic, auto-creating it if allowed
// (img is refreshed after a creation).
func (h *handlers) requestedTopic(ctx context.Context, img **metadata.Image, rt kmsg.MetadataRequestTopic, autoCreate bool, version int16) kmsg.MetadataResponseTopic {
	if rt.Topic == nil {
		st := kmsg.NewMetadataResponseTopic()
		st.TopicID = rt.TopicID
		if t := (*img).TopicsByID[rt.TopicID]; t != nil {
			return topicMetadata(t, version)
		}
		st.ErrorCode = kerr.UnknownTopicID.Code
		return st
	}
	name := *rt.Topic
	if t := (*img).Topics[name]; t != nil {
		return topicMetadata(t, version)
	}
	st := kmsg.NewMetadataResponseTopic()
	st.Topic = rt.Topic
	st.ErrorCode = kerr.UnknownTopicOrPartition.Code
	if err := validateTopicName(name); err != nil {
		st.ErrorCode = kerr.InvalidTopicException.Code
		return st
	}
	if !autoCreate {
		return st
	}
	t := &topicRequest{name: name, partitions: -1, replicationFactor: -1}
	if kerrCode, msg := h.checkTopic(*img, h.env.Config(), t); kerrCode != nil {
		if kerrCode != kerr.TopicAlreadyExists {
			h.log.Warn("auto-creating topic refused", "topic", name, "reason", msg)
			st.ErrorCode = kerrCode.Code
			return st
		}
	} else {
		ctx, cancel := timeout(ctx, 0)
		defer cancel()
		if _, err := h.createTopic(ctx, t); err != nil && !isTopicExists(err) {
			st.ErrorCode = code(h.log, "Metadata auto-create", err, kerr.LeaderNotAvailable)
			return st
		}
		h.log.Info("auto-created topic", "topic", name, "partitions", t.partitions)
	}
	*img = h.image()
	if t := (*img).Topics[name]; t != nil {
		return topicMetadata(t, version)
	}
	st.ErrorCode = kerr.LeaderNotAvailable.Code
	return st
}

func brokersOf(img *metadata.Image) []kmsg.MetadataResponseBroker {
	ids := make([]int32, 0, len(img.Brokers))
	for id := range img.Brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]kmsg.MetadataResponseBroker, 0, len(ids))
	for _, id := range ids {
		b := img.Brokers[id]
		if b.Fenced {
			continue // fenced: missed its heartbeats or shut down (docs/metadata.md)
		}
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port = b.ID, b.Host, b.Port
		if b.Rack != "" {
			rack := b.Rack
			mb.Rack = &rack
		}
		out = append(out, mb)
	}
	return out
}

func topicMetadata(t *metadata.Topic, version int16) kmsg.MetadataResponseTopic {
	st := kmsg.NewMetadataResponseTopic()
	name := t.Name
	st.Topic = &name
	st.TopicID = t.ID
	st.IsInternal = internalTopics[t.Name]
	for _, p := range t.Partitions {
		sp := kmsg.NewMetadataResponseTopicPartition()
		sp.Partition = p.Index
		sp.Leader = p.Leader
		sp.LeaderEpoch = p.LeaderEpoch
		sp.Replicas = p.Replicas
		sp.ISR = p.ISR
		sp.OfflineReplicas = []int32{}
		if p.Leader == metadata.NoLeader { // every ISR member is down
			sp.ErrorCode = kerr.LeaderNotAvailable.Code
		}
		st.Partitions = append(st.Partitions, sp)
	}
	return st
}
