package partition

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gregor-streaming/gregor/internal/log"
)

// CheckProduce is the leader's check before appending a client's batch:
// ErrNotLeader on a follower, ErrNotEnoughReplicas for acks=all (-1)
// while the ISR is smaller than min.insync.replicas.
//
// A broker that just became leader is refused too until the epoch Append
// stamps (set by the reconciler right after the replica state) is the new
// one: a batch must never carry the epoch of the previous leader.
func (p *Partition) CheckProduce(acks int16) error {
	minISR := int(p.Config().MinInsyncReplicas)
	stamped := p.LeaderEpoch()
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.set || r.leader != r.self || r.leaderEpoch != stamped {
		return ErrNotLeader
	}
	if acks == -1 && len(r.isr) < minISR {
		return ErrNotEnoughReplicas
	}
	return nil
}

// WaitReplicated waits until the high watermark reaches upTo (every ISR
// member has the batch, durably if the topic fsyncs before acks) while
// this broker still leads in epoch. Errors: ErrNotLeader (leadership
// changed: the batch may or may not survive), ErrNotEnoughReplicasAfterAppend,
// ErrReplicationTimeout when ctx ends.
func (p *Partition) WaitReplicated(ctx context.Context, upTo int64, epoch int32) error {
	for {
		hwc, sc := p.Changed(), p.stateChanged()
		hw := p.Offsets().HighWatermark
		minISR := int(p.Config().MinInsyncReplicas)
		r := &p.rep
		r.mu.Lock()
		lost := !r.set || r.leader != r.self || r.leaderEpoch != epoch
		short := len(r.isr) < minISR
		r.mu.Unlock()
		switch {
		case lost:
			return ErrNotLeader
		case short:
			// Kafka's rule: committed by fewer than min.insync.replicas
			// is not an acknowledgement.
			return ErrNotEnoughReplicasAfterAppend
		case hw >= upTo:
			return nil
		}
		select {
		case <-hwc:
		case <-sc:
		case <-ctx.Done():
			return ErrReplicationTimeout
		}
	}
}

