package handler

// ListGroups (key 16)
//
//	v0: every group this broker coordinates, with its protocol type
//	v1: throttle time
//	v2: no change
//	v3: flexible
//	v4: states filter in, state out (KIP-518)
//	v5: types filter in, type out (KIP-848; "classic" only here)

import "github.com/twmb/franz-go/pkg/kmsg"

func (h *handlers) listGroups(r *Request) Reply {
	req := r.Msg.(*kmsg.ListGroupsRequest)
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	resp.SetVersion(r.Version)
	for _, l := range h.env.Groups.List(req.StatesFilter, req.TypesFilter) {
		rg := kmsg.NewListGroupsResponseGroup()
		rg.Group, rg.ProtocolType, rg.GroupState, rg.GroupType = l.ID, l.ProtocolType, l.State.String(), l.Type
		resp.Groups = append(resp.Groups, rg)
	}
	return Now(resp)
}
