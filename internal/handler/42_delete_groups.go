package handler

// DeleteGroups (key 42)
//
//	v0: group ids in, an error code per group out
//	v1: no change
//	v2: flexible
//
// Only an empty group can be deleted (NON_EMPTY_GROUP otherwise); its
// offsets go with it.

import "github.com/twmb/franz-go/pkg/kmsg"

func (h *handlers) deleteGroups(r *Request) Reply {
	req := r.Msg.(*kmsg.DeleteGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	resp.SetVersion(r.Version)
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	for _, id := range req.Groups {
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group, rg.ErrorCode = id, h.env.Groups.Delete(ctx, id)
		resp.Groups = append(resp.Groups, rg)
	}
	return Now(resp)
}
