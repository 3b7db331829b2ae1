package partition

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// Replication errors; the handlers map them to Kafka error codes.
var (
	// ErrNotLeader: this broker does not lead the partition (it is a
	// follower, or the partition has no leader).
	ErrNotLeader = errors.New("this broker is not the partition's leader")
	// ErrNotFollower: a follower's fetcher appended or truncated for a
	// leader epoch this broker no longer follows.
	ErrNotFollower = errors.New("this broker no longer follows the partition in that leader epoch")
	// ErrNotReplica: a replica fetch from a broker that is not one of the
	// partition's replicas.
	ErrNotReplica = errors.New("broker is not a replica of the partition")
	// ErrNotEnoughReplicas: an acks=all produce while the ISR is smaller
	// than min.insync.replicas; nothing was appended.
	ErrNotEnoughReplicas = errors.New("ISR smaller than min.insync.replicas")
	// ErrNotEnoughReplicasAfterAppend: the batch was appended but the ISR
	// shrank below min.insync.replicas before it was committed.
	ErrNotEnoughReplicasAfterAppend = errors.New("ISR shrank below min.insync.replicas after the append")
	// ErrReplicationTimeout: an acks=all produce whose batch the ISR did
	// not replicate within the request's timeout.
	ErrReplicationTimeout = errors.New("the ISR did not replicate the batch in time")
)

// replicaState is a partition's replication state: its place in the
// metadata (leader, epochs, replicas, ISR) and, on the leader, what each
// follower has fetched. Its mutex is never held together with
// Partition.mu (the high watermark is computed under it, then published
// under Partition.mu); a follower holds it while it writes or truncates
// its log (AppendReplicated, TruncateReplica: lock order rep.mu, then the
// log's locks), so a change of leadership waits for that write.
type replicaState struct {
	mu             sync.Mutex
	set            bool // applied from metadata at least once
	deleted        bool // the manager deleted it: no state applies any more
	self           int32
	leader         int32
	leaderEpoch    int32
	partitionEpoch int32
	replicas, isr  []int32
	// epochStart is, on the leader, the log end offset when it took
	// the current epoch: a follower joins the ISR only past it.
	epochStart int64
	followers  map[int32]*follower // leader only: every other replica
	leaderHW   int64               // follower: the leader's HW at the last fetch
	lagMax     time.Duration
	changed    chan struct{} // closed on a leader, ISR or follower change
	appended   chan struct{} // closed at every append
	wake       chan<- struct{}
}

// follower is what the leader knows of one follower.
type follower struct {
	leo                int64 // -1 until its first fetch in this epoch
	lastCaughtUp       time.Time
	lastFetch          time.Time
	lastFetchLeaderLEO int64
	logStart           int64 // as the follower reported it (Fetch v5+); 0 until then
}

// Replication is a snapshot of a partition's replication state.
type Replication struct {
	Self, Leader                int32
	LeaderEpoch, PartitionEpoch int32
	Replicas, ISR               []int32
}

// Leads reports whether this broker leads the partition.
func (r Replication) Leads() bool { return r.Leader == r.Self }

// Replication returns the partition's replication state.
func (p *Partition) Replication() Replication {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	return Replication{Self: r.self, Leader: r.leader, LeaderEpoch: r.leaderEpoch, PartitionEpoch: r.partitionEpoch,
		Replicas: slices.Clone(r.replicas), ISR: slices.Clone(r.isr)}
}

// leads reports whether this broker leads the partition (false until its
// metadata state is applied: a partition never acts as a replica of its
// own, see Manager.Apply).
func (p *Partition) leads() bool {
	p.rep.mu.Lock()
	defer p.rep.mu.Unlock()
	return p.rep.set && p.rep.leader == p.rep.self
}

// checkLeader returns ErrNotLeader unless this broker leads.
func (p *Partition) checkLeader() error {
	if !p.leads() {
		return ErrNotLeader
	}
	return nil
}

