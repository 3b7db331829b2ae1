package metadata

import (
	"maps"
	"slices"
)

// Image is the metadata state at one applied Raft index. An Image is
// immutable once published: every field (including the maps, slices and
// the structs they point to) is read-only by convention, and the state
// machine builds a new Image (copy-on-write, sharing what did not change)
// for every change. Readers may therefore use an Image from any goroutine
// without locks.
type Image struct {
	ClusterID string
	// Epoch is the Raft term and Offset the Raft index of the last
	// applied entry.
	Epoch  uint64
	Offset uint64
	// Controller is the node id of the Raft leader as this node last saw
	// it, or -1 if none is known.
	Controller int32

	Brokers    map[int32]*Broker
	Topics     map[string]*Topic // by name
	TopicsByID map[[16]byte]*Topic
	// BrokerConfigs holds dynamic broker config overrides: key "" is the
	// cluster-wide default, "1" is broker 1.
	BrokerConfigs map[string]map[string]string
	// NextProducerID is the first producer ID not yet handed out.
	NextProducerID int64
}

// Listener is one advertised endpoint of a broker.
type Listener struct {
	Name             string `json:"name"`
	Host             string `json:"host"`
	Port             int32  `json:"port"`
	SecurityProtocol string `json:"security_protocol,omitempty"`
}

// BrokerRegistration is what a broker announces about itself.
type BrokerRegistration struct {
	ID            int32      `json:"id"`
	Host          string     `json:"host"`
	Port          int32      `json:"port"`
	Rack          string     `json:"rack,omitempty"` // "" = no rack
	Listeners     []Listener `json:"listeners,omitempty"`
	IncarnationID [16]byte   `json:"incarnation_id"`
}

// Broker is a registered broker.
type Broker struct {
	BrokerRegistration
	// Epoch is the Raft index of the record that registered this
	// incarnation (Kafka's broker epoch): it grows on every
	// re-registration.
	Epoch int64 `json:"epoch"`
	// Fenced is set when the active controller stopped hearing this
	// incarnation's heartbeats for broker.session.timeout.ms, or when it
	// shut down (then ShutDown is set too). A fenced broker is left out
	// of Metadata's broker list and of automatic replica placement; a
	// heartbeat from the same incarnation unfences it (unless it shut
	// down), a new registration always does.
	Fenced   bool `json:"fenced,omitempty"`
	ShutDown bool `json:"shut_down,omitempty"`
}

// Alive reports whether the broker is registered and not fenced.
func (b *Broker) Alive() bool { return b != nil && !b.Fenced }

// Topic is a topic and its partitions.
type Topic struct {
	Name       string            `json:"name"`
	ID         [16]byte          `json:"id"`
	Partitions []Partition       `json:"partitions"`
	Configs    map[string]string `json:"configs,omitempty"` // overrides only
	Internal   bool              `json:"internal,omitempty"`
}

// Partition is one partition of a topic.
type Partition struct {
	Index          int32   `json:"index"`
	Replicas       []int32 `json:"replicas"`
	ISR            []int32 `json:"isr"`
	Leader         int32   `json:"leader"`
	LeaderEpoch    int32   `json:"leader_epoch"`
	PartitionEpoch int32   `json:"partition_epoch"`
	// AddingReplicas and RemovingReplicas are set while the partition is
	// being reassigned (reassign.go): Replicas then holds the target
	// replicas followed by the removing ones.
	AddingReplicas   []int32 `json:"adding_replicas,omitempty"`
	RemovingReplicas []int32 `json:"removing_replicas,omitempty"`
}

// emptyImage returns the image of a quorum that has applied nothing.
func emptyImage() *Image {
	return &Image{
		Controller:    -1,
		Brokers:       map[int32]*Broker{},
		Topics:        map[string]*Topic{},
		TopicsByID:    map[[16]byte]*Topic{},
		BrokerConfigs: map[string]map[string]string{},
	}
}

// shallow returns a copy of img sharing all maps; callers replace the maps
// they change with copies before writing to them.
func (img *Image) shallow() *Image {
	c := *img
	return &c
}

// Topic returns the topic named name, or nil.
func (img *Image) Topic(name string) *Topic { return img.Topics[name] }

// TopicByID returns the topic with the given ID, or nil.
func (img *Image) TopicByID(id [16]byte) *Topic { return img.TopicsByID[id] }

// BrokerIDs returns the ids of the registered brokers in ascending order.
func (img *Image) BrokerIDs() []int32 {
	return slices.Sorted(maps.Keys(img.Brokers))
}

// LiveBrokerIDs returns the ids of the registered brokers that are not
// fenced, in ascending order. Leader election for partitions of fenced
// brokers belongs to replication and is not done by this package yet.
func (img *Image) LiveBrokerIDs() []int32 {
	ids := make([]int32, 0, len(img.Brokers))
	for _, id := range img.BrokerIDs() {
		if img.Brokers[id].Alive() {
			ids = append(ids, id)
		}
	}
	return ids
}

// TopicNames returns the topic names in ascending order.
func (img *Image) TopicNames() []string {
	return slices.Sorted(maps.Keys(img.Topics))
}

// Equal reports whether two images hold the same metadata, ignoring Epoch,
// Offset and Controller (which depend on when and where they were taken).
func (img *Image) Equal(o *Image) bool {
	a, b := img.toSnapshot(), o.toSnapshot()
	return equalJSON(a, b)
}
