package handler

// JoinGroup (key 11)
//
//	v0: group, session timeout, member id, protocol type and protocols
//	v1: rebalance timeout (v0 uses the session timeout for both)
//	v2: throttle time
//	v3: no change
//	v4: MEMBER_ID_REQUIRED: a new member gets its id and rejoins (KIP-394)
//	v5: group instance id, static membership (KIP-345)
//	v6: flexible
//	v7: protocol type in the response (KIP-559)
//	v8: reason (KIP-800)
//	v9: skip_assignment for a rejoining static leader (KIP-814)
//
// The response waits (handler.Later) until the rebalance completes.

import (
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func (h *handlers) joinGroup(r *Request) Reply {
	req := r.Msg.(*kmsg.JoinGroupRequest)
	jr := group.JoinRequest{
		MemberID: req.MemberID, ClientID: r.ClientID, ClientHost: clientHost(r.ClientAddr),
		ProtocolType:       req.ProtocolType,
		SessionTimeout:     time.Duration(req.SessionTimeoutMillis) * time.Millisecond,
		RebalanceTimeout:   time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond,
		RequireKnownMember: r.Version >= 4,
	}
	if r.Version == 0 {
		jr.RebalanceTimeout = jr.SessionTimeout
	}
	if req.InstanceID != nil {
		jr.InstanceID = *req.InstanceID
	}
	for _, p := range req.Protocols {
		jr.Protocols = append(jr.Protocols, group.Protocol{Name: p.Name, Metadata: p.Metadata})
	}
	pending := h.env.Groups.Join(r.Ctx, req.Group, jr)
	if res, ok := pending.Ready(); ok {
		return Now(joinResponse(r, res))
	}
	return Later(func() kmsg.Response {
		res, ok := pending.Wait(r.Ctx)
		if !ok {
			res = group.JoinResponse{Err: kerr.CoordinatorNotAvailable.Code, Generation: -1, MemberID: req.MemberID}
		}
		return joinResponse(r, res)
	})
}

func joinResponse(r *Request, res group.JoinResponse) kmsg.Response {
	resp := r.Msg.(*kmsg.JoinGroupRequest).ResponseKind().(*kmsg.JoinGroupResponse)
	resp.SetVersion(r.Version)
	resp.ErrorCode, resp.Generation, resp.LeaderID, resp.MemberID = res.Err, res.Generation, res.Leader, res.MemberID
	resp.SkipAssignment = res.SkipAssignment && r.Version >= 9
	if res.Err == 0 {
		resp.Protocol = &res.Protocol
		resp.ProtocolType = &res.ProtocolType
	}
	for _, m := range res.Members {
		rm := kmsg.NewJoinGroupResponseMember()
		rm.MemberID, rm.ProtocolMetadata = m.MemberID, m.Metadata
		if m.InstanceID != "" {
			id := m.InstanceID
			rm.InstanceID = &id
		}
		resp.Members = append(resp.Members, rm)
	}
	return resp
}

// clientHost renders a client address as Kafka does (InetAddress's
// toString: "/1.2.3.4").
func clientHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return "/" + a.String()
	}
	return "/" + host
}
