package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// This file holds the quorum's membership: learners joining (broker-only
// nodes, and controllers waiting to become voters), voters added and
// removed (KIP-853's AddRaftVoter / RemoveRaftVoter), and the Raft
// addresses of the members added that way. Every change is one etcd Raft
// ConfChange (V1, a single node), so the configuration never needs a
// joint phase: Raft's own rule allows one unapplied change at a time.

// Membership errors, returned by AddVoter and RemoveVoter (wrapped); test
// them with errors.Is.
var (
	// ErrDuplicateVoter: the node is already a voter.
	ErrDuplicateVoter = errors.New("metadata: already a voter")
	// ErrUnknownMember: the node is neither a voter nor a learner
	// (RemoveVoter), or not a learner (AddVoter: a node must join as a
	// learner and catch up before it can vote).
	ErrUnknownMember = errors.New("metadata: not a member of the quorum")
	// ErrLastVoter: removing the quorum's only voter.
	ErrLastVoter = errors.New("metadata: cannot remove the last voter")
	// ErrNotCaughtUp: the learner to promote is behind the leader's log.
	ErrNotCaughtUp = errors.New("metadata: learner not caught up with the log")
)

// JoinRequest asks the active controller to add node ID, reachable for
// Raft traffic at Addr, to the quorum as a learner. A node that is not a
// member sends it to the voters it knows every election timeout until it
// is one; a voter that does not lead forwards it once to the leader.
type JoinRequest struct {
	ID        int32  `json:"id"`
	Addr      string `json:"addr"`
	Forwarded bool   `json:"forwarded,omitempty"`
}

// ReceiveJoin queues a join request from a peer for the driver. It never
// blocks: when the driver is far behind, the request is dropped (the
// joining node sends it again).
func (n *Node) ReceiveJoin(j JoinRequest) {
	select {
	case n.joinc <- j:
	default:
	}
}

// AddVoter makes learner id a voter (it must have joined, and on the
// leader its log must be caught up: ErrNotCaughtUp); addr, if not empty,
// replaces its Raft address. It returns once the change is applied here.
func (n *Node) AddVoter(ctx context.Context, id int32, addr string) error {
	return n.proposeConf(ctx, raftpb.ConfChangeType_ConfChangeAddNode, id, addr)
}

// RemoveVoter removes voter (or learner) id from the quorum. Removing the
// leader makes it step down once the change is applied; the caller then
// gets ErrNotLeader or success, and the others elect a new leader.
func (n *Node) RemoveVoter(ctx context.Context, id int32) error {
	return n.proposeConf(ctx, raftpb.ConfChangeType_ConfChangeRemoveNode, id, "")
}

// confContext is the Context of our ConfChanges: the member's address and
// the proposer's tags, to find the waiting caller.
type confContext struct {
	Addr   string `json:"addr,omitempty"`
	Origin uint64 `json:"origin,omitempty"`
	Req    uint64 `json:"req,omitempty"`
}

func (n *Node) proposeConf(ctx context.Context, typ raftpb.ConfChangeType, id int32, addr string) error {
	if id < 0 {
		return fmt.Errorf("%w: node id %d", ErrUnknownMember, id)
	}
	req := n.reqSeq.Add(1)
	c, err := json.Marshal(confContext{Addr: addr, Origin: n.origin, Req: req})
	if err != nil {
		return fmt.Errorf("metadata: encode conf change: %w", err)
	}
	cc := &raftpb.ConfChange{Type: typ.Enum(), NodeId: proto.Uint64(uint64(id)), Context: c}
	p := &proposal{req: req, cc: cc, done: make(chan outcome, 1), gone: ctx.Done()}
	what := fmt.Sprintf("%v of node %d", typ, id)
	select {
	case n.propc <- p:
	case <-n.donec:
		return n.closedErr()
	case <-ctx.Done():
		return fmt.Errorf("metadata: %s: %w", what, ctx.Err())
	}
	select {
	case o := <-p.done:
		return o.err
	case <-n.donec:
		select {
		case o := <-p.done:
			return o.err
		default:
			return n.closedErr()
		}
	case <-ctx.Done():
		return fmt.Errorf("metadata: %s: %w", what, ctx.Err())
	}
}