// ApplyReplication installs the partition's metadata state (also used by
// the ISR updater with the state an AlterPartition returned). A state
// older than the current one (lower leader epoch, or same leader epoch
// and lower partition epoch) is ignored, and so is any state once the
// partition was deleted (a late AlterPartition answer must not make it a
// leader again).
func (p *Partition) ApplyReplication(pm metadata.Partition, self int32, b *config.Broker, wake chan<- struct{}, now time.Time) {
	r := &p.rep
	r.mu.Lock()
	if r.deleted || r.set && (pm.LeaderEpoch < r.leaderEpoch || pm.LeaderEpoch == r.leaderEpoch && pm.PartitionEpoch < r.partitionEpoch) {
		r.mu.Unlock()
		return
	}
	first := !r.set
	wasLeader := r.set && r.leader == self && r.leaderEpoch == pm.LeaderEpoch
	r.set, r.self, r.wake = true, self, wake
	r.leader, r.leaderEpoch, r.partitionEpoch = pm.Leader, pm.LeaderEpoch, pm.PartitionEpoch
	r.replicas, r.isr = slices.Clone(pm.Replicas), slices.Clone(pm.ISR)
	if b != nil && b.ReplicaLagTimeMaxMs > 0 {
		r.lagMax = time.Duration(b.ReplicaLagTimeMaxMs) * time.Millisecond
	}
	switch {
	case pm.Leader == self && !wasLeader:
		r.epochStart = p.log.NextOffset()
		r.followers = map[int32]*follower{}
		for _, id := range pm.Replicas {
			if id != self {
				r.followers[id] = &follower{leo: -1, lastCaughtUp: now, lastFetchLeaderLEO: -1}
			}
		}
	case pm.Leader != self:
		r.followers = nil
		r.leaderHW = -1
	default:
		r.syncFollowersLocked(pm.Replicas, now)
	}
	r.signalLocked()
	r.mu.Unlock()
	if first {
		// A log just opened (a restart) holds records nobody may have
		// committed: a follower waits for its leader's high watermark,
		// and a leader for its in-sync followers' fetches (the bound
		// below; a leader alone in its ISR gets its log end back at
		// once). Starting from the log end instead would let a broker
		// restarted with stale metadata, still "leading" an old epoch,
		// serve uncommitted records to consumers (fault harness, seed
		// 20261126).
		p.mu.Lock()
		p.mu.hw = min(p.mu.hw, p.log.StartOffset())
		p.mu.Unlock()
	}
	p.advanceHW(p.localEnd())
}

func (r *replicaState) signalLocked() {
	if r.changed != nil {
		close(r.changed)
	}
	r.changed = make(chan struct{})
}

// stateChanged returns a channel closed at the next replication change.
func (p *Partition) stateChanged() <-chan struct{} {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.changed == nil {
		r.changed = make(chan struct{})
	}
	return r.changed
}

// localEnd is how far this replica's own log counts for the high
// watermark: the fsynced offset with flush.messages=1, else the log end.
func (p *Partition) localEnd() int64 {
	if flushEach(p.Config()) {
		return p.log.DurableOffset()
	}
	return p.log.NextOffset()
}

// capHW limits a high watermark candidate computed from the local log:
// on the leader, to the log end of every other ISR member; on a
// follower, to the leader's high watermark.
func (p *Partition) capHW(hw int64) int64 {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.set {
		return hw
	}
	if r.leader != r.self {
		return min(hw, r.leaderHW)
	}
	for _, id := range r.isr {
		if id == r.self {
			continue
		}
		f := r.followers[id]
		if f == nil {
			return -1
		}
		hw = min(hw, f.leo)
	}
	return hw
}

// notifyAppend wakes replica fetches waiting for new data. The channel
// is made only when a fetch asks for it, so appends with no follower
// waiting (a single node) allocate nothing.
func (p *Partition) notifyAppend() {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.appended != nil {
		close(r.appended)
		r.appended = nil
	}
}

// Appended returns a channel closed at the next append (replica fetches
// long-poll on it: followers read up to the log end, not the high
// watermark).
func (p *Partition) Appended() <-chan struct{} {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.appended == nil {
		r.appended = make(chan struct{})
	}
	return r.appended
}

