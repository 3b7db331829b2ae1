package handler

// LeaveGroup (key 13)
//
//	v0: group, member id
//	v1: throttle time
//	v2: no change
//	v3: batched members, each with an optional instance id (KIP-345)
//	v4: flexible
//	v5: reason per member (KIP-800)

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func (h *handlers) leaveGroup(r *Request) Reply {
	req := r.Msg.(*kmsg.LeaveGroupRequest)
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	resp.SetVersion(r.Version)
	var members []group.LeaveMember
	if r.Version < 3 {
		members = []group.LeaveMember{{MemberID: req.MemberID}}
	}
	for _, m := range req.Members {
		lm := group.LeaveMember{MemberID: m.MemberID}
		if m.InstanceID != nil {
			lm.InstanceID = *m.InstanceID
		}
		members = append(members, lm)
	}
	top, codes := h.env.Groups.Leave(r.Ctx, req.Group, members)
	resp.ErrorCode = top
	if r.Version < 3 {
		if top == 0 && len(codes) == 1 {
			resp.ErrorCode = codes[0]
		}
		return Now(resp)
	}
	for i, m := range req.Members {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID = m.MemberID, m.InstanceID
		if i < len(codes) {
			rm.ErrorCode = codes[i]
		}
		resp.Members = append(resp.Members, rm)
	}
	return Now(resp)
}
