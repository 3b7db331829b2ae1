package partition

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/fs"
)

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// Manager owns the partitions hosted on this broker.
type Manager struct {
	fs     fs.FS
	dir    string
	nodeID int32
	logger *slog.Logger
	isr    isrWake // replica.go

	// applying serializes Apply and RemoveOrphans, which touch partition
	// directories without holding mu (reconcile.go).
	applying sync.Mutex

	mu struct {
		sync.RWMutex
		parts  map[TopicPartition]*Partition
		closed bool
	}
}

// NewManager returns a manager storing partitions under dir.
func NewManager(fsys fs.FS, dir string, nodeID int32, logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.Default()
	}
	m := &Manager{fs: fsys, dir: dir, nodeID: nodeID, logger: logger}
	m.mu.parts = make(map[TopicPartition]*Partition)
	return m
}

// Get returns the hosted partition, or nil.
func (m *Manager) Get(topic string, partition int32) *Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.mu.parts[TopicPartition{topic, partition}]
}

// All returns every hosted partition.
func (m *Manager) All() []*Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Partition, 0, len(m.mu.parts))
	for _, p := range m.mu.parts {
		out = append(out, p)
	}
	return out
}

// Dir returns the data directory the partitions live in.
func (m *Manager) Dir() string { return m.dir }

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// RemoveOrphans deletes partition directories under the data dir that the
// image does not place on this node (a topic deleted while the broker was
// down). Call it once at start, after the first Apply.
func (m *Manager) RemoveOrphans() error {
	m.applying.Lock()
	defer m.applying.Unlock()
	names, err := m.fs.ReadDir(m.dir)
	if err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, name := range names {
		tp, ok := parseDirName(name)
		if !ok || m.mu.parts[tp] != nil {
			continue
		}
		dir := filepath.Join(m.dir, name)
		if _, err := readTopicID(m.fs, dir); err != nil {
			continue // not a partition dir of ours
		}
		m.logger.Info("removing partition dir of a topic this node no longer hosts", "dir", dir)
		if err := m.fs.RemoveAll(dir); err != nil {
			return err
		}
	}
	return nil
}

func parseDirName(name string) (TopicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return TopicPartition{}, false
	}
	digits := name[i+1:]
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return TopicPartition{}, false
	}
	n, err := strconv.ParseInt(digits, 10, 32)
	if err != nil {
		return TopicPartition{}, false
	}
	return TopicPartition{name[:i], int32(n)}, true
}

// EnforceRetention applies retention to every partition and expires idle
// producers.
func (m *Manager) EnforceRetention(now time.Time) {
	for _, p := range m.All() {
		if _, err := p.log.EnforceRetention(now); err != nil {
			m.logger.Error("retention failed", "partition", p.Topic, "index", p.Index, "err", err)
		}
		p.log.ExpireProducers(now)
	}
}

// FlushAll fsyncs every partition (the log.flush.interval.ms timer).
func (m *Manager) FlushAll() {
	for _, p := range m.All() {
		if err := p.Flush(); err != nil {
			m.logger.Error("flush failed", "partition", p.Topic, "index", p.Index, "err", err)
		}
	}
}

// FlushDue fsyncs the partitions whose topic-level flush.ms has passed.
func (m *Manager) FlushDue(now time.Time) {
	for _, p := range m.All() {
		if err := p.FlushIfDue(now); err != nil {
			m.logger.Error("flush failed", "partition", p.Topic, "index", p.Index, "err", err)
		}
	}
}

// Close closes every partition.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mu.closed = true
	var errs []error
	for tp, p := range m.mu.parts {
		if err := p.close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", tp, err))
		}
	}
	m.mu.parts = map[TopicPartition]*Partition{}
	return errors.Join(errs...)
}

// partition.metadata holds the topic id, in Kafka's format, so a directory
// left by a deleted topic is never mistaken for a new topic of that name.
const metadataFile = "partition.metadata"

func writeTopicID(fsys fs.FS, dir string, id [16]byte) error {
	path := filepath.Join(dir, metadataFile)
	content := []byte("version: 0\ntopic_id: " + base64.RawURLEncoding.EncodeToString(id[:]) + "\n")
	if old, err := readFile(fsys, path); err == nil && bytes.Equal(old, content) {
		return nil
	}
	tmp := path + ".tmp"
	f, err := fsys.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}

func readTopicID(fsys fs.FS, dir string) ([16]byte, error) {
	var id [16]byte
	b, err := readFile(fsys, filepath.Join(dir, metadataFile))
	if err != nil {
		return id, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "topic_id: "); ok {
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(v))
			if err != nil || len(raw) != 16 {
				return id, fmt.Errorf("bad topic_id in %s", dir)
			}
			copy(id[:], raw)
			return id, nil
		}
	}
	return id, fmt.Errorf("no topic_id in %s: %w", dir, os.ErrNotExist)
}

func readFile(fsys fs.FS, path string) ([]byte, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}
