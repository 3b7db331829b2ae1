package handler

// SyncGroup (key 14)
//
//	v0: group, generation, member id, the leader's assignments
//	v1: throttle time
//	v2: no change
//	v3: group instance id (KIP-345)
//	v4: flexible
//	v5: protocol type and name in and out, checked (KIP-559)
//
// Followers' responses wait (handler.Later) for the leader's assignment.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func (h *handlers) syncGroup(r *Request) Reply {
	req := r.Msg.(*kmsg.SyncGroupRequest)
	sr := group.SyncRequest{
		MemberID: req.MemberID, Generation: req.Generation,
		ProtocolType: req.ProtocolType, Protocol: req.Protocol,
		Assignments: make(map[string][]byte, len(req.GroupAssignment)),
	}
	if req.InstanceID != nil {
		sr.InstanceID = *req.InstanceID
	}
	for _, a := range req.GroupAssignment {
		sr.Assignments[a.MemberID] = a.MemberAssignment
	}
	pending := h.env.Groups.Sync(r.Ctx, req.Group, sr)
	if res, ok := pending.Ready(); ok {
		return Now(syncResponse(r, res))
	}
	return Later(func() kmsg.Response {
		res, ok := pending.Wait(r.Ctx)
		if !ok {
			res = group.SyncResponse{Err: kerr.CoordinatorNotAvailable.Code}
		}
		return syncResponse(r, res)
	})
}

func syncResponse(r *Request, res group.SyncResponse) kmsg.Response {
	resp := r.Msg.(*kmsg.SyncGroupRequest).ResponseKind().(*kmsg.SyncGroupResponse)
	resp.SetVersion(r.Version)
	resp.ErrorCode = res.Err
	if res.Err == 0 {
		resp.ProtocolType, resp.Protocol = &res.ProtocolType, &res.Protocol
		resp.MemberAssignment = res.Assignment
		if resp.MemberAssignment == nil {
			resp.MemberAssignment = []byte{}
		}
	}
	return resp
}
