package group

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
)

// ErrCode maps a coordinator error to the Kafka code a group request
// answers: NOT_COORDINATOR when another broker (or none) owns the group,
// COORDINATOR_NOT_AVAILABLE otherwise (retriable, so clients look the
// coordinator up again). The error is logged unless it is the expected
// NOT_COORDINATOR.
func (c *Coordinator) ErrCode(what string, err error) int16 {
	if errors.Is(err, ErrNotCoordinator) {
		return kerr.NotCoordinator.Code
	}
	c.log.Error("group coordinator error", "in", what, "err", err, "answered", kerr.CoordinatorNotAvailable.Message)
	return kerr.CoordinatorNotAvailable.Code
}

// Pending is a response that may not be ready yet.
type Pending[T any] struct {
	ch chan T
}

// Ready returns the response if it is already known.
func (p Pending[T]) Ready() (T, bool) {
	select {
	case v := <-p.ch:
		// Put it back so Wait still works.
		p.ch <- v
		return v, true
	default:
		var zero T
		return zero, false
	}
}

// Wait blocks until the response is known or ctx ends (then ok is false).
func (p Pending[T]) Wait(ctx context.Context) (v T, ok bool) {
	select {
	case v = <-p.ch:
		return v, true
	case <-ctx.Done():
		return v, false
	}
}

func ready[T any](v T) Pending[T] {
	ch := make(chan T, 1)
	ch <- v
	return Pending[T]{ch}
}

// Join handles JoinGroup for group. The response may come later, when the
// rebalance completes.
func (c *Coordinator) Join(ctx context.Context, group string, req JoinRequest) Pending[JoinResponse] {
	if group == "" {
		return ready(*errJoin(kerr.InvalidGroupID, req.MemberID))
	}
	e, err := c.lookup(ctx, group, true)
	if err != nil {
		r := JoinResponse{Err: c.ErrCode("JoinGroup", err), Generation: -1, MemberID: req.MemberID}
		return ready(r)
	}
	req.Waiter = Waiter(c.waiters.Add(1))
	req.NewMemberID = newMemberID(req.ClientID)
	ch := make(chan JoinResponse, 1)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil {
		if !e.c.IsEmpty() {
			// Classic members cannot join a consumer-protocol group
			// here (Kafka 4's mixed groups are not implemented).
			return ready(*errJoin(kerr.InconsistentGroupProtocol, req.MemberID))
		}
		// An empty consumer group becomes a classic one.
		if err := c.dropConsumer(e); err != nil {
			return ready(JoinResponse{Err: c.ErrCode("JoinGroup", err), Generation: -1, MemberID: req.MemberID})
		}
	}
	e.g.SetLimits(c.limits())
	e.joins[req.Waiter] = ch
	resp, out := e.g.Join(c.now(), req)
	if resp != nil {
		delete(e.joins, req.Waiter)
		if !c.apply(e, out) && out.Store {
			*resp = *errJoin(kerr.CoordinatorNotAvailable, resp.MemberID)
		}
		return ready(*resp)
	}
	c.apply(e, out)
	return Pending[JoinResponse]{ch}
}

// Sync handles SyncGroup; followers wait for the leader's assignment.
func (c *Coordinator) Sync(ctx context.Context, group string, req SyncRequest) Pending[SyncResponse] {
	if group == "" {
		return ready(SyncResponse{Err: kerr.InvalidGroupID.Code})
	}
	e, err := c.lookup(ctx, group, false)
	if err != nil {
		return ready(SyncResponse{Err: c.ErrCode("SyncGroup", err)})
	}
	if e == nil {
		return ready(SyncResponse{Err: kerr.UnknownMemberID.Code})
	}
	req.Waiter = Waiter(c.waiters.Add(1))
	ch := make(chan SyncResponse, 1)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.syncs[req.Waiter] = ch
	resp, out := e.g.Sync(c.now(), req)
	if resp != nil {
		delete(e.syncs, req.Waiter)
		c.apply(e, out)
		return ready(*resp)
	}
	c.apply(e, out)
	return Pending[SyncResponse]{ch}
}

// Heartbeat handles Heartbeat and returns its error code.
func (c *Coordinator) Heartbeat(ctx context.Context, group, memberID, instanceID string, generation int32) int16 {
	if group == "" {
		return kerr.InvalidGroupID.Code
	}
	e, err := c.lookup(ctx, group, false)
	if err != nil {
		return c.ErrCode("Heartbeat", err)
	}
	if e == nil {
		return kerr.UnknownMemberID.Code
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	code := e.g.Heartbeat(c.now(), memberID, instanceID, generation)
	c.alarm.Set(e.g.NextDeadline())
	return code
}

// Leave handles LeaveGroup: a top-level error code, or one per member.
func (c *Coordinator) Leave(ctx context.Context, group string, members []LeaveMember) (int16, []int16) {
	if group == "" {
		return kerr.InvalidGroupID.Code, nil
	}
	e, err := c.lookup(ctx, group, false)
	if err != nil {
		return c.ErrCode("LeaveGroup", err), nil
	}
	if e == nil {
		codes := make([]int16, len(members))
		for i := range codes {
			codes[i] = kerr.UnknownMemberID.Code
		}
		return 0, codes
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	codes, out := e.g.Leave(c.now(), members)
	c.apply(e, out)
	return 0, codes
}
