package handler

// RemoveRaftVoter (key 81)
//
//	v0: cluster id, voter id, directory id (KIP-853)
//
// Removes a voter (or a learner: a broker-only node that is being
// decommissioned) from the metadata quorum with one Raft ConfChange, and
// answers once it is committed and applied. Removing the active
// controller makes it step down; the others elect a new one. The last
// voter cannot be removed. Any node may receive it: the change goes to
// the leader through Raft. Errors: INCONSISTENT_CLUSTER_ID,
// VOTER_NOT_FOUND, INVALID_REQUEST (the last voter), NOT_CONTROLLER (the
// leader changed meanwhile: the change may or may not have been applied),
// REQUEST_TIMED_OUT. The directory id is ignored.

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

func (h *handlers) removeRaftVoter(r *Request) Reply {
	req := r.Msg.(*kmsg.RemoveRaftVoterRequest)
	resp := req.ResponseKind().(*kmsg.RemoveRaftVoterResponse)
	resp.SetVersion(r.Version)
	if req.ClusterID != nil && *req.ClusterID != h.image().ClusterID {
		resp.ErrorCode = kerr.InconsistentClusterID.Code
		return Now(resp)
	}
	return Later(func() kmsg.Response {
		ctx, cancel := timeout(r.Ctx, 0)
		defer cancel()
		err := h.env.Meta.RemoveVoter(ctx, req.VoterID)
		resp.ErrorCode = membershipCode(h, "RemoveRaftVoter", err)
		if err != nil {
			resp.ErrorMessage = new(fmt.Sprint(err))
		}
		return resp
	})
}

// membershipCode maps the errors of a membership change to Kafka codes.
func membershipCode(h *handlers, what string, err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, metadata.ErrDuplicateVoter):
		return kerr.DuplicateVoter.Code
	case errors.Is(err, metadata.ErrUnknownMember):
		return kerr.VoterNotFound.Code
	case errors.Is(err, metadata.ErrLastVoter):
		return kerr.InvalidRequest.Code
	case errors.Is(err, metadata.ErrNotCaughtUp), errors.Is(err, context.DeadlineExceeded):
		return kerr.RequestTimedOut.Code
	}
	return code(h.log, what, err, kerr.RequestTimedOut)
}
