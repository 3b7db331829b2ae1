package replication

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/partition"
)

// fetchVersion is the Fetch version followers speak: v12 is the first
// with LastFetchedEpoch and DivergingEpoch, and names topics (v13+ use
// topic ids).
const fetchVersion = 12

// Backoff after a failed fetch (connection refused, a storage error).
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

var (
	errNoProgress   = errors.New("replication: truncation made no progress")
	errLeaderBehind = errors.New("replication: the leader refused some partitions")
)

// fetcher replicates the partitions one leader leads and this broker
// follows. Its goroutine owns the connection.
type fetcher struct {
	cfg    Config
	leader int32
	addr   string
	parts  map[partition.TopicPartition]followed
	// paused partitions cannot go on (their log would have to be cut
	// below its start): Update replaces the fetcher when the metadata
	// changes.
	paused map[partition.TopicPartition]bool
	// retry is set when the leader answered a partition with an error
	// that its metadata catching up should clear (it does not host the
	// partition yet, or does not lead it yet): the next fetch waits.
	retry  bool
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	conn   atomic.Pointer[conn]
}

func newFetcher(cfg Config, leader int32, addr string, parts map[partition.TopicPartition]followed) *fetcher {
	f := &fetcher{cfg: cfg, leader: leader, addr: addr, parts: parts, paused: map[partition.TopicPartition]bool{}, done: make(chan struct{})}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.cfg.Logger = cfg.Logger.With("leader", leader)
	return f
}

func (f *fetcher) start() { go f.run() }

// stopAndWait ends the goroutine (a fetch in flight ends with its
// connection's deadline or at once if the conn is closed under it).
func (f *fetcher) stopAndWait() {
	f.cancel()
	<-f.done
}

