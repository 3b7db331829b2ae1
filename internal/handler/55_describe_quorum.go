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
// so clients look up the controller and retry, unless the leader is a
// controller-only node (no Kafka listener, so clients cannot reach it):
// then it answers with its own view, in which only its own log end is
// known (-1 for the others). Observers are the quorum's learners
// (broker-only nodes, controllers not yet voting). Endpoints (v2) are the
// registered brokers' listeners, or, for a node that is no broker, its
// Raft address when a membership change recorded it. No replica
// directory ids.

import (
	"net"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/metadata"
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
	img := h.image()
	if !st.IsLeader && (st.Leader < 0 || img.Brokers[st.Leader] != nil) {
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
			p.CurrentVoters = replicaStates(st, st.Voters)
			p.Observers = replicaStates(st, st.Observers)
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	if r.Version >= 2 {
		for _, v := range append(slices.Clone(st.Voters), st.Observers...) {
			resp.Nodes = append(resp.Nodes, quorumNode(img, st, v.ID))
		}
	}
	return Now(resp)
}

func replicaStates(st metadata.QuorumStatus, vs []metadata.VoterStatus) []kmsg.DescribeQuorumResponseTopicPartitionReplicaState {
	out := []kmsg.DescribeQuorumResponseTopicPartitionReplicaState{}
	for _, v := range vs {
		rs := kmsg.NewDescribeQuorumResponseTopicPartitionReplicaState()
		rs.ReplicaID, rs.LogEndOffset = v.ID, v.LogEnd
		rs.LastFetchTimestamp, rs.LastCaughtUpTimestamp = -1, -1
		if !v.LastHeard.IsZero() {
			rs.LastFetchTimestamp = v.LastHeard.UnixMilli()
			if v.LogEnd >= int64(st.Commit) {
				rs.LastCaughtUpTimestamp = rs.LastFetchTimestamp
			}
		}
		out = append(out, rs)
	}
	return out
}

// quorumNode is one member's endpoint: its broker listener, else its
// Raft address when known.
func quorumNode(img *metadata.Image, st metadata.QuorumStatus, id int32) kmsg.DescribeQuorumResponseNode {
	n := kmsg.NewDescribeQuorumResponseNode()
	n.NodeID = id
	l := kmsg.NewDescribeQuorumResponseNodeListener()
	if b := img.Brokers[id]; b != nil {
		l.Name, l.Host, l.Port = "PLAINTEXT", b.Host, uint16(b.Port)
		n.Listeners = append(n.Listeners, l)
	} else if host, port, err := net.SplitHostPort(st.Addrs[id]); err == nil {
		if p, err := strconv.ParseUint(port, 10, 16); err == nil {
			l.Name, l.Host, l.Port = "CONTROLLER", host, uint16(p)
			n.Listeners = append(n.Listeners, l)
		}
	}
	return n
}
