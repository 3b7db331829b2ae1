package metadata

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
)

// maxPartitions bounds a topic's partition count so that a record cannot
// make every node allocate without limit.
const maxPartitions = 1 << 20

// ConfigResourceType is the kind of resource a config belongs to; the
// values are Kafka's (kmsg.ConfigResourceType).
type ConfigResourceType int8

// Config resource types.
const (
	TopicResource  ConfigResourceType = 2
	BrokerResource ConfigResourceType = 4
)

// ConfigResource names a set of config overrides: a topic by name, a
// broker by its id in decimal, or (Name "") the cluster-wide broker
// default.
type ConfigResource struct {
	Type ConfigResourceType
	Name string
}

// result is what a successful apply hands back to the proposer.
type result struct {
	topic           *Topic           // create_topic
	firstProducerID int64            // allocate_producer_ids
	partition       Partition        // alter_partition
	elections       []ElectionResult // elect_leaders
}

// apply is the state machine: it returns the image after r, applied as the
// Raft entry at index, and the record's result. It does no I/O and never
// modifies img; on error it returns img itself, unchanged, so a rejected
// record changes nothing on any node.
func apply(img *Image, r *record, index uint64) (*Image, result, error) {
	var (
		next *Image
		res  result
		err  error
	)
	switch r.Type {
	case typeRegisterBroker:
		next, err = applyRegisterBroker(img, r.RegisterBroker, index)
	case typeCreateTopic:
		next, res.topic, err = applyCreateTopic(img, r.CreateTopic)
	case typeDeleteTopic:
		next, err = applyDeleteTopic(img, r.DeleteTopic)
	case typeCreatePartitions:
		next, err = applyCreatePartitions(img, r.CreatePartitions)
	case typeAlterConfigs:
		next, err = applyAlterConfigs(img, r.AlterConfigs)
	case typeAllocateProducerIDs:
		next, res.firstProducerID, err = applyAllocateProducerIDs(img, r.AllocateProducerIDs)
	case typeFenceBroker:
		next, err = applyBrokerState(img, r.FenceBroker, fence)
	case typeUnfenceBroker:
		next, err = applyBrokerState(img, r.UnfenceBroker, unfence)
	case typeShutdownBroker:
		next, err = applyBrokerState(img, r.ShutdownBroker, shutdown)
	case typeAlterPartition:
		next, res.partition, err = applyAlterPartition(img, r.AlterPartition)
	case typeReassignPartition:
		next, res.partition, err = applyReassignPartition(img, r.ReassignPartition)
	case typeElectLeaders:
		next, res.elections, err = applyElectLeaders(img, r.ElectLeaders)
	default:
		err = fmt.Errorf("%w: unknown type %q", ErrInvalidRecord, r.Type)
	}
	if err != nil {
		return img, result{}, err
	}
	switch r.Type {
	case typeRegisterBroker, typeAlterConfigs, typeFenceBroker, typeUnfenceBroker, typeShutdownBroker, typeElectLeaders:
		// Elections and returning brokers can complete a reassignment
		// too (reassign.go), not only ISR changes.
		next = completeReassignments(next)
	}
	return next, res, nil
}

func applyRegisterBroker(img *Image, b *BrokerRegistration, index uint64) (*Image, error) {
	if b.ID < 0 {
		return nil, fmt.Errorf("%w: broker id %d", ErrInvalidRecord, b.ID)
	}
	reg := *b
	reg.Listeners = slices.Clone(b.Listeners)
	next := img.shallow()
	next.Brokers = maps.Clone(img.Brokers)
	next.Brokers[b.ID] = &Broker{BrokerRegistration: reg, Epoch: int64(index)}
	if old := img.Brokers[b.ID]; old != nil && old.IncarnationID != b.IncarnationID {
		// A new incarnation: its log may have lost what it had not
		// fsynced, so it leads only if no other in-sync replica can.
		next = electAway(next, b.ID, true)
	}
	return electReturning(next, b.ID), nil
}

