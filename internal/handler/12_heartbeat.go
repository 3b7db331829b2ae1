package handler

// Heartbeat (key 12)
//
//	v0: group, generation, member id
//	v1: throttle time
//	v2: no change
//	v3: group instance id (KIP-345)
//	v4: flexible

import "github.com/twmb/franz-go/pkg/kmsg"

func (h *handlers) heartbeat(r *Request) Reply {
	req := r.Msg.(*kmsg.HeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	resp.SetVersion(r.Version)
	instance := ""
	if req.InstanceID != nil {
		instance = *req.InstanceID
	}
	resp.ErrorCode = h.env.Groups.Heartbeat(r.Ctx, req.Group, req.MemberID, instance, req.Generation)
	return Now(resp)
}
