package metadata

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/tracker"
)

// QuorumStatus is one node's view of the Raft quorum (DescribeQuorum).
// Only the leader knows every voter's progress; a follower reports its
// own log end and LogEnd -1 for the others.
type QuorumStatus struct {
	NodeID   int32
	Leader   int32 // -1 when no leader is known
	IsLeader bool
	Term     uint64
	// Commit is the Raft commit index (Kafka's high watermark of the
	// metadata log) and LastIndex the last entry in this node's log.
	Commit, LastIndex uint64
	Voters            []VoterStatus // by id
	// Observers are the learners (broker-only nodes, controllers not yet
	// voting): they replicate the log but do not vote. By id.
	Observers []VoterStatus
	// Addrs are the Raft addresses of the members added by membership
	// changes (the others come from controller.quorum.voters).
	Addrs map[int32]string
}

// VoterStatus is one voter's replication progress as a node sees it.
type VoterStatus struct {
	ID int32
	// LogEnd is the index of the last entry known to be in the voter's
	// log; -1 when unknown.
	LogEnd int64
	// LastHeard is when this node last received a message from the voter
	// (now for itself); zero when never.
	LastHeard time.Time
}

// QuorumStatus asks the driver for the quorum's state as this node sees
// it; ErrClosed once the node is closed.
func (n *Node) QuorumStatus(ctx context.Context) (QuorumStatus, error) {
	c := make(chan QuorumStatus, 1)
	select {
	case n.statusc <- c:
	case <-n.donec:
		return QuorumStatus{}, n.closedErr()
	case <-ctx.Done():
		return QuorumStatus{}, fmt.Errorf("metadata: quorum status: %w", ctx.Err())
	}
	return <-c, nil
}

func (d *driver) status() QuorumStatus {
	bs := d.rn.BasicStatus()
	last, _ := d.ms.LastIndex() // MemoryStorage.LastIndex never fails
	qs := QuorumStatus{
		NodeID:    d.n.cfg.NodeID,
		Leader:    -1,
		IsLeader:  bs.RaftState == raft.StateLeader,
		Term:      bs.GetTerm(),
		Commit:    bs.GetCommit(),
		LastIndex: last,
	}
	if bs.Lead != raft.None {
		qs.Leader = int32(bs.Lead)
	}
	match := map[uint64]uint64{}
	if qs.IsLeader {
		d.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) { match[id] = pr.Match })
	}
	now := time.Now()
	progress := func(ids []uint64) []VoterStatus {
		out := []VoterStatus{}
		for _, id := range slices.Sorted(slices.Values(ids)) {
			v := VoterStatus{ID: int32(id), LogEnd: -1, LastHeard: d.heard[id]}
			if m, ok := match[id]; ok {
				v.LogEnd = int64(m)
			}
			if id == uint64(d.n.cfg.NodeID) {
				v.LogEnd, v.LastHeard = int64(last), now
			}
			out = append(out, v)
		}
		return out
	}
	qs.Voters, qs.Observers = progress(d.conf.GetVoters()), progress(d.conf.GetLearners())
	qs.Addrs = map[int32]string{}
	for id, a := range d.addrs {
		qs.Addrs[int32(id)] = a
	}
	return qs
}
