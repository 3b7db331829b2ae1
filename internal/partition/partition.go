package partition

import (
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/log"
	"github.com/gregor-streaming/gregor/internal/record"
)

// Errors a Partition returns; the handlers map them to Kafka error codes.
var (
	ErrMessageTooLarge    = errors.New("record batch larger than max.message.bytes")
	ErrFencedLeaderEpoch  = errors.New("leader epoch in the request is older than the partition's")
	ErrUnknownLeaderEpoch = errors.New("leader epoch in the request is newer than the partition's")
	ErrClosed             = errors.New("partition closed")
)

// Partition is one hosted replica.
type Partition struct {
	Topic string
	Index int32
	log   *log.Log
	rep   replicaState // replica.go

	mu struct {
		sync.Mutex
		topicID     [16]byte
		leaderEpoch int32
		cfg         config.Topic
		hw          int64
		changed     chan struct{}
		closed      bool
		lastFlush   time.Time
	}
}

func newPartition(topic string, index int32, l *log.Log, topicID [16]byte, epoch int32, cfg config.Topic) *Partition {
	p := &Partition{Topic: topic, Index: index, log: l}
	p.mu.topicID = topicID
	p.mu.leaderEpoch = epoch
	p.mu.cfg = cfg
	p.mu.changed = make(chan struct{})
	p.mu.hw = l.DurableOffset()
	if !flushEach(cfg) {
		p.mu.hw = l.NextOffset()
	}
	return p
}

// flushEach reports whether every acknowledged append must be fsynced
// first (Gregor's default, flush.messages=1).
func flushEach(cfg config.Topic) bool { return cfg.FlushMessages <= 1 }

// Config returns the partition's resolved topic configuration.
func (p *Partition) Config() config.Topic {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.cfg
}

// LeaderEpoch returns the current leader epoch.
func (p *Partition) LeaderEpoch() int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.leaderEpoch
}

// TopicID returns the topic's id.
func (p *Partition) TopicID() [16]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.topicID
}

// CheckLeaderEpoch validates a client's current leader epoch as Kafka does:
// -1 is not checked, older is fenced, newer is unknown.
func (p *Partition) CheckLeaderEpoch(epoch int32) error {
	if err := p.checkLeader(); err != nil {
		return err
	}
	if epoch < 0 {
		return nil
	}
	cur := p.LeaderEpoch()
	switch {
	case epoch < cur:
		return ErrFencedLeaderEpoch
	case epoch > cur:
		return ErrUnknownLeaderEpoch
	}
	return nil
}