// isrWake is the Manager's channel that leaders poke when a follower
// caught up and should join the ISR.
type isrWake struct {
	once sync.Once
	ch   chan struct{}
}

// ISRWake returns the channel (capacity 1) that a leader signals when a
// follower should join the ISR: the ISR updater proposes the change then
// instead of at its next tick.
func (m *Manager) ISRWake() chan struct{} {
	m.isr.once.Do(func() { m.isr.ch = make(chan struct{}, 1) })
	return m.isr.ch
}

// HighWatermarkPending reports whether this broker leads the partition in
// an epoch whose high watermark has not yet reached the epoch's start
// offset: a new leader's high watermark is the one it had as a follower,
// one fetch round behind, so answering it could show a consumer the end
// offset going back. Kafka answers OFFSET_NOT_AVAILABLE then (KIP-207).
func (p *Partition) HighWatermarkPending() bool {
	p.rep.mu.Lock()
	leads, start := p.rep.set && p.rep.leader == p.rep.self, p.rep.epochStart
	p.rep.mu.Unlock()
	return leads && p.Offsets().HighWatermark < start
}

// syncFollowersLocked makes a continuing leader's follower table match
// replicas after a reassignment changed them: an added replica starts
// unknown (it joins the ISR once it catches up), a removed one is
// forgotten (it is out of the ISR already).
func (r *replicaState) syncFollowersLocked(replicas []int32, now time.Time) {
	if r.followers == nil {
		r.followers = map[int32]*follower{}
	}
	for _, id := range replicas {
		if id != r.self && r.followers[id] == nil {
			r.followers[id] = &follower{leo: -1, lastCaughtUp: now, lastFetchLeaderLEO: -1}
		}
	}
	for id := range r.followers {
		if !slices.Contains(replicas, id) {
			delete(r.followers, id)
		}
	}
}

// NoteFollowerLogStart records, on the leader, the log start offset a
// follower sent with its fetch (its retention and DeleteRecords act on
// its own log), so that consumers are never sent to a follower that no
// longer has their offset (ReadReplicas).
func (p *Partition) NoteFollowerLogStart(id int32, start int64) {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.followers[id]; f != nil && start >= 0 {
		f.logStart = start
	}
}

// ReadReplica is a follower a consumer may be sent to (KIP-392): its id
// and the log end offset it reported with its last fetch.
type ReadReplica struct {
	ID     int32
	LogEnd int64
}

// ReadReplicas returns, on the leader, the other ISR members that have
// fetched in the current leader epoch and hold offset (reported log start
// <= offset <= reported log end), in replica order; nil on a follower.
// The caller picks among them (by rack) and checks that they are alive.
func (p *Partition) ReadReplicas(offset int64) []ReadReplica {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.set || r.leader != r.self {
		return nil
	}
	var out []ReadReplica
	for _, id := range r.replicas {
		f := r.followers[id]
		if id == r.self || f == nil || !slices.Contains(r.isr, id) || f.leo < 0 {
			continue
		}
		if f.logStart <= offset && offset <= f.leo {
			out = append(out, ReadReplica{ID: id, LogEnd: f.leo})
		}
	}
	return out
}

// CheckFollowerRead validates a consumer fetch served by this replica as
// a follower (KIP-392): ErrNotLeader unless this broker is a follower
// replica of the partition (then the client asks the leader again), and
// the client's current leader epoch as CheckLeaderEpoch checks it, against
// the epoch this follower follows. A follower serves reads below its high
// watermark only: the leader's, as of its last fetch, capped by its own
// durable log (FollowerAppended).
func (p *Partition) CheckFollowerRead(epoch int32) error {
	r := &p.rep
	r.mu.Lock()
	follows := r.set && r.leader != r.self && slices.Contains(r.replicas, r.self)
	cur := r.leaderEpoch
	r.mu.Unlock()
	switch {
	case !follows:
		return ErrNotLeader
	case epoch < 0:
		return nil
	case epoch < cur:
		return ErrFencedLeaderEpoch
	case epoch > cur:
		return ErrUnknownLeaderEpoch
	}
	return nil
}
