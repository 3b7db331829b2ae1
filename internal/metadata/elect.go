package metadata

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ElectionType is the kind of leader election ElectLeaders asks for; the
// values are Kafka's (ElectLeadersRequest.ElectionType).
type ElectionType int8

// Election types.
const (
	// PreferredElection makes the first replica of the assignment the
	// leader, if it is alive and in the ISR.
	PreferredElection ElectionType = 0
	// UncleanElection gives a leaderless partition a leader even if no
	// alive replica is in the ISR (the new leader may lack acknowledged
	// records: they are lost).
	UncleanElection ElectionType = 1
)

// AnyPartitionEpoch in ElectPartition.PartitionEpoch: elect whatever the
// partition's state is when the record is applied.
const AnyPartitionEpoch int32 = -1

// Per-partition election outcomes (ElectionResult.Err). Check them with
// errors.Is.
var (
	// ErrElectionNotNeeded: the preferred replica already leads
	// (preferred), or the partition has a leader (unclean).
	ErrElectionNotNeeded = errors.New("metadata: election not needed")
	// ErrPreferredLeaderNotAvailable: the preferred replica is fenced or
	// not in the ISR.
	ErrPreferredLeaderNotAvailable = errors.New("metadata: preferred leader not available")
	// ErrEligibleLeadersNotAvailable: no replica of a leaderless
	// partition is alive.
	ErrEligibleLeadersNotAvailable = errors.New("metadata: eligible leaders not available")
)

// ElectPartition names a partition to elect a leader for. PartitionEpoch
// fences the request like alter_partition's: the election applies only if
// the partition is still at that epoch (AnyPartitionEpoch: always).
type ElectPartition struct {
	Topic          string `json:"topic"`
	Partition      int32  `json:"partition"`
	PartitionEpoch int32  `json:"partition_epoch"`
}

// ElectionResult is the outcome of one partition's election: Err is nil
// (Leader is the new leader), ErrElectionNotNeeded,
// ErrPreferredLeaderNotAvailable, ErrEligibleLeadersNotAvailable,
// ErrUnknownTopic or ErrStalePartitionEpoch (wrapped with detail).
type ElectionResult struct {
	Topic     string
	Partition int32
	Leader    int32
	Err       error
}

// electLeadersRecord asks for elections: for the listed partitions, or,
// with All, for every partition (then partitions that need no election
// are left out of the results, as Kafka does).
type electLeadersRecord struct {
	Type       ElectionType     `json:"election_type"`
	All        bool             `json:"all,omitempty"`
	Partitions []ElectPartition `json:"partitions,omitempty"`
	// StaticDefault marks the active controller's own unclean elections
	// (its static unclean.leader.election.enable): they apply only to
	// topics for which the image sets no unclean value (a topic override
	// or dynamic default set meanwhile wins).
	StaticDefault bool `json:"static_default,omitempty"`
}

// ElectLeaders proposes leader elections for parts (nil: every
// partition) and returns one result per partition (with nil parts, only
// the partitions an election was attempted for and needed). The record
// itself fails only with ErrInvalidRecord (an unknown election type) and
// the proposal errors of propose.
func (n *Node) ElectLeaders(ctx context.Context, typ ElectionType, parts []ElectPartition) ([]ElectionResult, error) {
	rec := &electLeadersRecord{Type: typ, All: parts == nil, Partitions: slices.Clone(parts)}
	res, err := n.propose(ctx, &record{Type: typeElectLeaders, ElectLeaders: rec})
	if err != nil {
		return nil, err
	}
	return res.elections, nil
}

func applyElectLeaders(img *Image, e *electLeadersRecord) (*Image, []ElectionResult, error) {
	if e.Type != PreferredElection && e.Type != UncleanElection {
		return nil, nil, fmt.Errorf("%w: election type %d", ErrInvalidRecord, e.Type)
	}
	targets := e.Partitions
	if e.All {
		targets = allPartitions(img)
	}
	ed := newTopicEditor(img)
	results := make([]ElectionResult, 0, len(targets))
	for _, ep := range targets {
		r := ElectionResult{Topic: ep.Topic, Partition: ep.Partition, Leader: NoLeader}
		p, ok := ed.partition(ep.Topic, ep.Partition)
		switch {
		case !ok:
			r.Err = fmt.Errorf("%w: %s-%d", ErrUnknownTopic, ep.Topic, ep.Partition)
		case ep.PartitionEpoch != AnyPartitionEpoch && ep.PartitionEpoch != p.PartitionEpoch:
			r.Err = fmt.Errorf("%w: %s-%d is at partition epoch %d, record says %d",
				ErrStalePartitionEpoch, ep.Topic, ep.Partition, p.PartitionEpoch, ep.PartitionEpoch)
		case e.StaticDefault && uncleanSet(img, ep.Topic):
			r.Err = fmt.Errorf("%w: %s sets unclean.leader.election.enable now", ErrEligibleLeadersNotAvailable, ep.Topic)
		default:
			var np Partition
			np, r.Err = electOne(img, p, e.Type)
			r.Leader = np.Leader
			if r.Err == nil {
				ed.set(ep.Topic, np)
			}
		}
		if e.All && errors.Is(r.Err, ErrElectionNotNeeded) {
			continue
		}
		results = append(results, r)
	}
	return ed.image(), results, nil
}

