// Package quorum is the network transport between the controllers of a
// Gregor cluster: it carries the metadata quorum's Raft messages and the
// brokers' heartbeats over TCP, on the controller listener.
//
// # Protocol
//
// A connection carries frames one way, from the dialing node to the
// accepting one; each node dials every other voter once (a connection per
// peer and direction, as etcd's stream transport). A frame is
//
//	length u32 BE | CRC-32C(payload) u32 BE | payload
//
// with a payload of at most MaxFrame bytes whose first byte is its kind:
// 1 hello (JSON {"v":1,"node_id":N,"cluster_id":"..."}, the first frame
// of every connection), 2 a Raft message (raftpb.Message in protobuf), 3 a
// broker heartbeat (JSON metadata.BrokerHeartbeat), 4 a join request (JSON
// metadata.JoinRequest). A receiver closes the connection on any frame
// that is too long, fails its CRC or does not parse, on a hello from
// another cluster, on a Raft message whose From is not the hello's node,
// and on a join for another node not marked forwarded. A node that is not
// a member (no peer entry) may connect, but only its join requests are
// heard: its Raft messages and heartbeats are dropped, so a stray or
// foreign process can never inject messages into the quorum.
//
// # Members
//
// The peers are the configured voters (Config.Peers) plus the members the
// metadata node adds at run time (SetPeer, from the membership changes it
// applies: learners, new voters); RemovePeer stops a removed member's
// writer. The peer map is guarded by the transport's mutex.
//
// # Never blocking Raft
//
// Send and SendHeartbeat are called by the metadata driver; they marshal,
// enqueue on the peer's bounded queue (Config.QueueSize) and return. A
// full queue drops the message (Raft retransmits). A peer goroutine
// writes the queue to its connection, reconnecting with exponential
// backoff (Config.MinBackoff to Config.MaxBackoff); while a peer is
// unreachable its queued messages are dropped and Raft is told
// (ReportUnreachable), and a dropped or failed snapshot is reported with
// ReportSnapshot(to, false), a written one with ReportSnapshot(to, true).
//
// # Goroutines
//
// One accept loop, one reader per accepted connection and one writer per
// peer (SetPeer starts one, RemovePeer ends it), all ended by Close,
// which waits for them.
package quorum
