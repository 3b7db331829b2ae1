package metadata

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// TopicSpec describes a topic to create.
type TopicSpec struct {
	Name string
	// ID is the topic ID; zero = generate a random non-zero UUID.
	ID                [16]byte
	NumPartitions     int32
	ReplicationFactor int16
	// Assignments, if set, gives the replicas of each partition
	// explicitly (and then the partition count and replication factor);
	// otherwise replicas are placed round robin from a random start.
	Assignments [][]int32
	Configs     map[string]string // overrides only
	Internal    bool
}

// RegisterBroker registers a broker or replaces its earlier registration.
func (n *Node) RegisterBroker(ctx context.Context, b BrokerRegistration) error {
	b.Listeners = slices.Clone(b.Listeners)
	_, err := n.propose(ctx, &record{Type: typeRegisterBroker, RegisterBroker: &b})
	return err
}

// CreateTopic creates a topic and returns it as applied. Errors:
// ErrTopicExists, ErrInvalidPartitions, ErrInvalidReplicationFactor,
// ErrInvalidReplicaAssignment, and the proposal errors of propose.
func (n *Node) CreateTopic(ctx context.Context, t TopicSpec) (*Topic, error) {
	if t.ID == [16]byte{} {
		id, err := newUUID()
		if err != nil {
			return nil, err
		}
		t.ID = id
	}
	seed, err := newSeed()
	if err != nil {
		return nil, err
	}
	rec := &createTopicRecord{
		Name:              t.Name,
		ID:                t.ID,
		NumPartitions:     t.NumPartitions,
		ReplicationFactor: t.ReplicationFactor,
		Assignments:       cloneAssignments(t.Assignments),
		Configs:           maps.Clone(t.Configs),
		Internal:          t.Internal,
		Seed:              seed,
		RackAware:         true,
	}
	res, err := n.propose(ctx, &record{Type: typeCreateTopic, CreateTopic: rec})
	if err != nil {
		return nil, err
	}
	return res.topic, nil
}

// DeleteTopic deletes a topic; ErrUnknownTopic if there is none.
func (n *Node) DeleteTopic(ctx context.Context, name string) error {
	_, err := n.propose(ctx, &record{Type: typeDeleteTopic, DeleteTopic: &deleteTopicRecord{Name: name}})
	return err
}

// CreatePartitions grows a topic to total partitions; assignments, if
// given, are the replicas of the new partitions only. Errors:
// ErrUnknownTopic, ErrInvalidPartitions (total not above the current
// count), ErrInvalidReplicationFactor, ErrInvalidReplicaAssignment.
func (n *Node) CreatePartitions(ctx context.Context, name string, total int32, assignments [][]int32) error {
	seed, err := newSeed()
	if err != nil {
		return err
	}
	rec := &createPartitionsRecord{Name: name, Total: total, Assignments: cloneAssignments(assignments), Seed: seed, RackAware: true}
	_, err = n.propose(ctx, &record{Type: typeCreatePartitions, CreatePartitions: rec})
	return err
}

// AlterConfigs changes the config overrides of a resource: each key of set
// is set to its value, or deleted when the value is nil; replace=true
// first drops every override not in set (legacy AlterConfigs). Names and
// values are not validated here (the config package does that); unknown
// topics give ErrUnknownTopic, bad resources ErrInvalidConfigResource.
func (n *Node) AlterConfigs(ctx context.Context, res ConfigResource, set map[string]*string, replace bool) error {
	rec := &alterConfigsRecord{ResourceType: res.Type, Name: res.Name, Set: maps.Clone(set), Replace: replace}
	if rec.Set == nil {
		rec.Set = map[string]*string{}
	}
	_, err := n.propose(ctx, &record{Type: typeAlterConfigs, AlterConfigs: rec})
	return err
}

// AllocateProducerIDs reserves count producer IDs and returns the first:
// the block [first, first+count) is never handed out again, also across
// restarts.
func (n *Node) AllocateProducerIDs(ctx context.Context, count int64) (first int64, err error) {
	res, err := n.propose(ctx, &record{Type: typeAllocateProducerIDs, AllocateProducerIDs: &allocateProducerIDsRecord{Count: count}})
	if err != nil {
		return 0, err
	}
	return res.firstProducerID, nil
}

// propose appends rec to the log and waits until it is committed and
// applied here, returning the state machine's result or validation error.
// Any node may propose: a follower's proposal is forwarded to the leader
// by Raft, and one made while no leader is known waits for an election.
// It fails with ErrNotLeader when the leader changed before the record
// was applied here, ErrClosed once the node is closed, and ctx.Err() when
// ctx ends first; in the first and last case the record may still be
// applied later.
func (n *Node) propose(ctx context.Context, rec *record) (result, error) {
	rec.Origin = n.origin
	rec.Req = n.reqSeq.Add(1)
	data, err := encodeRecord(rec)
	if err != nil {
		return result{}, err
	}
	p := &proposal{req: rec.Req, data: data, done: make(chan outcome, 1), gone: ctx.Done()}
	select {
	case n.propc <- p:
	case <-n.donec:
		return result{}, n.closedErr()
	case <-ctx.Done():
		return result{}, fmt.Errorf("metadata: %s: %w", rec.Type, ctx.Err())
	}
	select {
	case o := <-p.done:
		return o.res, o.err
	case <-n.donec:
		select {
		case o := <-p.done:
			return o.res, o.err
		default:
			return result{}, n.closedErr()
		}
	case <-ctx.Done():
		return result{}, fmt.Errorf("metadata: %s: %w", rec.Type, ctx.Err())
	}
}

func cloneAssignments(a [][]int32) [][]int32 {
	if a == nil {
		return nil
	}
	out := make([][]int32, len(a))
	for i, r := range a {
		out[i] = slices.Clone(r)
	}
	return out
}
