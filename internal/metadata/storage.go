package metadata

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gregor-streaming/gregor/internal/fs"
	"go.etcd.io/raft/v3/raftpb"
)

// File names under Config.Dir.
const (
	walName      = "wal"
	snapshotName = "snapshot"
	tmpSuffix    = ".tmp"
)

// storage is the node's files under Config.Dir: the WAL (open for
// appending) and the latest snapshot. It belongs to the driver goroutine
// (and to Start before the driver runs); it is not safe for concurrent
// use.
type storage struct {
	fs     fs.FS
	dir    string
	nodeID int32
	log    *slog.Logger
	wal    fs.File
}

// loaded is the durable state read at start.
type loaded struct {
	snap *snapshotFile // never nil: bootstrap writes the first one
	hs   *raftpb.HardState
	ents []*raftpb.Entry
}

func (s *storage) path(name string) string { return filepath.Join(s.dir, name) }

// openStorage opens (creating if needed) the storage in dir and reads it.
// A directory with no snapshot and an empty WAL is bootstrapped as a new
// quorum of the given voters and cluster id, unless join is set (a
// learner joining an existing quorum): then it starts empty, at index 0,
// and its first snapshot comes from the leader.
func openStorage(fsys fs.FS, dir string, nodeID int32, voters []int32, clusterID string, join bool, log *slog.Logger) (*storage, *loaded, error) {
	s := &storage{fs: fsys, dir: dir, nodeID: nodeID, log: log}
	if err := fsys.MkdirAll(dir); err != nil {
		return nil, nil, fmt.Errorf("metadata: %w", err)
	}
	for _, name := range []string{walName + tmpSuffix, snapshotName + tmpSuffix} {
		if err := fsys.Remove(s.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("metadata: remove leftover: %w", err)
		}
	}
	recs, err := s.openWAL()
	if err != nil {
		return nil, nil, err
	}
	ld, err := s.load(recs, voters, clusterID, join)
	if err != nil {
		return nil, nil, errors.Join(err, s.close())
	}
	return s, ld, nil
}

// load reads the snapshot (bootstrapping one if there is none and the WAL
// is empty) and replays the WAL records after it.
func (s *storage) load(recs []walRecord, voters []int32, clusterID string, join bool) (*loaded, error) {
	sf, err := s.readSnapshot()
	switch {
	case errors.Is(err, os.ErrNotExist) && join:
		// A learner that has not received its first snapshot: its WAL
		// can hold hard states (terms it saw) but no entry, since the
		// leader replicates to an empty log only through a snapshot.
		sf, err = s.emptyStart(clusterID)
	case errors.Is(err, os.ErrNotExist):
		if len(recs) > 0 {
			return nil, fmt.Errorf("%w: wal without snapshot in %s", ErrCorruption, s.dir)
		}
		sf, err = s.bootstrap(voters, clusterID)
	}
	if err != nil {
		return nil, err
	}
	if sf.NodeID != s.nodeID {
		return nil, fmt.Errorf("%w: %s belongs to node %d, not %d", ErrCorruption, s.dir, sf.NodeID, s.nodeID)
	}
	hs, ents, err := replayWAL(recs, sf.Index)
	if err != nil {
		return nil, err
	}
	if hs == nil || hs.GetCommit() < sf.Index {
		hs = &raftpb.HardState{Term: new(max(hs.GetTerm(), sf.Term)), Vote: new(hs.GetVote()), Commit: new(sf.Index)}
	}
	last := sf.Index
	if len(ents) > 0 {
		last = ents[len(ents)-1].GetIndex()
	}
	if hs.GetCommit() > last {
		return nil, fmt.Errorf("%w: hard state commits %d but the log ends at %d", ErrCorruption, hs.GetCommit(), last)
	}
	return &loaded{snap: sf, hs: hs, ents: ents}, nil
}

// bootstrap writes the first snapshot of a new quorum: index 1, term 1,
// the given voters, an image holding only the cluster id. Every voter of
// a new quorum writes the same snapshot (same voters, same cluster id), so
// their logs agree at index 1 as Raft requires.
func (s *storage) bootstrap(voters []int32, clusterID string) (*snapshotFile, error) {
	if clusterID == "" {
		id, err := newClusterID()
		if err != nil {
			return nil, err
		}
		clusterID = id
	}
	img := emptyImage()
	img.ClusterID = clusterID
	data, err := encodeImage(img)
	if err != nil {
		return nil, err
	}
	sf := &snapshotFile{NodeID: s.nodeID, Index: 1, Term: 1, Voters: toIDs(voters), Image: data}
	if err := s.writeSnapshot(sf); err != nil {
		return nil, err
	}
	s.log.Info("bootstrapped a new metadata quorum", "cluster_id", clusterID, "node_id", s.nodeID, "voters", voters)
	return sf, nil
}

