package metadata

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// NoLeader is Partition.Leader when no replica can lead: every in-sync
// replica is fenced and unclean election is off.
const NoLeader int32 = -1

// alterPartitionRecord is a partition leader's ISR change (Kafka's
// AlterPartition): it applies only if Leader still leads the partition in
// LeaderEpoch and PartitionEpoch is the current partition epoch, so a
// decision taken on stale state can never overwrite a newer one.
type alterPartitionRecord struct {
	Topic          string  `json:"topic"`
	Partition      int32   `json:"partition"`
	Leader         int32   `json:"leader"`
	LeaderEpoch    int32   `json:"leader_epoch"`
	PartitionEpoch int32   `json:"partition_epoch"`
	ISR            []int32 `json:"isr"`
}

// AlterPartition proposes a new ISR for a partition this broker (leader)
// leads in leaderEpoch, based on partitionEpoch. It returns the partition
// as applied. Errors: ErrUnknownTopic, ErrFencedLeaderEpoch (leader or
// leader epoch changed), ErrStalePartitionEpoch (another change came
// first), ErrInvalidISR (a replica not assigned, a fenced broker added,
// or the leader left out), and the proposal errors of propose.
func (n *Node) AlterPartition(ctx context.Context, topic string, partition, leader, leaderEpoch, partitionEpoch int32, isr []int32) (Partition, error) {
	rec := &alterPartitionRecord{Topic: topic, Partition: partition, Leader: leader,
		LeaderEpoch: leaderEpoch, PartitionEpoch: partitionEpoch, ISR: slices.Clone(isr)}
	res, err := n.propose(ctx, &record{Type: typeAlterPartition, AlterPartition: rec})
	if err != nil {
		return Partition{}, err
	}
	return res.partition, nil
}

func applyAlterPartition(img *Image, a *alterPartitionRecord) (*Image, Partition, error) {
	t := img.Topics[a.Topic]
	if t == nil || a.Partition < 0 || int(a.Partition) >= len(t.Partitions) {
		return nil, Partition{}, fmt.Errorf("%w: %s-%d", ErrUnknownTopic, a.Topic, a.Partition)
	}
	p := t.Partitions[a.Partition]
	switch {
	case p.Leader != a.Leader || p.LeaderEpoch != a.LeaderEpoch:
		return nil, Partition{}, fmt.Errorf("%w: %s-%d is led by %d in epoch %d, record says %d in %d",
			ErrFencedLeaderEpoch, a.Topic, a.Partition, p.Leader, p.LeaderEpoch, a.Leader, a.LeaderEpoch)
	case p.PartitionEpoch != a.PartitionEpoch:
		return nil, Partition{}, fmt.Errorf("%w: %s-%d is at partition epoch %d, record says %d",
			ErrStalePartitionEpoch, a.Topic, a.Partition, p.PartitionEpoch, a.PartitionEpoch)
	case !slices.Contains(a.ISR, a.Leader):
		return nil, Partition{}, fmt.Errorf("%w: ISR %v leaves out the leader %d", ErrInvalidISR, a.ISR, a.Leader)
	}
	for i, id := range a.ISR {
		if !slices.Contains(p.Replicas, id) || slices.Contains(a.ISR[:i], id) {
			return nil, Partition{}, fmt.Errorf("%w: %d is not a replica of %s-%d or repeated", ErrInvalidISR, id, a.Topic, a.Partition)
		}
		if !slices.Contains(p.ISR, id) && !img.Brokers[id].Alive() {
			return nil, Partition{}, fmt.Errorf("%w: broker %d is fenced", ErrInvalidISR, id)
		}
	}
	np := p
	np.ISR = inReplicaOrder(p.Replicas, a.ISR)
	np.PartitionEpoch++
	np = completeReassignment(img, np) // reassign.go: finish once every target replica is in sync
	nt := *t
	nt.Partitions = slices.Clone(t.Partitions)
	nt.Partitions[a.Partition] = np
	return replaceTopic(img, &nt), np, nil
}

// inReplicaOrder returns the members of set in the order of replicas.
func inReplicaOrder(replicas, set []int32) []int32 {
	out := make([]int32, 0, len(set))
	for _, r := range replicas {
		if slices.Contains(set, r) {
			out = append(out, r)
		}
	}
	return out
}

// electAway is what a broker leaving service (fenced, shut down, or
// restarted with a new incarnation) means for partitions: it leaves every
// ISR that has another member, and every partition it led gets a new
// leader from the remaining ISR (the first in replica order whose broker
// is alive), with a new leader epoch. When it was the only in-sync
// replica, it stays in the ISR (the only copy of every acknowledged
// record) and the partition has NoLeader until it comes back: unclean
// election (an out-of-sync leader) is never done here. With keepLeader a
// partition whose only ISR member is this broker keeps it as leader with
// a new epoch (a re-registration: the broker is alive again).
func electAway(img *Image, id int32, keepLeader bool) *Image {
	var changed map[string]*Topic
	for name, t := range img.Topics {
		var parts []Partition
		for i, p := range t.Partitions {
			np, ok := moveAway(img, p, id, keepLeader)
			if !ok {
				continue
			}
			if parts == nil {
				parts = slices.Clone(t.Partitions)
			}
			parts[i] = np
		}
		if parts != nil {
			nt := *t
			nt.Partitions = parts
			if changed == nil {
				changed = map[string]*Topic{}
			}
			changed[name] = &nt
		}
	}
	if len(changed) == 0 {
		return img
	}
	return electUnclean(replaceTopics(img, changed), slices.Sorted(maps.Keys(changed)))
}

func moveAway(img *Image, p Partition, id int32, keepLeader bool) (Partition, bool) {
	if !slices.Contains(p.ISR, id) && p.Leader != id {
		return p, false
	}
	rest := slices.DeleteFunc(slices.Clone(p.ISR), func(r int32) bool { return r == id })
	np := p
	if p.Leader == id {
		np.Leader = NoLeader
		for _, r := range rest {
			if img.Brokers[r].Alive() {
				np.Leader = r
				break
			}
		}
		if np.Leader == NoLeader && keepLeader && len(rest) == 0 {
			np.Leader = id
		}
		np.LeaderEpoch++
	}
	if len(rest) > 0 && np.Leader != id {
		np.ISR = rest
	}
	np.PartitionEpoch++
	return np, true
}

// electReturning gives a leader to every leaderless partition whose ISR
// holds broker id, which just came back (unfenced or registered).
func electReturning(img *Image, id int32) *Image {
	var changed map[string]*Topic
	for name, t := range img.Topics {
		var parts []Partition
		for i, p := range t.Partitions {
			if p.Leader != NoLeader || !slices.Contains(p.ISR, id) {
				continue
			}
			if parts == nil {
				parts = slices.Clone(t.Partitions)
			}
			parts[i].Leader = id
			parts[i].LeaderEpoch++
			parts[i].PartitionEpoch++
		}
		if parts != nil {
			nt := *t
			nt.Partitions = parts
			if changed == nil {
				changed = map[string]*Topic{}
			}
			changed[name] = &nt
		}
	}
	return electUnclean(replaceTopics(img, changed), nil)
}

// replaceTopics returns img with the topics of changed swapped in.
func replaceTopics(img *Image, changed map[string]*Topic) *Image {
	if len(changed) == 0 {
		return img
	}
	next := img.shallow()
	next.Topics = maps.Clone(img.Topics)
	next.TopicsByID = maps.Clone(img.TopicsByID)
	for name, t := range changed {
		next.Topics[name] = t
		next.TopicsByID[t.ID] = t
	}
	return next
}