func (f *fetcher) run() {
	defer close(f.done)
	defer f.dropConn()
	stop := context.AfterFunc(f.ctx, func() {
		// Unblock a request in flight; run closes the conn itself.
		if c := f.conn.Load(); c != nil {
			c.c.SetDeadline(time.Now())
		}
	})
	defer stop()
	backoff := minBackoff
	for f.ctx.Err() == nil {
		if len(f.paused) == len(f.parts) {
			<-f.ctx.Done() // nothing to fetch until the metadata changes
			return
		}
		f.retry = false
		err := f.fetchOnce()
		if err == nil && f.retry {
			err = errLeaderBehind
		}
		if err != nil {
			if f.ctx.Err() != nil {
				return
			}
			if !errors.Is(err, errLeaderBehind) {
				f.cfg.Logger.Warn("replica fetch failed", "addr", f.addr, "err", err, "retry_in", backoff)
				f.dropConn()
			}
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = minBackoff
	}
}

func (f *fetcher) dropConn() {
	if c := f.conn.Swap(nil); c != nil {
		c.close()
	}
}

// Fetch sizes: Kafka's replica.fetch.max.bytes and
// replica.fetch.response.max.bytes defaults.
const (
	partitionMaxBytes = 1 << 20
	responseMaxBytes  = 10 << 20
)

// fetchOnce sends one Fetch to the leader and applies the answer.
func (f *fetcher) fetchOnce() error {
	c := f.conn.Load()
	if c == nil {
		var err error
		if c, err = dial(f.addr, fmt.Sprintf("gregor-replica-%d", f.cfg.NodeID), 5*time.Second); err != nil {
			return err
		}
		f.conn.Store(c)
		if f.ctx.Err() != nil {
			return f.ctx.Err()
		}
	}
	req, err := f.request()
	if err != nil {
		return err
	}
	resp, err := c.do(req, time.Now().Add(f.cfg.MaxWait+10*time.Second))
	if err != nil {
		return err
	}
	fr := resp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(fr.ErrorCode); err != nil {
		return fmt.Errorf("fetch from leader %d: %w", f.leader, err)
	}
	for _, rt := range fr.Topics {
		for i := range rt.Partitions {
			sp := &rt.Partitions[i]
			tp := partition.TopicPartition{Topic: rt.Topic, Partition: sp.Partition}
			fp, ok := f.parts[tp]
			if !ok {
				continue
			}
			if err := f.apply(tp, fp.p, sp); err != nil {
				return fmt.Errorf("%s: %w", tp, err)
			}
		}
	}
	return nil
}

// request builds a Fetch for every partition not paused, from each
// follower log's end offset (made durable first when the topic fsyncs
// before acknowledging: the offset sent is what the leader counts).
func (f *fetcher) request() (*kmsg.FetchRequest, error) {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(fetchVersion)
	req.ReplicaID = f.cfg.NodeID
	req.MaxWaitMillis = int32(f.cfg.MaxWait / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = responseMaxBytes
	req.SessionEpoch = -1
	byTopic := map[string]int{}
	for tp, fp := range f.parts {
		if f.paused[tp] {
			continue
		}
		l := fp.p.Log()
		if fp.p.Config().FlushMessages <= 1 && l.DurableOffset() < l.NextOffset() {
			if err := fp.p.Flush(); err != nil {
				return nil, err
			}
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = tp.Partition
		rp.CurrentLeaderEpoch = fp.epoch
		rp.FetchOffset = l.NextOffset()
		rp.LastFetchedEpoch = l.LatestEpoch()
		rp.LogStartOffset = l.StartOffset()
		rp.PartitionMaxBytes = partitionMaxBytes
		i, ok := byTopic[tp.Topic]
		if !ok {
			i = len(req.Topics)
			byTopic[tp.Topic] = i
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic = tp.Topic
			req.Topics = append(req.Topics, rt)
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	return req, nil
}

// apply handles one partition of a fetch response: an error that needs
// new metadata pauses it, a diverging epoch truncates, records are
// appended (and fsynced per the topic) and the leader's high watermark
// adopted.
func (f *fetcher) apply(tp partition.TopicPartition, p *partition.Partition, sp *kmsg.FetchResponseTopicPartition) error {
	switch err := kerr.ErrorForCode(sp.ErrorCode); {
	case err == nil:
	case errors.Is(err, kerr.OffsetOutOfRange) && p.Log().NextOffset() < sp.LogStartOffset:
		// What the follower needs next was deleted on the leader
		// (retention): start over at the leader's log start.
		before := p.Log().NextOffset()
		if err := p.ResetReplica(sp.LogStartOffset, f.parts[tp].epoch); err != nil {
			return err
		}
		f.cfg.Logger.Warn("follower log reset to the leader's log start offset", "partition", tp.String(), "from", before, "to", sp.LogStartOffset)
		return nil
	case errors.Is(err, kerr.OffsetOutOfRange):
		// The follower is ahead of a leader that has no epoch to
		// compare with: everything above the leader's high watermark
		// is uncommitted, so cut back to it.
		return f.truncate(tp, p, min(sp.HighWatermark, p.Log().NextOffset()), "offset out of range")
	default:
		// Not hosted or led there yet, a leader epoch it has not seen:
		// its metadata (or ours) is behind; fetch again after a pause.
		f.cfg.Logger.Debug("leader refused a partition; retrying", "partition", tp.String(), "err", err)
		f.retry = true
		return nil
	}
	if d := sp.DivergingEpoch; d.Epoch >= 0 || d.EndOffset >= 0 {
		return f.truncate(tp, p, divergencePoint(p, d.Epoch, d.EndOffset), fmt.Sprintf("diverging at epoch %d end %d", d.Epoch, d.EndOffset))
	}
	if len(sp.RecordBatches) > 0 {
		if _, err := p.AppendReplicated(sp.RecordBatches, f.parts[tp].epoch); err != nil {
			return err
		}
		if p.Config().FlushMessages <= 1 {
			if err := p.Flush(); err != nil {
				return err
			}
		}
	}
	p.FollowerAppended(sp.HighWatermark)
	return nil
}

// divergencePoint is where a follower cuts its log when the leader says
// its log for the follower's last epoch ends at leaderEnd in leaderEpoch:
// at the end of that epoch in both logs. With no common epoch, at the
// follower's high watermark (committed, so the leader has it).
func divergencePoint(p *partition.Partition, leaderEpoch int32, leaderEnd int64) int64 {
	l := p.Log()
	off := l.NextOffset()
	if leaderEpoch < 0 {
		off = min(off, p.Offsets().HighWatermark)
		if leaderEnd >= 0 {
			off = min(off, leaderEnd)
		}
		return off
	}
	off = min(off, leaderEnd)
	if e, end := l.EndOffsetForEpoch(leaderEpoch); e >= 0 && end >= 0 {
		off = min(off, end)
	}
	return off
}

func (f *fetcher) truncate(tp partition.TopicPartition, p *partition.Partition, off int64, why string) error {
	before, beforeEpoch := p.Log().NextOffset(), p.Log().LatestEpoch()
	if err := p.TruncateReplica(off, f.parts[tp].epoch); err != nil {
		if errors.Is(err, log.ErrOffsetOutOfRange) {
			f.cfg.Logger.Error("cannot truncate below the log start offset; pausing", "partition", tp.String(), "offset", off, "err", err)
			f.paused[tp] = true
			return nil
		}
		return err
	}
	if p.Log().NextOffset() == before && p.Log().LatestEpoch() == beforeEpoch {
		// Nothing to cut, yet the leader still disagrees: back off
		// rather than spin (new metadata or data will settle it).
		return fmt.Errorf("%w: %s at offset %d", errNoProgress, why, off)
	}
	f.cfg.Logger.Info("truncated follower log", "partition", tp.String(), "from", before, "to", p.Log().NextOffset(), "why", why)
	return nil
}