// emptyStart is the state of a learner before its first snapshot: index
// 0, no configuration (it is nobody's voter), an empty image carrying the
// configured cluster id. Nothing is written: the leader's snapshot will be.
func (s *storage) emptyStart(clusterID string) (*snapshotFile, error) {
	img := emptyImage()
	img.ClusterID = clusterID
	data, err := encodeImage(img)
	if err != nil {
		return nil, err
	}
	return &snapshotFile{NodeID: s.nodeID, Image: data}, nil
}

// openWAL opens or creates the WAL, cuts a torn tail and returns the
// records of the valid prefix.
func (s *storage) openWAL() ([]walRecord, error) {
	p := s.path(walName)
	f, err := s.fs.OpenReadWrite(p)
	if errors.Is(err, os.ErrNotExist) {
		if f, err = s.fs.Create(p); err != nil {
			return nil, fmt.Errorf("metadata: create wal: %w", err)
		}
		if err := s.fs.SyncDir(s.dir); err != nil {
			return nil, errors.Join(fmt.Errorf("metadata: %w", err), f.Close())
		}
		s.wal = f
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: open wal: %w", err)
	}
	s.wal = f
	b, err := readAll(f)
	if err != nil {
		return nil, errors.Join(err, s.close())
	}
	recs, valid := decodeWAL(b)
	if valid < len(b) {
		s.log.Warn("metadata wal: cutting torn tail", "path", p, "valid_bytes", valid, "dropped_bytes", len(b)-valid)
		if err := f.Truncate(int64(valid)); err != nil {
			return nil, errors.Join(fmt.Errorf("metadata: truncate wal: %w", err), s.close())
		}
		if err := f.Sync(); err != nil {
			return nil, errors.Join(fmt.Errorf("metadata: sync wal: %w", err), s.close())
		}
	}
	return recs, nil
}

func readAll(f fs.File) ([]byte, error) {
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if size == 0 {
		return nil, nil // an empty WAL: a learner that never heard from the quorum
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("metadata: read %s: %w", f.Name(), err)
	}
	return b, nil
}

// readSnapshot reads the snapshot file; os.ErrNotExist if there is none.
func (s *storage) readSnapshot() (*snapshotFile, error) {
	f, err := s.fs.Open(s.path(snapshotName))
	if err != nil {
		return nil, fmt.Errorf("metadata: open snapshot: %w", err)
	}
	b, err := readAll(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("metadata: close snapshot: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	return decodeSnapshotFile(b)
}

// writeSnapshot replaces the snapshot file atomically: write a temporary
// file, fsync it, rename it over the old one, fsync the directory.
func (s *storage) writeSnapshot(sf *snapshotFile) error {
	b, err := encodeSnapshotFile(sf)
	if err != nil {
		return err
	}
	return s.replaceFile(snapshotName, b)
}

func (s *storage) replaceFile(name string, b []byte) error {
	tmp := s.path(name + tmpSuffix)
	f, err := s.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		return errors.Join(fmt.Errorf("metadata: write %s: %w", tmp, err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("metadata: sync %s: %w", tmp, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("metadata: close %s: %w", tmp, err)
	}
	if err := s.fs.Rename(tmp, s.path(name)); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	return nil
}

// append writes entries and then the hard state (either may be empty) to
// the WAL in one write and fsyncs it.
func (s *storage) append(hs *raftpb.HardState, ents []*raftpb.Entry) error {
	var buf []byte
	for _, e := range ents {
		buf = appendEntryFrame(buf, e)
	}
	if hs != nil {
		buf = appendHardStateFrame(buf, hs)
	}
	if len(buf) == 0 {
		return nil
	}
	if _, err := s.wal.Write(buf); err != nil {
		return fmt.Errorf("metadata: write wal: %w", err)
	}
	if err := s.wal.Sync(); err != nil {
		return fmt.Errorf("metadata: sync wal: %w", err)
	}
	return nil
}

// rewriteWAL replaces the WAL atomically by one holding only hs and ents
// (the entries a new snapshot does not cover), then reopens it.
func (s *storage) rewriteWAL(hs *raftpb.HardState, ents []*raftpb.Entry) error {
	var buf []byte
	for _, e := range ents {
		buf = appendEntryFrame(buf, e)
	}
	buf = appendHardStateFrame(buf, hs)
	if err := s.replaceFile(walName, buf); err != nil {
		return err
	}
	old := s.wal
	s.wal = nil
	if err := old.Close(); err != nil {
		return fmt.Errorf("metadata: close old wal: %w", err)
	}
	f, err := s.fs.OpenReadWrite(s.path(walName))
	if err != nil {
		return fmt.Errorf("metadata: reopen wal: %w", err)
	}
	s.wal = f
	return nil
}

func (s *storage) close() error {
	if s.wal == nil {
		return nil
	}
	err := s.wal.Close()
	s.wal = nil
	if err != nil {
		return fmt.Errorf("metadata: close wal: %w", err)
	}
	return nil
}
