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

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/metadata"
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

// Apply reconciles the hosted partitions with a metadata image: it opens
// (creating if needed) every partition whose replicas include this node,
// updates epochs and configs, and closes and deletes partitions whose topic
// is gone or was recreated with a new id.
func (m *Manager) Apply(img *metadata.Image, broker *config.Broker) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return ErrClosed
	}
	want := make(map[TopicPartition]bool)
	var errs []error
	for _, t := range img.Topics {
		cfg := broker.TopicConfig(t.Configs)
		for _, pm := range t.Partitions {
			if !contains(pm.Replicas, m.nodeID) {
				continue
			}
			tp := TopicPartition{t.Name, pm.Index}
			want[tp] = true
			p := m.mu.parts[tp]
			if p != nil && p.TopicID() != t.ID {
				m.deleteLocked(tp, p)
				p = nil
			}
			if p == nil {
				var err error
				if p, err = m.openLocked(tp, t.ID, pm.LeaderEpoch, cfg); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			p.ApplyReplication(pm, m.nodeID, broker, m.ISRWake(), time.Now())
			p.setState(pm.LeaderEpoch, cfg, m.logger)
		}
	}
	for tp, p := range m.mu.parts {
		if !want[tp] {
			m.deleteLocked(tp, p)
		}
	}
	return errors.Join(errs...)
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// openLocked opens (or creates) the log of tp. A directory left by an
// older topic of the same name (another topic id) is removed first.
func (m *Manager) openLocked(tp TopicPartition, id [16]byte, epoch int32, cfg config.Topic) (*Partition, error) {
	dir := filepath.Join(m.dir, tp.String())
	if old, err := readTopicID(m.fs, dir); err == nil && old != id {
		m.logger.Info("removing the log of a deleted topic with the same name", "dir", dir)
		if err := m.fs.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("remove stale partition dir %s: %w", dir, err)
		}
	}
	l, err := log.Open(m.fs, dir, LogConfig(cfg), log.Options{Logger: m.logger.With("partition", tp.String())})
	if err != nil {
		return nil, fmt.Errorf("open log of %s: %w", tp, err)
	}
	if err := writeTopicID(m.fs, dir, id); err != nil {
		l.Close()
		return nil, fmt.Errorf("write partition.metadata of %s: %w", tp, err)
	}
	// Whatever recovery kept is what consumers may read: make it durable.
	if err := l.Flush(l.NextOffset()); err != nil {
		l.Close()
		return nil, fmt.Errorf("sync recovered log of %s: %w", tp, err)
	}
	p := newPartition(tp.Topic, tp.Partition, l, id, epoch, cfg)
	m.mu.parts[tp] = p
	return p, nil
}

// deleteLocked closes and deletes a partition this broker no longer
// hosts (its topic was deleted, or a reassignment removed this replica).
// Produce requests waiting for acks=all on it learn at once that this
// broker no longer leads (their clients retry on the new leader).
func (m *Manager) deleteLocked(tp TopicPartition, p *Partition) {
	delete(m.mu.parts, tp)
	p.mu.Lock()
	p.mu.closed = true
	p.mu.Unlock()
	p.rep.mu.Lock()
	p.rep.set, p.rep.leader = true, metadata.NoLeader
	p.rep.signalLocked()
	p.rep.mu.Unlock()
	if err := p.log.Delete(); err != nil {
		m.logger.Error("deleting partition log failed", "partition", tp.String(), "err", err)
		return
	}
	m.logger.Info("deleted partition", "partition", tp.String())
}

// RemoveOrphans deletes partition directories under the data dir that the
// image does not place on this node (a topic deleted while the broker was
// down). Call it once at start, after the first Apply.
func (m *Manager) RemoveOrphans() error {
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