func applyCreateTopic(img *Image, c *createTopicRecord) (*Image, *Topic, error) {
	switch {
	case c.Name == "":
		return nil, nil, fmt.Errorf("%w: empty topic name", ErrInvalidRecord)
	case img.Topics[c.Name] != nil:
		return nil, nil, fmt.Errorf("%w: %q", ErrTopicExists, c.Name)
	case c.ID == [16]byte{}:
		return nil, nil, fmt.Errorf("%w: zero topic id", ErrInvalidRecord)
	case img.TopicsByID[c.ID] != nil:
		return nil, nil, fmt.Errorf("%w: topic id of %q already used by %q", ErrTopicExists, c.Name, img.TopicsByID[c.ID].Name)
	}
	asg := c.Assignments
	if len(asg) > 0 {
		if err := checkAssignments(img, asg); err != nil {
			return nil, nil, err
		}
	} else {
		if err := checkCounts(img, c.NumPartitions, int(c.ReplicationFactor)); err != nil {
			return nil, nil, err
		}
		asg = placeLive(img, 0, c.NumPartitions, int(c.ReplicationFactor), c.Seed, c.RackAware)
	}
	t := &Topic{
		Name:       c.Name,
		ID:         c.ID,
		Partitions: newPartitions(0, asg),
		Configs:    maps.Clone(c.Configs),
		Internal:   c.Internal,
	}
	next := img.shallow()
	next.Topics = maps.Clone(img.Topics)
	next.Topics[t.Name] = t
	next.TopicsByID = maps.Clone(img.TopicsByID)
	next.TopicsByID[t.ID] = t
	return next, t, nil
}

// checkCounts validates a partition count and replication factor for
// automatic placement.
func checkCounts(img *Image, partitions int32, rf int) error {
	if partitions <= 0 || partitions > maxPartitions {
		return fmt.Errorf("%w: %d", ErrInvalidPartitions, partitions)
	}
	if live := len(img.LiveBrokerIDs()); rf <= 0 || rf > live {
		return fmt.Errorf("%w: %d with %d live brokers (%d registered)", ErrInvalidReplicationFactor, rf, live, len(img.Brokers))
	}
	return nil
}

// checkAssignments validates explicit replica assignments.
func checkAssignments(img *Image, asg [][]int32) error {
	if len(asg) > maxPartitions {
		return fmt.Errorf("%w: %d", ErrInvalidPartitions, len(asg))
	}
	rf := len(asg[0])
	for p, replicas := range asg {
		if len(replicas) == 0 || len(replicas) != rf {
			return fmt.Errorf("%w: partition %d has %d replicas, partition 0 has %d", ErrInvalidReplicaAssignment, p, len(replicas), rf)
		}
		for i, id := range replicas {
			if img.Brokers[id] == nil {
				return fmt.Errorf("%w: partition %d names unregistered broker %d", ErrInvalidReplicaAssignment, p, id)
			}
			if slices.Contains(replicas[:i], id) {
				return fmt.Errorf("%w: partition %d repeats broker %d", ErrInvalidReplicaAssignment, p, id)
			}
		}
	}
	return nil
}

// newPartitions builds partitions first, first+1, ... from assignments:
// leader = first replica, ISR = all replicas, epochs 0.
func newPartitions(first int32, asg [][]int32) []Partition {
	ps := make([]Partition, len(asg))
	for i, replicas := range asg {
		ps[i] = Partition{
			Index:    first + int32(i),
			Replicas: slices.Clone(replicas),
			ISR:      slices.Clone(replicas),
			Leader:   replicas[0],
		}
	}
	return ps
}

func applyDeleteTopic(img *Image, d *deleteTopicRecord) (*Image, error) {
	t := img.Topics[d.Name]
	if t == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, d.Name)
	}
	next := img.shallow()
	next.Topics = maps.Clone(img.Topics)
	delete(next.Topics, t.Name)
	next.TopicsByID = maps.Clone(img.TopicsByID)
	delete(next.TopicsByID, t.ID)
	return next, nil
}

