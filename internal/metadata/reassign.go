package metadata

// Partition reassignment (KIP-455, as KRaft controllers do it).
//
// A reassign_partition record starts, replaces or cancels the move of
// one partition to a target replica list. While it runs, the partition's
// Replicas are target ++ (original − target): the adding replicas
// (target − original) are ordinary followers that fetch and catch up,
// the removing ones (original − target) still replicate. The move
// finishes inside the state machine, deterministically on every node, as
// soon as every target replica is in the ISR: Replicas = target, ISR =
// target, and a leader that is being removed hands over to the first
// live target replica (new leader epoch). The check runs when the move
// starts and after every alter_partition (the leader adding a caught-up
// follower to the ISR), so no separate "finish" record exists.

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

const typeReassignPartition = "reassign_partition"

// ErrNoReassignmentInProgress: a cancel for a partition that is not
// being reassigned (Kafka's NO_REASSIGNMENT_IN_PROGRESS).
var ErrNoReassignmentInProgress = errors.New("metadata: no reassignment in progress")

// reassignPartitionRecord starts a reassignment of one partition to
// Replicas, replacing one in progress, or (Cancel) reverts the one in
// progress.
type reassignPartitionRecord struct {
	Topic     string  `json:"topic"`
	Partition int32   `json:"partition"`
	Replicas  []int32 `json:"replicas,omitempty"`
	Cancel    bool    `json:"cancel,omitempty"`
}

// ReassignPartition moves a partition to the target replicas (the first
// is the preferred leader), or cancels its reassignment when target is
// nil. It returns the partition as applied: with AddingReplicas or
// RemovingReplicas set while the move runs, or already finished when no
// replica needs to catch up. Errors: ErrUnknownTopic (topic or
// partition), ErrInvalidReplicaAssignment (empty, repeated or
// unregistered brokers; or a change that would leave no in-sync replica),
// ErrNoReassignmentInProgress (cancel with none running), and the
// proposal errors of propose.
func (n *Node) ReassignPartition(ctx context.Context, topic string, partition int32, target []int32) (Partition, error) {
	rec := &reassignPartitionRecord{Topic: topic, Partition: partition, Replicas: slices.Clone(target), Cancel: target == nil}
	res, err := n.propose(ctx, &record{Type: typeReassignPartition, ReassignPartition: rec})
	if err != nil {
		return Partition{}, err
	}
	return res.partition, nil
}

// Reassigning reports whether the partition is being reassigned.
func (p Partition) Reassigning() bool {
	return len(p.AddingReplicas) > 0 || len(p.RemovingReplicas) > 0
}

// TargetReplicas returns the replicas the partition will have once its
// reassignment finishes (Replicas when none runs).
func (p Partition) TargetReplicas() []int32 {
	return subtract(p.Replicas, p.RemovingReplicas)
}

// Reassignment is one partition being reassigned.
type Reassignment struct {
	Topic     string
	Partition Partition
}

// Reassignments returns the partitions being reassigned, by topic name
// and partition index.
func (img *Image) Reassignments() []Reassignment {
	var out []Reassignment
	for _, name := range img.TopicNames() {
		for _, p := range img.Topics[name].Partitions {
			if p.Reassigning() {
				out = append(out, Reassignment{Topic: name, Partition: p})
			}
		}
	}
	return out
}

func applyReassignPartition(img *Image, r *reassignPartitionRecord) (*Image, Partition, error) {
	t := img.Topics[r.Topic]
	if t == nil || r.Partition < 0 || int(r.Partition) >= len(t.Partitions) {
		return nil, Partition{}, fmt.Errorf("%w: %s-%d", ErrUnknownTopic, r.Topic, r.Partition)
	}
	p := t.Partitions[r.Partition]
	if r.Cancel && !p.Reassigning() {
		return nil, Partition{}, fmt.Errorf("%w: %s-%d", ErrNoReassignmentInProgress, r.Topic, r.Partition)
	}
	if !r.Cancel {
		if err := checkTarget(img, r.Replicas); err != nil {
			return nil, Partition{}, fmt.Errorf("%w (%s-%d)", err, r.Topic, r.Partition)
		}
		if p.Reassigning() && slices.Equal(r.Replicas, p.TargetReplicas()) {
			// The move in progress again: keep it (a replacement would
			// drop its caught-up replicas from the ISR).
			return img, p, nil
		}
	}
	np, err := revertReassignment(img, p)
	if err != nil {
		return nil, Partition{}, fmt.Errorf("%w (%s-%d)", err, r.Topic, r.Partition)
	}
	if !r.Cancel {
		np = startReassignment(img, np, r.Replicas)
	}
	np.PartitionEpoch = p.PartitionEpoch + 1
	nt := *t
	nt.Partitions = slices.Clone(t.Partitions)
	nt.Partitions[r.Partition] = np
	return replaceTopic(img, &nt), np, nil
}