// Append validates batch (already checked by record.Validate for shape and
// CRC) against the topic's limits and appends it. With flush.messages=1 the
// caller must call WaitDurable(res.LastOffset+1) before acknowledging.
func (p *Partition) Append(batch []byte, now time.Time) (log.AppendResult, error) {
	p.mu.Lock()
	cfg, epoch, closed := p.mu.cfg, p.mu.leaderEpoch, p.mu.closed
	p.mu.Unlock()
	if closed {
		return log.AppendResult{}, ErrClosed
	}
	if int64(len(batch)) > int64(cfg.MaxMessageBytes) {
		return log.AppendResult{}, ErrMessageTooLarge
	}
	opts := log.AppendOptions{LeaderEpoch: epoch, LogAppendTime: -1}
	if cfg.MessageTimestampType == config.LogAppendTime {
		opts.LogAppendTime = now.UnixMilli()
	}
	res, err := p.log.Append(batch, opts)
	if err != nil {
		return res, err
	}
	p.notifyAppend()
	if !flushEach(cfg) {
		p.advanceHW(p.log.NextOffset())
		// flush.messages=N: fsync once N messages are unflushed.
		if p.log.NextOffset()-p.log.DurableOffset() >= cfg.FlushMessages {
			if err := p.log.Flush(p.log.NextOffset()); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// FlushIfDue fsyncs the partition when its flush.ms has passed since the
// last flush it did here and it has unflushed data.
func (p *Partition) FlushIfDue(now time.Time) error {
	p.mu.Lock()
	cfg, last := p.mu.cfg, p.mu.lastFlush
	p.mu.Unlock()
	if flushEach(cfg) || cfg.FlushMs <= 0 || cfg.FlushMs == math.MaxInt64 || now.Sub(last) < time.Duration(cfg.FlushMs)*time.Millisecond {
		return nil
	}
	p.mu.Lock()
	p.mu.lastFlush = now
	p.mu.Unlock()
	if p.log.DurableOffset() >= p.log.NextOffset() {
		return nil
	}
	return p.Flush()
}

// WaitDurable returns once offsets below upTo are fsynced (one fsync serves
// every caller waiting meanwhile), and advances the high watermark.
func (p *Partition) WaitDurable(upTo int64) error {
	if err := p.log.Flush(upTo); err != nil {
		return err
	}
	if flushEach(p.Config()) {
		p.advanceHW(p.log.DurableOffset())
	}
	return nil
}

// Flush makes everything appended so far durable (the background flusher
// for relaxed flush policies, and acks=0 producers).
func (p *Partition) Flush() error { return p.WaitDurable(p.log.NextOffset()) }

func (p *Partition) advanceHW(hw int64) {
	hw = p.capHW(hw)
	p.mu.Lock()
	defer p.mu.Unlock()
	if hw <= p.mu.hw {
		return
	}
	p.mu.hw = hw
	close(p.mu.changed)
	p.mu.changed = make(chan struct{})
}

// Offsets is a snapshot of a partition's offsets.
type Offsets struct {
	LogStart      int64
	HighWatermark int64
	LogEnd        int64
	// LastStable is the last stable offset: the first offset of the
	// earliest transaction still open (or whose marker is not below the
	// high watermark yet), else the high watermark. read_committed
	// consumers read below it.
	LastStable int64
}

// Offsets returns the partition's current log start, high watermark, log
// end and last stable offsets.
func (p *Partition) Offsets() Offsets {
	p.mu.Lock()
	hw := p.mu.hw
	p.mu.Unlock()
	return Offsets{LogStart: p.log.StartOffset(), HighWatermark: hw, LogEnd: p.log.NextOffset(), LastStable: p.log.LastStableOffset(hw)}
}

// Changed returns a channel closed the next time the high watermark moves
// (new data for consumers). Callers select on it with a timer to long-poll.
func (p *Partition) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.changed
}

// Read returns whole batches from the one that contains offset, below the
// high watermark, up to maxBytes (at least one batch).
func (p *Partition) Read(offset int64, maxBytes int) ([]byte, Offsets, error) {
	o := p.Offsets()
	b, err := p.log.Read(offset, maxBytes, o.HighWatermark)
	return b, o, err
}

// ReadLocal is Read up to the log end instead of the high watermark: a
// leader replaying its own log (the group and transaction coordinators
// load their state from everything the leader holds, as Kafka's do; a
// record above the high watermark that is later truncated comes with a
// leader change, which unloads that state).
//
// Only the leader replays: a follower's tail above its high watermark may
// still be cut (ErrNotLeader until this broker's replica state says it
// leads, which can come a moment after the metadata image does).
func (p *Partition) ReadLocal(offset int64, maxBytes int) ([]byte, Offsets, error) {
	if err := p.checkLeader(); err != nil {
		return nil, Offsets{}, err
	}
	o := p.Offsets()
	b, err := p.log.Read(offset, maxBytes, o.LogEnd)
	return b, o, err
}

// ReadCommitted is Read for read_committed consumers: batches below the
// last stable offset, and the aborted transactions that overlap them (the
// consumer drops those transactions' records).
func (p *Partition) ReadCommitted(offset int64, maxBytes int) ([]byte, Offsets, []log.AbortedTxn, error) {
	o := p.Offsets()
	b, err := p.log.Read(offset, maxBytes, o.LastStable)
	if err != nil || len(b) == 0 {
		return b, o, nil, err
	}
	upTo := o.LastStable
	if end := lastBatchEnd(b); end > 0 {
		upTo = end
	}
	return b, o, p.log.AbortedTxns(offset, upTo), nil
}

// lastBatchEnd returns the offset after the last whole batch in b, 0 if
// none parses.
func lastBatchEnd(b []byte) int64 {
	var end int64
	for len(b) >= record.HeaderSize {
		h, err := record.ParseHeader(b)
		if err != nil || h.Size() > len(b) || h.Size() < record.HeaderSize {
			break
		}
		end = h.LastOffset() + 1
		b = b[h.Size():]
	}
	return end
}

// Log exposes the partition's log for offset lookups and admin operations.
func (p *Partition) Log() *log.Log { return p.log }

// setState updates the epoch and configuration from a new metadata image.
func (p *Partition) setState(epoch int32, cfg config.Topic, logger *slog.Logger) {
	p.mu.Lock()
	old := p.mu.leaderEpoch
	p.mu.leaderEpoch = epoch
	p.mu.cfg = cfg
	p.mu.Unlock()
	p.log.SetConfig(LogConfig(cfg))
	if p.leads() && (epoch > old || p.log.LatestEpoch() < epoch) {
		if err := p.log.AssignEpochStartOffset(epoch, p.log.NextOffset()); err != nil {
			logger.Error("recording leader epoch failed", "topic", p.Topic, "partition", p.Index, "epoch", epoch, "err", err)
		}
	}
}

func (p *Partition) close() error {
	p.mu.Lock()
	p.mu.closed = true
	p.mu.Unlock()
	return p.log.Close()
}

// LogConfig converts a resolved topic configuration to the log's.
func LogConfig(c config.Topic) log.Config {
	lc := log.DefaultConfig()
	lc.SegmentBytes = int64(c.SegmentBytes)
	lc.SegmentMs = c.SegmentMs
	lc.RetentionMs = c.RetentionMs
	lc.RetentionBytes = c.RetentionBytes
	lc.IndexIntervalBytes = int(c.IndexIntervalBytes)
	lc.FlushMessages = c.FlushMessages
	lc.FlushMs = c.FlushMs
	return lc
}

// ProduceRules returns the batch validation rules of the topic.
func ProduceRules(c config.Topic, now time.Time) record.ProduceRules {
	return record.ProduceRules{
		Now:           now.UnixMilli(),
		LogAppendTime: c.MessageTimestampType == config.LogAppendTime,
		BeforeMaxMs:   c.MessageTimestampBeforeMaxMs,
		AfterMaxMs:    c.MessageTimestampAfterMaxMs,
	}
}