func applyCreatePartitions(img *Image, c *createPartitionsRecord) (*Image, error) {
	t := img.Topics[c.Name]
	if t == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, c.Name)
	}
	cur := int32(len(t.Partitions))
	if c.Total <= cur || c.Total > maxPartitions {
		return nil, fmt.Errorf("%w: topic %q has %d partitions, asked for %d", ErrInvalidPartitions, c.Name, cur, c.Total)
	}
	asg := c.Assignments
	if len(asg) > 0 {
		if int32(len(asg)) != c.Total-cur {
			return nil, fmt.Errorf("%w: %d assignments for %d new partitions", ErrInvalidReplicaAssignment, len(asg), c.Total-cur)
		}
		if err := checkAssignments(img, asg); err != nil {
			return nil, err
		}
	} else {
		rf := 1
		if cur > 0 {
			rf = len(t.Partitions[0].TargetReplicas()) // not the adding replicas of a move
		}
		if err := checkCounts(img, c.Total-cur, rf); err != nil {
			return nil, err
		}
		asg = placeLive(img, cur, c.Total-cur, rf, c.Seed, c.RackAware)
	}
	nt := *t
	nt.Partitions = append(slices.Clip(t.Partitions), newPartitions(cur, asg)...)
	return replaceTopic(img, &nt), nil
}

// replaceTopic returns img with t in place of the topic of the same name.
func replaceTopic(img *Image, t *Topic) *Image {
	next := img.shallow()
	next.Topics = maps.Clone(img.Topics)
	next.Topics[t.Name] = t
	next.TopicsByID = maps.Clone(img.TopicsByID)
	next.TopicsByID[t.ID] = t
	return next
}

func applyAlterConfigs(img *Image, a *alterConfigsRecord) (*Image, error) {
	switch a.ResourceType {
	case TopicResource:
		t := img.Topics[a.Name]
		if t == nil {
			return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, a.Name)
		}
		nt := *t
		nt.Configs = mergeConfigs(t.Configs, a.Set, a.Replace)
		return electUnclean(replaceTopic(img, &nt), []string{a.Name}), nil
	case BrokerResource:
		if a.Name != "" {
			id, err := strconv.ParseInt(a.Name, 10, 32)
			if err != nil || id < 0 || strconv.FormatInt(id, 10) != a.Name {
				return nil, fmt.Errorf("%w: broker %q", ErrInvalidConfigResource, a.Name)
			}
		}
		next := img.shallow()
		next.BrokerConfigs = maps.Clone(img.BrokerConfigs)
		if merged := mergeConfigs(img.BrokerConfigs[a.Name], a.Set, a.Replace); merged != nil {
			next.BrokerConfigs[a.Name] = merged
		} else {
			delete(next.BrokerConfigs, a.Name)
		}
		return electUnclean(next, nil), nil
	default:
		return nil, fmt.Errorf("%w: type %d", ErrInvalidConfigResource, a.ResourceType)
	}
}

// mergeConfigs returns old changed by set (nil values delete), starting
// from nothing when replace is set; nil when the result is empty.
func mergeConfigs(old map[string]string, set map[string]*string, replace bool) map[string]string {
	out := map[string]string{}
	if !replace {
		maps.Copy(out, old)
	}
	for k, v := range set {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = *v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func applyAllocateProducerIDs(img *Image, a *allocateProducerIDsRecord) (*Image, int64, error) {
	if a.Count <= 0 {
		return nil, 0, fmt.Errorf("%w: producer id count %d", ErrInvalidRecord, a.Count)
	}
	if img.NextProducerID > math.MaxInt64-a.Count {
		return nil, 0, fmt.Errorf("%w: producer ids exhausted", ErrInvalidRecord)
	}
	next := img.shallow()
	next.NextProducerID = img.NextProducerID + a.Count
	return next, img.NextProducerID, nil
}