// checkConfChange validates a change against the configuration it would
// apply to. It is deterministic (every node sees the same conf at the
// same index), so a change rejected here is rejected everywhere.
func checkConfChange(conf *raftpb.ConfState, cc *raftpb.ConfChange) error {
	id := cc.GetNodeId()
	voter := slices.Contains(conf.GetVoters(), id)
	learner := slices.Contains(conf.GetLearners(), id)
	switch cc.GetType() {
	case raftpb.ConfChangeType_ConfChangeAddLearnerNode:
		if voter {
			return fmt.Errorf("%w: node %d (voters are never demoted)", ErrDuplicateVoter, id)
		}
	case raftpb.ConfChangeType_ConfChangeAddNode:
		if voter {
			return fmt.Errorf("%w: node %d", ErrDuplicateVoter, id)
		}
		if !learner {
			return fmt.Errorf("%w: node %d has not joined as a learner; start it first", ErrUnknownMember, id)
		}
	case raftpb.ConfChangeType_ConfChangeUpdateNode:
		if !voter && !learner {
			return fmt.Errorf("%w: node %d", ErrUnknownMember, id)
		}
	case raftpb.ConfChangeType_ConfChangeRemoveNode:
		if !voter && !learner {
			return fmt.Errorf("%w: node %d", ErrUnknownMember, id)
		}
		if voter && len(conf.GetVoters()) == 1 {
			return fmt.Errorf("%w: node %d", ErrLastVoter, id)
		}
	default:
		return fmt.Errorf("%w: conf change %v", ErrInvalidRecord, cc.GetType())
	}
	if len(conf.GetVotersOutgoing()) > 0 {
		return fmt.Errorf("%w: joint configuration", ErrInvalidRecord)
	}
	return nil
}

// applyConfChange applies one committed ConfChange entry: it validates it
// (a rejected change is applied as a no-op, NodeId 0, as Raft expects),
// updates the configuration and the members' addresses, and answers the
// proposal that made it if it waits here.
func (d *driver) applyConfChange(e *raftpb.Entry) error {
	var cc raftpb.ConfChange
	if err := proto.Unmarshal(e.Data, &cc); err != nil {
		return fmt.Errorf("%w: conf change %d: %v", ErrCorruption, e.GetIndex(), err)
	}
	var c confContext
	if len(cc.Context) > 0 {
		// An unparsable context is treated as empty: the change still
		// applies, so every node stays on the same configuration.
		if err := json.Unmarshal(cc.Context, &c); err != nil {
			d.n.log.Warn("metadata: conf change with an unreadable context", "index", e.GetIndex(), "err", err)
		}
	}
	id := cc.GetNodeId()
	err := checkConfChange(d.conf, &cc)
	if err != nil {
		cc.NodeId = proto.Uint64(raft.None)
	}
	d.conf = d.rn.ApplyConfChange(&cc)
	if err == nil {
		d.memberChanged(cc.GetType(), id, c.Addr)
	} else {
		d.n.log.Warn("metadata: conf change rejected", "index", e.GetIndex(), "err", err)
	}
	if p := d.pending[c.Req]; p != nil && c.Origin == d.n.origin && c.Req != 0 {
		d.done = append(d.done, delivery{p, outcome{err: err}})
		delete(d.pending, c.Req)
	}
	return nil
}

// memberChanged follows an applied change: the transport learns (or
// forgets) the member's address, and a new member gets a fresh snapshot
// (Raft sends snapshots from storage, and a node accepts only one whose
// configuration includes it).
func (d *driver) memberChanged(typ raftpb.ConfChangeType, id uint64, addr string) {
	self := uint64(d.n.cfg.NodeID)
	d.n.log.Info("metadata: quorum membership changed", "change", typ.String(), "node", id, "addr", addr,
		"voters", d.conf.GetVoters(), "learners", d.conf.GetLearners())
	switch typ {
	case raftpb.ConfChangeType_ConfChangeRemoveNode:
		delete(d.addrs, id)
		if id == self {
			d.removed = true
			return
		}
		d.n.cfg.Transport.RemovePeer(id)
	default:
		if addr != "" {
			d.addrs[id] = addr
			if id != self {
				d.n.cfg.Transport.SetPeer(id, addr)
			}
		}
		d.snapNow = true
	}
}

