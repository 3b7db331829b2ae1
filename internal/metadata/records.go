package metadata

import (
	"encoding/json"
	"fmt"
)

// recordVersion is the envelope version this code writes and the highest
// it reads. A node that meets a higher version stops rather than apply a
// record it does not understand (which would fork the state). Version 2
// added elect_leaders and reassign_partition records and the state
// machine rules that go with them (elections and reassignment completion
// after broker records).
const recordVersion = 2

// Record types (the "type" field of the envelope).
const (
	typeRegisterBroker      = "register_broker"
	typeCreateTopic         = "create_topic"
	typeDeleteTopic         = "delete_topic"
	typeCreatePartitions    = "create_partitions"
	typeAlterConfigs        = "alter_configs"
	typeAllocateProducerIDs = "allocate_producer_ids"
	typeFenceBroker         = "fence_broker"
	typeUnfenceBroker       = "unfence_broker"
	typeShutdownBroker      = "shutdown_broker"
	typeAlterPartition      = "alter_partition"
	typeElectLeaders        = "elect_leaders"
)

// record is one metadata record: the JSON payload of a normal Raft entry.
// Exactly one of the typed fields is set, the one Type names. Origin and
// Req identify the proposal so the proposing node can hand the result back
// to its caller; they do not affect the state.
type record struct {
	Version int    `json:"v"`
	Type    string `json:"type"`
	Origin  uint64 `json:"origin,omitempty"`
	Req     uint64 `json:"req,omitempty"`

	RegisterBroker      *BrokerRegistration        `json:"register_broker,omitempty"`
	CreateTopic         *createTopicRecord         `json:"create_topic,omitempty"`
	DeleteTopic         *deleteTopicRecord         `json:"delete_topic,omitempty"`
	CreatePartitions    *createPartitionsRecord    `json:"create_partitions,omitempty"`
	AlterConfigs        *alterConfigsRecord        `json:"alter_configs,omitempty"`
	AllocateProducerIDs *allocateProducerIDsRecord `json:"allocate_producer_ids,omitempty"`
	FenceBroker         *brokerEpochRecord         `json:"fence_broker,omitempty"`
	UnfenceBroker       *brokerEpochRecord         `json:"unfence_broker,omitempty"`
	ShutdownBroker      *brokerEpochRecord         `json:"shutdown_broker,omitempty"`
	AlterPartition      *alterPartitionRecord      `json:"alter_partition,omitempty"`
	ReassignPartition   *reassignPartitionRecord   `json:"reassign_partition,omitempty"`
	ElectLeaders        *electLeadersRecord        `json:"elect_leaders,omitempty"`
}

// brokerEpochRecord names one incarnation of a broker: its id and the
// epoch its registration got. A lifecycle record (fence, unfence,
// controlled shutdown) for an older epoch is stale and changes nothing.
type brokerEpochRecord struct {
	ID    int32 `json:"id"`
	Epoch int64 `json:"epoch"`
}

// createTopicRecord creates a topic. Without Assignments the state machine
// places NumPartitions x ReplicationFactor replicas on the registered
// brokers, starting from Seed (chosen at random by the proposer, so that
// apply stays deterministic on every node).
type createTopicRecord struct {
	Name              string            `json:"name"`
	ID                [16]byte          `json:"id"`
	NumPartitions     int32             `json:"num_partitions"`
	ReplicationFactor int16             `json:"replication_factor"`
	Assignments       [][]int32         `json:"assignments,omitempty"`
	Configs           map[string]string `json:"configs,omitempty"`
	Internal          bool              `json:"internal,omitempty"`
	Seed              uint32            `json:"seed"`
	// RackAware: place with broker.rack (records written before rack
	// awareness keep their rack-unaware placement on replay).
	RackAware bool `json:"rack_aware,omitempty"`
}

type deleteTopicRecord struct {
	Name string `json:"name"`
}

// createPartitionsRecord grows a topic to Total partitions; Assignments,
// if given, hold the replicas of the new partitions only.
type createPartitionsRecord struct {
	Name        string    `json:"name"`
	Total       int32     `json:"total"`
	Assignments [][]int32 `json:"assignments,omitempty"`
	Seed        uint32    `json:"seed"`
	RackAware   bool      `json:"rack_aware,omitempty"` // as createTopicRecord's
}

// alterConfigsRecord changes config overrides: a null value deletes a key,
// Replace drops every key not in Set first.
type alterConfigsRecord struct {
	ResourceType ConfigResourceType `json:"resource_type"`
	Name         string             `json:"name"`
	Set          map[string]*string `json:"set"`
	Replace      bool               `json:"replace,omitempty"`
}

type allocateProducerIDsRecord struct {
	Count int64 `json:"count"`
}

// encodeRecord returns the entry payload of r, stamping the version.
func encodeRecord(r *record) ([]byte, error) {
	r.Version = recordVersion
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("metadata: encode %s record: %w", r.Type, err)
	}
	return b, nil
}

// decodeRecord parses an entry payload and checks that its version is
// known and that the field its type names is present.
func decodeRecord(b []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	}
	if r.Version < 1 || r.Version > recordVersion {
		return nil, fmt.Errorf("%w: version %d (this node reads up to %d)", ErrInvalidRecord, r.Version, recordVersion)
	}
	var present bool
	switch r.Type {
	case typeRegisterBroker:
		present = r.RegisterBroker != nil
	case typeCreateTopic:
		present = r.CreateTopic != nil
	case typeDeleteTopic:
		present = r.DeleteTopic != nil
	case typeCreatePartitions:
		present = r.CreatePartitions != nil
	case typeAlterConfigs:
		present = r.AlterConfigs != nil
	case typeAllocateProducerIDs:
		present = r.AllocateProducerIDs != nil
	case typeFenceBroker:
		present = r.FenceBroker != nil
	case typeUnfenceBroker:
		present = r.UnfenceBroker != nil
	case typeShutdownBroker:
		present = r.ShutdownBroker != nil
	case typeAlterPartition:
		present = r.AlterPartition != nil
	case typeReassignPartition:
		present = r.ReassignPartition != nil
	case typeElectLeaders:
		present = r.ElectLeaders != nil
	default:
		return nil, fmt.Errorf("%w: unknown type %q", ErrInvalidRecord, r.Type)
	}
	if !present {
		return nil, fmt.Errorf("%w: %s record without its body", ErrInvalidRecord, r.Type)
	}
	return &r, nil
}
