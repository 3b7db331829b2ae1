package handler

// DescribeQuorum (key 55)
//
//	v0: leader, epoch, high watermark, voters' log end offsets (KIP-595)
//	v1: last fetch and last caught-up timestamps (KIP-836)
//	v2: error messages, replica directory ids, voters' endpoints (KIP-853)
//
// Kafka clients send it to the active controller (it is an admin request
// in franz-go). Gregor's quorum is etcd Raft, not KRaft, so the answer is
// a translation: the partition is __cluster_metadata-0, the leader epoch
// the Raft term, the high watermark the Raft commit index and a voter's
// log end offset the index of the last entry the leader knows it holds.
// Timestamps are when the leader last heard from the voter (both fields;
// -1 when never). A node that is not the leader answers NOT_CONTROLLER,
// so clients look up the controller and retry. There are no observers
// (brokers are all voters so far) and no replica directory ids.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const clusterMetadataTopic = "__cluster_metadata"

func (h *handlers) describeQuorum(r *Request) Reply {
	req := r.Msg.(*kmsg.DescribeQuorumRequest)
	resp := req.ResponseKind().(*kmsg.DescribeQuorumResponse)
	resp.SetVersion(r.Version)
	st, err := h.env.Meta.QuorumStatus(r.Ctx)
	if err != nil {
		resp.ErrorCode = code(h.log, "DescribeQuorum", err, kerr.UnknownServerError)
		return Now(resp)
	}
	if !st.IsLeader {
		resp.ErrorCode = kerr.NotController.Code
		return Now(resp)
	}
	for _, rt := range req.Topics {
		t := kmsg.NewDescribeQuorumResponseTopic()
		t.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			p := kmsg.NewDescribeQuorumResponseTopicPartition()
			p.Partition = rp.Partition
			if rt.Topic != clusterMetadataTopic || rp.Partition != 0 {
				p.ErrorCode = kerr.UnknownTopicOrPartition.Code
				t.Partitions = append(t.Partitions, p)
				continue
			}
			p.LeaderID, p.LeaderEpoch, p.HighWatermark = st.Leader, int32(st.Term), int64(st.Commit)
			for _, v := range st.Voters {
				rs := kmsg.NewDescribeQuorumResponseTopicPartitionReplicaState()
				rs.ReplicaID, rs.LogEndOffset = v.ID, v.LogEnd
				rs.LastFetchTimestamp, rs.LastCaughtUpTimestamp = -1, -1
				if !v.LastHeard.IsZero() {
					rs.LastFetchTimestamp = v.LastHeard.UnixMilli()
					if v.LogEnd >= int64(st.Commit) {
						rs.LastCaughtUpTimestamp = rs.LastFetchTimestamp
					}
				}
				p.CurrentVoters = append(p.CurrentVoters, rs)
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	if r.Version >= 2 {
		img := h.image()
		for _, v := range st.Voters {
			n := kmsg.NewDescribeQuorumResponseNode()
			n.NodeID = v.ID
			if b := img.Brokers[v.ID]; b != nil {
				l := kmsg.NewDescribeQuorumResponseNodeListener()
				l.Name, l.Host, l.Port = "PLAINTEXT", b.Host, uint16(b.Port)
				n.Listeners = append(n.Listeners, l)
			}
			resp.Nodes = append(resp.Nodes, n)
		}
	}
	return Now(resp)
}
