package metadata

import (
	"errors"

	"go.etcd.io/raft/v3/raftpb"
)

// Transport carries Raft messages from this node to the other members of
// the quorum. Send is called from the driver goroutine after the messages'
// preconditions (entries and hard state) are durable; it must not block
// for long (queue and return) and may drop messages, which Raft
// tolerates. Messages from peers will enter through a Node method the
// cluster work adds (Step); a quorum of one needs no transport.
type Transport interface {
	Send(msgs []*raftpb.Message) error
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
