package handler

// DescribeTopicPartitions (key 75)
//
//	v0: topics' partitions with pagination (KIP-966): at most
//	    response_partition_limit partitions, and a cursor to continue
//
// Eligible leader replicas are not tracked: the ELR lists are empty.

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

func (h *handlers) describeTopicPartitions(r *Request) Reply {
	req := r.Msg.(*kmsg.DescribeTopicPartitionsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeTopicPartitionsResponse)
	resp.SetVersion(r.Version)
	img := h.image()
	var names []string
	if len(req.Topics) == 0 {
		for name := range img.Topics {
			names = append(names, name)
		}
	} else {
		for _, t := range req.Topics {
			names = append(names, t.Topic)
		}
	}
	sort.Strings(names)
	limit := int(req.ResponsePartitionLimit)
	if limit <= 0 {
		limit = 2000
	}
	startTopic, startPartition := "", int32(0)
	if req.Cursor != nil {
		startTopic, startPartition = req.Cursor.Topic, max(req.Cursor.Partition, 0)
	}
	for _, name := range names {
		if name < startTopic {
			continue
		}
		st := kmsg.NewDescribeTopicPartitionsResponseTopic()
		n := name
		st.Topic = &n
		t := img.Topics[name]
		if t == nil {
			st.ErrorCode = kerr.UnknownTopicOrPartition.Code
			resp.Topics = append(resp.Topics, st)
			continue
		}
		st.TopicID, st.IsInternal = t.ID, internalTopics[name]
		first := int32(0)
		if name == startTopic {
			first = startPartition
		}
		for i := first; int(i) < len(t.Partitions); i++ {
			if limit == 0 {
				resp.NextCursor = &kmsg.DescribeTopicPartitionsResponseNextCursor{Topic: name, Partition: i}
				resp.Topics = append(resp.Topics, st)
				return Now(resp)
			}
			st.Partitions = append(st.Partitions, describedPartition(t.Partitions[i]))
			limit--
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Now(resp)
}

func describedPartition(p metadata.Partition) kmsg.DescribeTopicPartitionsResponseTopicPartition {
	sp := kmsg.NewDescribeTopicPartitionsResponseTopicPartition()
	sp.Partition, sp.LeaderID, sp.LeaderEpoch = p.Index, p.Leader, p.LeaderEpoch
	sp.Replicas, sp.ISR = p.Replicas, p.ISR
	sp.EligibleLeaderReplicas, sp.LastKnownELR, sp.OfflineReplicas = []int32{}, []int32{}, []int32{}
	return sp
}
