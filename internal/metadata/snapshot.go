package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"go.etcd.io/raft/v3/raftpb"
)

// snapshotMagic opens a snapshot file; one frame (see wal.go) follows,
// whose payload is the JSON of snapshotFile.
const snapshotMagic = "GRGSNAP1"

// snapshotVersion is the version of snapshotFile and imageJSON this code
// writes and the highest it reads. Version 2 added reassignments in
// progress (adding/removing replicas) and quorum members' addresses: a
// binary that knows only version 1 refuses such a snapshot rather than
// drop them silently.
const snapshotVersion = 2

// snapshotFile is the content of <dir>/snapshot: the Raft snapshot
// metadata and, as its data, the image.
type snapshotFile struct {
	Version  int             `json:"v"`
	NodeID   int32           `json:"node_id"`
	Index    uint64          `json:"index"`
	Term     uint64          `json:"term"`
	Voters   []uint64        `json:"voters"`
	Learners []uint64        `json:"learners,omitempty"`
	Image    json.RawMessage `json:"image"` // imageJSON, also the raft snapshot's Data
}

// imageJSON is the serialized form of an Image: lists in a fixed order,
// the derived TopicsByID map left out.
type imageJSON struct {
	Version        int                          `json:"v"`
	ClusterID      string                       `json:"cluster_id"`
	Brokers        []*Broker                    `json:"brokers"`
	Topics         []*Topic                     `json:"topics"`
	BrokerConfigs  map[string]map[string]string `json:"broker_configs,omitempty"`
	NextProducerID int64                        `json:"next_producer_id"`
}

func (img *Image) toSnapshot() *imageJSON {
	s := &imageJSON{
		Version:        snapshotVersion,
		ClusterID:      img.ClusterID,
		Brokers:        []*Broker{},
		Topics:         []*Topic{},
		BrokerConfigs:  img.BrokerConfigs,
		NextProducerID: img.NextProducerID,
	}
	for _, id := range img.BrokerIDs() {
		s.Brokers = append(s.Brokers, img.Brokers[id])
	}
	for _, name := range img.TopicNames() {
		s.Topics = append(s.Topics, img.Topics[name])
	}
	return s
}

// encodeImage returns the snapshot data of img.
func encodeImage(img *Image) ([]byte, error) {
	b, err := json.Marshal(img.toSnapshot())
	if err != nil {
		return nil, fmt.Errorf("metadata: encode image: %w", err)
	}
	return b, nil
}

// decodeImage parses snapshot data and checks it is self-consistent.
func decodeImage(b []byte) (*Image, error) {
	var s imageJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: image: %v", ErrCorruption, err)
	}
	if s.Version < 1 || s.Version > snapshotVersion {
		return nil, fmt.Errorf("%w: image version %d", ErrCorruption, s.Version)
	}
	img := emptyImage()
	img.ClusterID = s.ClusterID
	img.NextProducerID = s.NextProducerID
	for _, b := range s.Brokers {
		if b == nil || img.Brokers[b.ID] != nil {
			return nil, fmt.Errorf("%w: image: nil or repeated broker", ErrCorruption)
		}
		img.Brokers[b.ID] = b
	}
	for _, t := range s.Topics {
		if t == nil || img.Topics[t.Name] != nil || img.TopicsByID[t.ID] != nil {
			return nil, fmt.Errorf("%w: image: nil or repeated topic", ErrCorruption)
		}
		img.Topics[t.Name] = t
		img.TopicsByID[t.ID] = t
	}
	for k, v := range s.BrokerConfigs {
		if len(v) > 0 {
			img.BrokerConfigs[k] = v
		}
	}
	return img, nil
}

func equalJSON(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// encodeSnapshotFile returns the bytes of a snapshot file.
func encodeSnapshotFile(sf *snapshotFile) ([]byte, error) {
	sf.Version = snapshotVersion
	p, err := json.Marshal(sf)
	if err != nil {
		return nil, fmt.Errorf("metadata: encode snapshot: %w", err)
	}
	return appendFrame([]byte(snapshotMagic), p), nil
}

// decodeSnapshotFile parses the bytes of a snapshot file. A snapshot is
// written atomically, so any flaw is ErrCorruption, never a torn tail.
func decodeSnapshotFile(b []byte) (*snapshotFile, error) {
	if !bytes.HasPrefix(b, []byte(snapshotMagic)) {
		return nil, fmt.Errorf("%w: snapshot: bad magic", ErrCorruption)
	}
	payload, n, ok := readFrame(b[len(snapshotMagic):])
	if !ok || len(snapshotMagic)+n != len(b) {
		return nil, fmt.Errorf("%w: snapshot: bad frame", ErrCorruption)
	}
	var sf snapshotFile
	if err := json.Unmarshal(payload, &sf); err != nil {
		return nil, fmt.Errorf("%w: snapshot: %v", ErrCorruption, err)
	}
	if sf.Version < 1 || sf.Version > snapshotVersion || sf.Index == 0 || len(sf.Voters) == 0 {
		return nil, fmt.Errorf("%w: snapshot: version %d, index %d, %d voters", ErrCorruption, sf.Version, sf.Index, len(sf.Voters))
	}
	return &sf, nil
}

// raftSnapshot converts a snapshot file to Raft's form.
func (sf *snapshotFile) raftSnapshot() *raftpb.Snapshot {
	return &raftpb.Snapshot{
		Data: sf.Image,
		Metadata: &raftpb.SnapshotMetadata{
			Index: new(sf.Index),
			Term:  new(sf.Term),
			ConfState: &raftpb.ConfState{
				Voters:   slices.Clone(sf.Voters),
				Learners: slices.Clone(sf.Learners),
			},
		},
	}
}

// snapshotFileOf converts a Raft snapshot to the file form.
func snapshotFileOf(nodeID int32, s *raftpb.Snapshot) *snapshotFile {
	md := s.GetMetadata()
	return &snapshotFile{
		NodeID:   nodeID,
		Index:    md.GetIndex(),
		Term:     md.GetTerm(),
		Voters:   slices.Clone(md.GetConfState().GetVoters()),
		Learners: slices.Clone(md.GetConfState().GetLearners()),
		Image:    s.Data,
	}
}