// member reports whether this node is in the configuration.
func (d *driver) member() bool {
	self := uint64(d.n.cfg.NodeID)
	return slices.Contains(d.conf.GetVoters(), self) || slices.Contains(d.conf.GetLearners(), self)
}

// maybeJoin runs every election timeout on a learner that is not a
// member yet, or whose address in the log is not its current one (it
// restarted on another port): it asks every voter it knows to add it.
func (d *driver) maybeJoin() {
	cfg := d.n.cfg
	if !cfg.Learner || d.removed || (d.member() && d.addrs[uint64(cfg.NodeID)] == cfg.Addr) {
		return
	}
	j := JoinRequest{ID: d.n.cfg.NodeID, Addr: d.n.cfg.Addr}
	targets := append(toIDs(d.n.cfg.Voters), d.conf.GetVoters()...)
	for _, to := range slices.Compact(slices.Sorted(slices.Values(targets))) {
		if to == uint64(d.n.cfg.NodeID) {
			continue
		}
		if err := d.n.cfg.Transport.SendJoin(to, j); err != nil {
			d.n.log.Debug("metadata: sending a join request", "to", to, "err", err)
		}
	}
}

// onJoin handles a join request: the leader proposes adding the node as a
// learner, or, for a member whose address changed (a restart on another
// port), records the new address (AddLearnerNode again for a learner,
// UpdateNode for a voter: neither changes the configuration); a follower
// forwards it once to the leader it knows.
func (d *driver) onJoin(j JoinRequest) {
	if !d.n.leader.Load() {
		if !j.Forwarded && d.lead != raft.None {
			j.Forwarded = true
			if err := d.n.cfg.Transport.SendJoin(d.lead, j); err != nil {
				d.n.log.Debug("metadata: forwarding a join request", "to", d.lead, "err", err)
			}
		}
		return
	}
	id := uint64(j.ID)
	voter := slices.Contains(d.conf.GetVoters(), id)
	member := voter || slices.Contains(d.conf.GetLearners(), id)
	if j.ID < 0 || j.Addr == "" || (member && d.addrs[id] == j.Addr) {
		return
	}
	typ := raftpb.ConfChangeType_ConfChangeAddLearnerNode
	if voter {
		typ = raftpb.ConfChangeType_ConfChangeUpdateNode
	}
	if d.confChangePending() {
		return // the node asks again
	}
	c, err := json.Marshal(confContext{Addr: j.Addr})
	if err != nil {
		d.n.log.Error("metadata: encoding a join", "err", err)
		return
	}
	cc := &raftpb.ConfChange{Type: typ.Enum(), NodeId: proto.Uint64(id), Context: c}
	if err := d.rn.ProposeConfChange(cc); err != nil {
		d.n.log.Warn("metadata: proposing a member", "change", typ.String(), "node", id, "err", err)
		return
	}
	d.n.log.Info("metadata: proposed a member", "change", typ.String(), "node", id, "addr", j.Addr)
}

// confChangePending reports whether the leader's log may hold a conf
// change not applied yet. Raft then turns a new one into an empty entry,
// so the driver keeps new ones back until it is applied. Like Raft, a new
// leader counts its whole log at election as possibly pending.
func (d *driver) confChangePending() bool {
	if d.applied < d.leaderSince {
		return true
	}
	last, _ := d.ms.LastIndex() // MemoryStorage.LastIndex never fails
	if last <= d.applied {
		return false
	}
	ents, err := d.ms.Entries(d.applied+1, last+1, raftNoLimit)
	if err != nil {
		return true
	}
	for _, e := range ents {
		if t := e.GetType(); t == raftpb.EntryType_EntryConfChange || t == raftpb.EntryType_EntryConfChangeV2 {
			return true
		}
	}
	return false
}

const raftNoLimit = 1<<63 - 1

