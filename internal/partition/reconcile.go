package partition

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// Apply reconciles the hosted partitions with a metadata image: it opens
// (creating if needed) every partition whose replicas include this node,
// updates epochs, replication state and configs, and closes and deletes
// partitions whose topic is gone, was recreated with a new id, or no
// longer has a replica here.
//
// The slow disk work (log recovery when opening, removing a deleted
// partition's files) happens without holding the manager's lock, so
// produce and fetch lookups of other partitions never wait for it: a
// partition is out of the map while it is deleted and enters it only
// once opened (until then a request for it is answered as for any
// partition this broker does not host, which clients retry).
func (m *Manager) Apply(img *metadata.Image, broker *config.Broker) error {
	m.applying.Lock()
	defer m.applying.Unlock()
	plan, err := m.plan(img, broker)
	if err != nil {
		return err
	}
	// The partitions already open get their new state first, before any
	// disk work: a leader that lost its leadership stops taking writes
	// now, not after the other partitions' recovery.
	for _, e := range plan.existing {
		m.applyState(e.p, e.w, broker)
	}
	for tp, p := range plan.doomed {
		m.deletePartition(tp, p)
	}
	var errs []error
	for _, o := range plan.open {
		p, err := m.open(o.tp, o.id, o.pm.LeaderEpoch, o.cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Its replication state goes in before anyone can look it up: a
		// partition without one acts as a replica of its own (it would
		// take and acknowledge writes as the leader of an epoch that may
		// have ended, as a restarted broker did in the fault harness).
		m.applyState(p, o, broker)
		if err := m.install(o.tp, p); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	return errors.Join(errs...)
}

// applyState installs a partition's metadata state: replication (leader,
// ISR, epochs) and the topic config.
func (m *Manager) applyState(p *Partition, w wanted, broker *config.Broker) {
	p.ApplyReplication(w.pm, m.nodeID, broker, m.ISRWake(), time.Now())
	p.setState(w.pm.LeaderEpoch, w.cfg, m.logger)
}

// wanted is a partition the image places on this broker.
type wanted struct {
	tp  TopicPartition
	id  [16]byte
	pm  metadata.Partition
	cfg config.Topic
}

type reconcilePlan struct {
	existing []hosted // partitions to keep that are open, with their new state
	open     []wanted // partitions to host that are not open yet
	doomed   map[TopicPartition]*Partition
}

// hosted is an open partition and the state the image gives it.
type hosted struct {
	p *Partition
	w wanted
}

// plan decides under the lock what Apply does and takes the partitions
// to delete out of the map.
func (m *Manager) plan(img *metadata.Image, broker *config.Broker) (reconcilePlan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return reconcilePlan{}, ErrClosed
	}
	plan := reconcilePlan{doomed: map[TopicPartition]*Partition{}}
	want := map[TopicPartition]bool{}
	for _, t := range img.Topics {
		cfg := broker.TopicConfig(t.Configs)
		for _, pm := range t.Partitions {
			if !contains(pm.Replicas, m.nodeID) {
				continue
			}
			w := wanted{tp: TopicPartition{t.Name, pm.Index}, id: t.ID, pm: pm, cfg: cfg}
			want[w.tp] = true
			p := m.mu.parts[w.tp]
			if p != nil && p.TopicID() != t.ID {
				plan.doomed[w.tp] = p // recreated under the same name
				p = nil
			}
			if p == nil {
				plan.open = append(plan.open, w)
			} else {
				plan.existing = append(plan.existing, hosted{p: p, w: w})
			}
		}
	}
	for tp, p := range m.mu.parts {
		if !want[tp] {
			plan.doomed[tp] = p
		}
	}
	for tp := range plan.doomed {
		delete(m.mu.parts, tp)
	}
	return plan, nil
}

// install adds an opened partition, unless the manager was closed
// meanwhile (then the partition is closed and ErrClosed returned).
func (m *Manager) install(tp TopicPartition, p *Partition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		if err := p.close(); err != nil {
			m.logger.Error("closing a partition opened during shutdown", "partition", tp.String(), "err", err)
		}
		return ErrClosed
	}
	m.mu.parts[tp] = p
	return nil
}

// open opens (or creates) the log of tp. A directory left by an older
// topic of the same name (another topic id) is removed first.
func (m *Manager) open(tp TopicPartition, id [16]byte, epoch int32, cfg config.Topic) (*Partition, error) {
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
	return newPartition(tp.Topic, tp.Partition, l, id, epoch, cfg), nil
}

// deletePartition closes and deletes a partition this broker no longer
// hosts (already out of the map). Produce requests waiting for acks=all
// on it learn at once that this broker no longer leads (their clients
// retry on the new leader).
func (m *Manager) deletePartition(tp TopicPartition, p *Partition) {
	p.mu.Lock()
	p.mu.closed = true
	p.mu.Unlock()
	p.rep.mu.Lock()
	p.rep.set, p.rep.deleted, p.rep.leader = true, true, metadata.NoLeader
	p.rep.signalLocked()
	p.rep.mu.Unlock()
	if err := p.log.Delete(); err != nil {
		m.logger.Error("deleting partition log failed", "partition", tp.String(), "err", err)
		return
	}
	m.logger.Info("deleted partition", "partition", tp.String())
}
