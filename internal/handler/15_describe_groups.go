package handler

// DescribeGroups (key 15)
//
//	v0: group ids in; state, protocol type and name, members out
//	v1: throttle time
//	v2: no change
//	v3: authorized operations (KIP-430)
//	v4: group instance id per member (KIP-345)
//	v5: flexible
//	v6: error message per group (KIP-1043)
//
// An unknown group is described as Dead with no error, as Kafka does.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// authorizedOperationsOmitted is Kafka's INT32_MIN: "not requested".
const authorizedOperationsOmitted = -2147483648

func (h *handlers) describeGroups(r *Request) Reply {
	req := r.Msg.(*kmsg.DescribeGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	resp.SetVersion(r.Version)
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	for _, id := range req.Groups {
		d := h.env.Groups.Describe(ctx, id)
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group, rg.ErrorCode, rg.State = id, d.Err, d.State.String()
		rg.ProtocolType, rg.Protocol = d.ProtocolType, d.Protocol
		rg.AuthorizedOperations = authorizedOperationsOmitted
		if req.IncludeAuthorizedOperations {
			// Without ACLs every operation on a group is allowed:
			// READ(3), DELETE(6), DESCRIBE(8) as a bit field.
			rg.AuthorizedOperations = 1<<3 | 1<<6 | 1<<8
		}
		for _, m := range d.Members {
			rm := kmsg.NewDescribeGroupsResponseGroupMember()
			rm.MemberID, rm.ClientID, rm.ClientHost = m.MemberID, m.ClientID, m.ClientHost
			rm.ProtocolMetadata, rm.MemberAssignment = nonNil(m.Metadata), nonNil(m.Assignment)
			if m.InstanceID != "" {
				id := m.InstanceID
				rm.InstanceID = &id
			}
			rg.Members = append(rg.Members, rm)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return Now(resp)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