// checkPromotion is the leader's check before promoting a learner: it
// must be a learner whose log is within maxPromotionLag of the leader's
// and that the leader heard from within the last election timeout (a
// learner that died caught up, on an idle log, is not promoted: as a
// voter it would count towards a quorum it cannot help form). A change
// proposed on a follower is checked when its forwarded proposal reaches
// the leader (checkForwardedConfChanges).
func (d *driver) checkPromotion(cc *raftpb.ConfChange) error {
	if err := checkConfChange(d.conf, cc); err != nil {
		return err
	}
	if cc.GetType() != raftpb.ConfChangeType_ConfChangeAddNode || !d.n.leader.Load() {
		return nil
	}
	last, _ := d.ms.LastIndex()
	pr, ok := d.rn.Status().Progress[cc.GetNodeId()]
	switch {
	case !ok:
		return fmt.Errorf("%w: node %d is not a learner the leader replicates to", ErrNotCaughtUp, cc.GetNodeId())
	case pr.Match+maxPromotionLag < last:
		return fmt.Errorf("%w: node %d holds the log up to %d, the leader's ends at %d", ErrNotCaughtUp, cc.GetNodeId(), pr.Match, last)
	case !pr.RecentActive:
		return fmt.Errorf("%w: node %d has not answered the leader within an election timeout", ErrNotCaughtUp, cc.GetNodeId())
	}
	return nil
}

// checkForwardedConfChanges runs checkPromotion on the membership changes
// of a proposal a follower forwarded to this leader.
func (d *driver) checkForwardedConfChanges(m *raftpb.Message) error {
	for _, e := range m.GetEntries() {
		if e.GetType() != raftpb.EntryType_EntryConfChange {
			continue
		}
		var cc raftpb.ConfChange
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			return fmt.Errorf("%w: forwarded membership change: %v", ErrInvalidRecord, err)
		}
		if err := d.checkPromotion(&cc); err != nil {
			return err
		}
	}
	return nil
}

// maxPromotionLag is how many entries a learner may lack and still be
// promoted: a voter that must first catch up a long way would count
// towards the quorum while unable to acknowledge new entries.
const maxPromotionLag = 64

// snapshotData is the snapshot's data: the image and the Raft addresses
// of the members added by membership changes (those of the voters named
// by controller.quorum.voters come from the configuration).
type snapshotData struct {
	*imageJSON
	Members map[string]string `json:"quorum_members,omitempty"`
}

func encodeSnapshotData(img *Image, addrs map[uint64]string) ([]byte, error) {
	sd := snapshotData{imageJSON: img.toSnapshot()}
	if len(addrs) > 0 {
		sd.Members = map[string]string{}
		for id, a := range addrs {
			sd.Members[strconv.FormatUint(id, 10)] = a
		}
	}
	b, err := json.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("metadata: encode snapshot: %w", err)
	}
	return b, nil
}

// decodeMembers reads the members' addresses from snapshot data (none in
// data written before membership changes existed).
func decodeMembers(b []byte) (map[uint64]string, error) {
	var sd struct {
		Members map[string]string `json:"quorum_members"`
	}
	if err := json.Unmarshal(b, &sd); err != nil {
		return nil, fmt.Errorf("%w: snapshot members: %v", ErrCorruption, err)
	}
	out := make(map[uint64]string, len(sd.Members))
	for k, a := range sd.Members {
		id, err := strconv.ParseUint(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: snapshot member %q", ErrCorruption, k)
		}
		out[id] = a
	}
	return out, nil
}

// announceMembers gives the transport every stored member address.
func (d *driver) announceMembers() {
	self := uint64(d.n.cfg.NodeID)
	for _, id := range slices.Sorted(maps.Keys(d.addrs)) {
		if id != self {
			d.n.cfg.Transport.SetPeer(id, d.addrs[id])
		}
	}
}

// ClientController is the controller id to tell Kafka clients (Metadata,
// DescribeCluster): the Raft leader when it is a registered broker (even
// a fenced one: clients then retry until a new leader is known); for a
// controller-only leader, which has no Kafka listener, self, a broker
// that hands every proposal to the leader through Raft, as Kafka brokers
// forward admin requests; -1 when no leader is known.
func (img *Image) ClientController(self int32) int32 {
	if img.Controller < 0 || img.Brokers[img.Controller] != nil {
		return img.Controller
	}
	return self
}