// electOne decides one partition's election. The new leader gets a new
// leader epoch, and the partition a new partition epoch.
func electOne(img *Image, p Partition, typ ElectionType) (Partition, error) {
	np := p
	np.ISR = slices.Clone(p.ISR)
	switch typ {
	case PreferredElection:
		if len(p.Replicas) == 0 {
			return p, fmt.Errorf("%w: no replicas", ErrPreferredLeaderNotAvailable)
		}
		pref := p.Replicas[0]
		if p.Leader == pref {
			return p, fmt.Errorf("%w: broker %d already leads", ErrElectionNotNeeded, pref)
		}
		if !img.Brokers[pref].Alive() || !slices.Contains(p.ISR, pref) {
			return p, fmt.Errorf("%w: broker %d is fenced or out of the ISR %v", ErrPreferredLeaderNotAvailable, pref, p.ISR)
		}
		np.Leader = pref
	default:
		if p.Leader != NoLeader {
			return p, fmt.Errorf("%w: broker %d leads", ErrElectionNotNeeded, p.Leader)
		}
		np = uncleanLeader(img, p)
		if np.Leader == NoLeader {
			return p, fmt.Errorf("%w: no replica of %v is alive", ErrEligibleLeadersNotAvailable, p.Replicas)
		}
	}
	np.LeaderEpoch++
	np.PartitionEpoch++
	return np, nil
}

// uncleanLeader returns p with a leader: the first alive ISR member if
// there is one (a clean election), otherwise the first alive replica,
// which becomes the whole ISR (an original replica before one a
// reassignment is adding). Leader stays NoLeader when no replica is
// alive. Epochs are left to the caller.
func uncleanLeader(img *Image, p Partition) Partition {
	np := p
	for _, r := range p.ISR {
		if img.Brokers[r].Alive() {
			np.Leader = r
			return np
		}
	}
	// Replicas being added by a reassignment come last: they may hold
	// little of the log yet.
	for _, adding := range []bool{false, true} {
		for _, r := range p.Replicas {
			if slices.Contains(p.AddingReplicas, r) == adding && img.Brokers[r].Alive() {
				np.Leader, np.ISR = r, []int32{r}
				return np
			}
		}
	}
	return np
}

// UncleanEnabled reports whether the image enables unclean leader
// election for topic t: its unclean.leader.election.enable override, else
// the cluster-wide dynamic broker default. It returns set=false when
// neither is set (then the controller's static default decides).
func (img *Image) UncleanEnabled(t *Topic) (enabled, set bool) {
	const key = "unclean.leader.election.enable"
	if v, ok := t.Configs[key]; ok {
		return strings.EqualFold(v, "true"), true
	}
	if v, ok := img.BrokerConfigs[""][key]; ok {
		return strings.EqualFold(v, "true"), true
	}
	return false, false
}

// uncleanSet reports whether the image sets unclean leader election for
// topic (an override or the dynamic default), true or false.
func uncleanSet(img *Image, topic string) bool {
	t := img.Topics[topic]
	if t == nil {
		return false
	}
	_, set := img.UncleanEnabled(t)
	return set
}

// electUnclean gives a leader to every leaderless partition of the topics
// names (nil: every topic) whose unclean election the image enables. It
// runs after the records that can leave a partition leaderless or make a
// replica electable (fencing, registration, config changes).
func electUnclean(img *Image, names []string) *Image {
	if names == nil {
		names = img.TopicNames()
	}
	ed := newTopicEditor(img)
	for _, name := range names {
		t := img.Topics[name]
		if t == nil {
			continue
		}
		if on, _ := img.UncleanEnabled(t); !on {
			continue
		}
		for _, p := range t.Partitions {
			if p.Leader != NoLeader {
				continue
			}
			if np, err := electOne(img, p, UncleanElection); err == nil {
				ed.set(name, np)
			}
		}
	}
	return ed.image()
}

// allPartitions lists every partition of img, topics in name order.
func allPartitions(img *Image) []ElectPartition {
	var out []ElectPartition
	for _, name := range img.TopicNames() {
		for _, p := range img.Topics[name].Partitions {
			out = append(out, ElectPartition{Topic: name, Partition: p.Index, PartitionEpoch: AnyPartitionEpoch})
		}
	}
	return out
}

// topicEditor collects partition changes over an image copy-on-write:
// each changed topic is copied once.
type topicEditor struct {
	img     *Image
	changed map[string]*Topic
}

func newTopicEditor(img *Image) *topicEditor { return &topicEditor{img: img} }

// partition returns the current state of a partition, with the edits so
// far.
func (ed *topicEditor) partition(topic string, index int32) (Partition, bool) {
	t := ed.changed[topic]
	if t == nil {
		t = ed.img.Topics[topic]
	}
	if t == nil || index < 0 || int(index) >= len(t.Partitions) {
		return Partition{}, false
	}
	return t.Partitions[index], true
}

func (ed *topicEditor) set(topic string, p Partition) {
	t := ed.changed[topic]
	if t == nil {
		nt := *ed.img.Topics[topic]
		nt.Partitions = slices.Clone(nt.Partitions)
		t = &nt
		if ed.changed == nil {
			ed.changed = map[string]*Topic{}
		}
		ed.changed[topic] = t
	}
	t.Partitions[p.Index] = p
}

// image returns the image with the edits (img itself if there are none).
func (ed *topicEditor) image() *Image { return replaceTopics(ed.img, ed.changed) }
