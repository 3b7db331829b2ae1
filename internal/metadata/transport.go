package metadata

import (
	"errors"

	"go.etcd.io/raft/v3/raftpb"
)

// Transport carries messages from this node to the other members of the
// quorum. Both methods are called from the driver goroutine, Send after
// the messages' preconditions (entries and hard state) are durable; they
// must not block (queue and return) and may drop messages, which Raft
// tolerates. A transport that drops a MsgSnap, or fails to deliver one,
// must call Node.ReportSnapshot(to, false) (and true once one was
// delivered), or the leader stops replicating to that follower.
//
// Messages from peers enter through Node.Step, heartbeats through
// Node.ReceiveHeartbeat, join requests through Node.ReceiveJoin, and
// delivery problems through Node.ReportUnreachable and
// Node.ReportSnapshot; all five are safe to call from any goroutine and
// never block.
type Transport interface {
	Send(msgs []*raftpb.Message) error
	// SendHeartbeat carries a broker's heartbeat to the node that this
	// node believes is the active controller.
	SendHeartbeat(to uint64, hb BrokerHeartbeat) error
	// SendJoin carries a join request (membership.go) to node to.
	SendJoin(to uint64, j JoinRequest) error
	// SetPeer tells the transport member id's Raft address (a member
	// added by a membership change); RemovePeer forgets a removed member.
	// Neither may block.
	SetPeer(id uint64, addr string)
	RemovePeer(id uint64)
}

// errNoTransport is what the default transport says when asked to reach a
// peer: this node was configured as a quorum of one.
var errNoTransport = errors.New("metadata: no transport configured for peer messages")

// localTransport is the transport of a quorum of one: there is nobody to
// send to.
type localTransport struct{}

func (localTransport) Send(msgs []*raftpb.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	return errNoTransport
}

func (localTransport) SendHeartbeat(uint64, BrokerHeartbeat) error { return errNoTransport }

func (localTransport) SendJoin(uint64, JoinRequest) error { return errNoTransport }

func (localTransport) SetPeer(uint64, string) {}

func (localTransport) RemovePeer(uint64) {}