// UpdateFollower records a follower's fetch at fetchOffset (its log end
// offset, durable as its topic asks) on the leader, advances the high
// watermark and returns it. A follower that caught up while out of the
// ISR wakes the ISR updater. A fetch offset beyond the leader's log end
// (a follower with a suffix the leader never had, and no epoch to compare)
// is log.ErrOffsetOutOfRange and changes nothing: the follower truncates.
func (p *Partition) UpdateFollower(id int32, fetchOffset int64, now time.Time) (int64, error) {
	leo := p.log.NextOffset()
	if fetchOffset > leo || fetchOffset < 0 {
		return 0, fmt.Errorf("%w: follower %d fetches at %d, log end offset is %d", log.ErrOffsetOutOfRange, id, fetchOffset, leo)
	}
	hw := p.Offsets().HighWatermark
	r := &p.rep
	r.mu.Lock()
	if r.set && r.leader != r.self {
		r.mu.Unlock()
		return 0, ErrNotLeader
	}
	f := r.followers[id]
	if f == nil {
		r.mu.Unlock()
		return 0, ErrNotReplica
	}
	// Kafka's rule: caught up now if it has everything; caught up at
	// its previous fetch if it now has what the leader had then.
	switch {
	case fetchOffset >= leo:
		f.lastCaughtUp = now
	case fetchOffset >= f.lastFetchLeaderLEO && f.lastFetchLeaderLEO >= 0:
		f.lastCaughtUp = f.lastFetch
	}
	f.lastFetch, f.lastFetchLeaderLEO = now, leo
	moved := f.leo != fetchOffset
	f.leo = fetchOffset
	expand := !slices.Contains(r.isr, id) && fetchOffset >= hw && fetchOffset >= r.epochStart
	wake := r.wake
	if moved {
		r.signalLocked()
	}
	r.mu.Unlock()
	p.advanceHW(p.localEnd())
	if expand && wake != nil {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	return p.Offsets().HighWatermark, nil
}

// ISRChange is an ISR change the leader wants the controller to commit.
type ISRChange struct {
	Topic                               string
	Partition                           int32
	Leader, LeaderEpoch, PartitionEpoch int32
	ISR                                 []int32
}

// ISRChange returns the ISR this leader wants now, if it differs from the
// current one: without followers that have not caught up for
// replica.lag.time.max.ms, with followers out of the ISR whose log end
// reached the high watermark (and the start of the leader's epoch).
// A follower joins only if eligible(id) holds: the caller passes the
// metadata image's view (a fenced or shutting-down broker can fetch, but
// the controller refuses it in the ISR, so proposing it would only be
// rejected again at every fetch). A nil eligible admits every follower.
func (p *Partition) ISRChange(now time.Time, eligible func(id int32) bool) (ISRChange, bool) {
	hw := p.Offsets().HighWatermark
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.set || r.leader != r.self {
		return ISRChange{}, false
	}
	var isr []int32
	for _, id := range r.replicas {
		f := r.followers[id]
		switch {
		case id == r.self:
			isr = append(isr, id)
		case f == nil:
		case slices.Contains(r.isr, id):
			if r.lagMax <= 0 || now.Sub(f.lastCaughtUp) <= r.lagMax {
				isr = append(isr, id)
			}
		case f.leo >= 0 && f.leo >= hw && f.leo >= r.epochStart && (eligible == nil || eligible(id)):
			isr = append(isr, id)
		}
	}
	if sameSet(isr, r.isr) {
		return ISRChange{}, false
	}
	return ISRChange{Topic: p.Topic, Partition: p.Index, Leader: r.self, LeaderEpoch: r.leaderEpoch,
		PartitionEpoch: r.partitionEpoch, ISR: isr}, true
}

func sameSet(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// FollowerAppended is called by the follower's fetcher after it appended
// (and, with flush.messages=1, fsynced) what a fetch returned: the high
// watermark follows the leader's, capped by the local log.
func (p *Partition) FollowerAppended(leaderHW int64) {
	r := &p.rep
	r.mu.Lock()
	if r.leader != r.self {
		r.leaderHW = max(r.leaderHW, leaderHW)
	}
	r.mu.Unlock()
	p.advanceHW(p.localEnd())
}

// AppendReplicated appends batches fetched from the leader of epoch
// (log.AppendReplicated). It is refused with ErrNotFollower unless this
// broker still follows that leader epoch: the check and the write happen
// under the replica state lock, so a fetch from a deposed leader can
// never land after this broker became leader (or moved to a new epoch).
func (p *Partition) AppendReplicated(batches []byte, epoch int32) (int, error) {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.followsLocked(epoch) {
		return 0, ErrNotFollower
	}
	return p.log.AppendReplicated(batches)
}

// TruncateReplica cuts a follower's log at offset (its divergent suffix,
// found through the leader's diverging epoch), if this broker still
// follows the leader of epoch (else ErrNotFollower). The high watermark,
// which nobody reads on a follower, is lowered with it if needed.
func (p *Partition) TruncateReplica(offset int64, epoch int32) error {
	r := &p.rep
	r.mu.Lock()
	if !r.followsLocked(epoch) {
		r.mu.Unlock()
		return ErrNotFollower
	}
	err := p.log.TruncateReplica(offset)
	r.mu.Unlock()
	if err != nil {
		return err
	}
	end := p.log.NextOffset()
	p.mu.Lock()
	p.mu.hw = min(p.mu.hw, end)
	p.mu.Unlock()
	return nil
}

func (r *replicaState) followsLocked(epoch int32) bool {
	return r.set && r.leader != r.self && r.leader >= 0 && r.leaderEpoch == epoch
}

// ResetReplica restarts a follower's log empty at offset, the leader's log
// start offset, when what it would fetch next is gone on the leader
// (log.ResetReplica), if this broker still follows the leader of epoch.
func (p *Partition) ResetReplica(offset int64, epoch int32) error {
	r := &p.rep
	r.mu.Lock()
	if !r.followsLocked(epoch) {
		r.mu.Unlock()
		return ErrNotFollower
	}
	err := p.log.ResetReplica(offset)
	r.mu.Unlock()
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.mu.hw = max(p.mu.hw, offset)
	p.mu.Unlock()
	return nil
}
