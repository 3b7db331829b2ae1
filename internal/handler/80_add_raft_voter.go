package handler

// AddRaftVoter (key 80)
//
//	v0: cluster id, timeout, voter id, directory id, listeners (KIP-853)
//	v1: ack_when_committed (KIP-1186)
//
// Gregor's quorum is etcd Raft: adding a voter promotes a learner, a node
// that already joined the quorum and follows its log (a controller
// started with an id not in controller.quorum.voters, or a broker-only
// node), with one Raft ConfChange. The node must be caught up with the
// leader's log (else REQUEST_TIMED_OUT, as Kafka answers a voter that did
// not catch up). The first listener, if any, replaces the node's Raft
// address. The answer always waits for the change to be committed and
// applied (ack_when_committed=false is answered the same way). Any node
// may receive it: the change goes to the leader through Raft.
// Errors: INCONSISTENT_CLUSTER_ID, DUPLICATE_VOTER, VOTER_NOT_FOUND (not a
// learner), NOT_CONTROLLER (the leader changed meanwhile), REQUEST_TIMED_OUT.
// The directory id is ignored (Gregor has one log directory per node).

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) addRaftVoter(r *Request) Reply {
	req := r.Msg.(*kmsg.AddRaftVoterRequest)
	resp := req.ResponseKind().(*kmsg.AddRaftVoterResponse)
	resp.SetVersion(r.Version)
	if req.ClusterID != nil && *req.ClusterID != h.image().ClusterID {
		resp.ErrorCode = kerr.InconsistentClusterID.Code
		return Now(resp)
	}
	addr := ""
	if len(req.Listeners) > 0 {
		l := req.Listeners[0]
		addr = net.JoinHostPort(l.Host, strconv.Itoa(int(l.Port)))
	}
	return Later(func() kmsg.Response {
		ctx, cancel := timeout(r.Ctx, req.TimeoutMillis)
		defer cancel()
		err := h.env.Meta.AddVoter(ctx, req.VoterID, addr)
		resp.ErrorCode = membershipCode(h, "AddRaftVoter", err)
		if err != nil {
			resp.ErrorMessage = new(fmt.Sprint(err))
		}
		return resp
	})
}
