package handler

// FindCoordinator (key 10)
//
//	v0: one group key; answers node id, host, port
//	v1: key type (0 group, 1 transaction), error message
//	v2: no change
//	v3: flexible
//	v4: batched keys in, one coordinator per key out (KIP-699)
//	v5: no change (TRANSACTION_ABORTABLE may be returned, KIP-890)
//	v6: key type 2, share groups (KIP-932)
//
// A group's coordinator is the leader of its __consumer_offsets partition;
// the topic is created on the first lookup. A transactional id's
// coordinator is the leader of its __transaction_state partition (also
// created on first lookup); share groups are not served (INVALID_REQUEST).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Coordinator key types.
const (
	coordinatorGroup       = 0
	coordinatorTransaction = 1
)

func (h *handlers) findCoordinator(r *Request) Reply {
	req := r.Msg.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	resp.SetVersion(r.Version)
	if r.Version < 4 {
		c := h.coordinatorFor(r, req.CoordinatorType, req.CoordinatorKey)
		resp.ErrorCode, resp.ErrorMessage = c.ErrorCode, c.ErrorMessage
		resp.NodeID, resp.Host, resp.Port = c.NodeID, c.Host, c.Port
		return Now(resp)
	}
	for _, key := range req.CoordinatorKeys {
		resp.Coordinators = append(resp.Coordinators, h.coordinatorFor(r, req.CoordinatorType, key))
	}
	return Now(resp)
}

func (h *handlers) coordinatorFor(r *Request, keyType int8, key string) kmsg.FindCoordinatorResponseCoordinator {
	c := kmsg.NewFindCoordinatorResponseCoordinator()
	c.Key, c.NodeID, c.Port = key, -1, -1
	fail := func(err *kerr.Error) kmsg.FindCoordinatorResponseCoordinator {
		c.ErrorCode = err.Code
		msg := err.Message
		c.ErrorMessage = &msg
		return c
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	var node int32
	switch keyType {
	case coordinatorGroup:
		var err error
		if node, err = h.env.Groups.Coordinator(ctx, key); err != nil {
			c.ErrorCode = h.env.Groups.ErrCode("FindCoordinator", err)
			return c
		}
	case coordinatorTransaction:
		var err error
		if node, err = h.env.Txns.Coordinator(ctx, key); err != nil {
			c.ErrorCode = h.env.Txns.ErrCode("FindCoordinator", err)
			return c
		}
	default:
		return fail(kerr.InvalidRequest)
	}
	b := h.image().Brokers[node]
	if b == nil {
		return fail(kerr.CoordinatorNotAvailable)
	}
	c.NodeID, c.Host, c.Port = node, b.Host, b.Port
	return c
}
