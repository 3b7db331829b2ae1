package handler

// acks=all on a replicated partition: the produce reply waits until the
// high watermark passes the batch, i.e. every in-sync replica has it (and
// has fsynced it, with flush.messages=1). See docs/replication.md.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// isrWait is an acks=all append's wait for the ISR.
type isrWait struct {
	ctx     context.Context
	timeout time.Duration
	epoch   int32 // leader epoch the batch was appended in
}

// newISRWait returns the ISR wait of an acks=all append of batch (already
// appended: Append stamped its leader epoch in place), nil for acks 0/1.
func newISRWait(r *Request, req *kmsg.ProduceRequest, p *partition.Partition, batch []byte) *isrWait {
	if req.Acks != -1 || p == nil {
		return nil
	}
	w := &isrWait{ctx: r.Ctx, timeout: time.Duration(req.TimeoutMillis) * time.Millisecond, epoch: -1}
	if h, err := record.ParseHeader(batch); err == nil {
		w.epoch = h.PartitionLeaderEpoch
	}
	if w.epoch < 0 {
		// A retried batch found in the log keeps the client's -1: it was
		// written earlier, in the log as it is now.
		w.epoch = p.Replication().LeaderEpoch
	}
	if w.timeout <= 0 {
		w.timeout = 30 * time.Second
	}
	return w
}

// waitISR waits for the high watermark to pass the append, for acks=all.
func (h *handlers) waitISR(w appended) {
	if w.isr == nil || w.resp.ErrorCode != 0 {
		return
	}
	ctx, cancel := context.WithTimeout(w.isr.ctx, w.isr.timeout)
	defer cancel()
	if err := w.p.WaitReplicated(ctx, w.upTo, w.isr.epoch); err != nil {
		w.resp.ErrorCode = code(h.log, "Produce", err, kerr.RequestTimedOut)
		w.resp.BaseOffset = -1
	}
}