// checkTarget validates a target replica list.
func checkTarget(img *Image, target []int32) error {
	if len(target) == 0 {
		return fmt.Errorf("%w: no replicas", ErrInvalidReplicaAssignment)
	}
	for i, id := range target {
		if img.Brokers[id] == nil {
			return fmt.Errorf("%w: broker %d is not registered", ErrInvalidReplicaAssignment, id)
		}
		if slices.Contains(target[:i], id) {
			return fmt.Errorf("%w: broker %d repeated", ErrInvalidReplicaAssignment, id)
		}
	}
	return nil
}

// revertReassignment returns p as it was before its reassignment: the
// adding replicas leave the replicas and the ISR. It refuses when only
// adding replicas are in sync (they alone may hold acknowledged records);
// the reassignment then has to finish first. A leader that was an adding
// replica (elected while the others were fenced) hands over to the first
// live remaining ISR member.
func revertReassignment(img *Image, p Partition) (Partition, error) {
	if !p.Reassigning() {
		return p, nil
	}
	np := p
	np.Replicas = subtract(p.Replicas, p.AddingReplicas)
	np.ISR = subtract(p.ISR, p.AddingReplicas)
	np.AddingReplicas, np.RemovingReplicas = nil, nil
	if len(np.ISR) == 0 {
		return Partition{}, fmt.Errorf("%w: every in-sync replica (%v) is one being added; wait until the reassignment finishes",
			ErrInvalidReplicaAssignment, p.ISR)
	}
	if p.Leader != NoLeader && !slices.Contains(np.Replicas, p.Leader) {
		np.Leader = firstLive(img, np.ISR)
		np.LeaderEpoch++
	}
	return np, nil
}

// startReassignment moves p (with no reassignment running) towards
// target: a pure reorder applies at once, anything else adds the target
// replicas and finishes as soon as they are all in the ISR (at once when
// they already are: a pure removal of replicas).
func startReassignment(img *Image, p Partition, target []int32) Partition {
	adding := subtract(target, p.Replicas)
	removing := subtract(p.Replicas, target)
	np := p
	np.Replicas = append(slices.Clone(target), removing...)
	np.ISR = inReplicaOrder(np.Replicas, p.ISR)
	if len(adding) == 0 && len(removing) == 0 {
		return np
	}
	np.AddingReplicas, np.RemovingReplicas = nilIfEmpty(adding), nilIfEmpty(removing)
	return completeReassignment(img, np)
}

// completeReassignment finishes p's reassignment if every target replica
// is in the ISR: Replicas and ISR become the target, and a leader outside
// it hands over to the first live target replica with a new leader epoch
// (if none is alive the reassignment waits). It returns p unchanged
// otherwise. The caller bumps the partition epoch.
func completeReassignment(img *Image, p Partition) Partition {
	if !p.Reassigning() {
		return p
	}
	target := p.TargetReplicas()
	for _, id := range target {
		if !slices.Contains(p.ISR, id) {
			return p
		}
	}
	np := p
	np.Replicas = target
	np.ISR = slices.Clone(target)
	np.AddingReplicas, np.RemovingReplicas = nil, nil
	if !slices.Contains(target, p.Leader) {
		leader := firstLive(img, target)
		if leader == NoLeader {
			return p
		}
		np.Leader = leader
		np.LeaderEpoch++
	}
	return np
}

// completeReassignments completes every reassignment the image allows
// now (completeReassignment), each with a new partition epoch. It runs
// after the records that elect leaders or change the ISR other than
// alter_partition: an unclean election can leave only target replicas in
// the ISR, and a returning broker can give a finished move its leader.
func completeReassignments(img *Image) *Image {
	ed := newTopicEditor(img)
	for _, name := range img.TopicNames() {
		for _, p := range img.Topics[name].Partitions {
			if !p.Reassigning() {
				continue
			}
			if np := completeReassignment(img, p); !np.sameAssignment(p) {
				np.PartitionEpoch++
				ed.set(name, np)
			}
		}
	}
	return ed.image()
}

// sameAssignment reports whether q has p's replicas, leader and pending
// reassignment.
func (p Partition) sameAssignment(q Partition) bool {
	return slices.Equal(p.Replicas, q.Replicas) && p.Leader == q.Leader &&
		slices.Equal(p.AddingReplicas, q.AddingReplicas) && slices.Equal(p.RemovingReplicas, q.RemovingReplicas)
}

// firstLive returns the first of ids whose broker is alive, or NoLeader.
func firstLive(img *Image, ids []int32) int32 {
	for _, id := range ids {
		if img.Brokers[id].Alive() {
			return id
		}
	}
	return NoLeader
}

// subtract returns the members of s not in drop, in the order of s.
func subtract(s, drop []int32) []int32 {
	out := make([]int32, 0, len(s))
	for _, x := range s {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

func nilIfEmpty(s []int32) []int32 {
	if len(s) == 0 {
		return nil
	}
	return s
}
