package handler

// Produce (key 0)
//
//	v0-v2: old message formats (magic 0 and 1); answered with
//	       UNSUPPORTED_FOR_MESSAGE_FORMAT, kept advertised for old clients
//	v3: transactional id; exactly one magic-2 batch per partition
//	v4: no change (KAFKA_STORAGE_ERROR may be returned)
//	v5: log start offset in the response
//	v6: no change
//	v7: zstd allowed (KIP-110)
//	v8: per-record errors and an error message (KIP-467)
//	v9: flexible
//	v10: current leader and node endpoints on NOT_LEADER_OR_FOLLOWER (KIP-951)
//	v11: no change (KIP-890 marker)
//
// The batch bytes are validated (shape, CRC-32C, limits) without
// decompressing, stored as they came, and acknowledged once durable
// (fsynced, by default) — see package partition.

import (
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/record"
)

// appended is a partition append that must become durable before the
// response is sent.
type appended struct {
	p    *partition.Partition
	upTo int64
	resp *kmsg.ProduceResponseTopicPartition
	isr  *isrWait // acks=all: wait for the ISR too (00_produce_isr.go)
}

func (h *handlers) produce(r *Request) Reply {
	req := r.Msg.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	resp.SetVersion(r.Version)
	now := h.env.now()
	if req.Acks != 0 && req.Acks != 1 && req.Acks != -1 {
		return Now(produceError(req, resp, kerr.InvalidRequiredAcks))
	}
	var waits []appended
	failed := false
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		for i := range rt.Partitions {
			st.Partitions[i] = kmsg.NewProduceResponseTopicPartition()
		}
		resp.Topics = append(resp.Topics, st)
	}
	for ti, rt := range req.Topics {
		for pi, rp := range rt.Partitions {
			sp := &resp.Topics[ti].Partitions[pi]
			sp.Partition = rp.Partition
			p, upTo, err := h.produceOne(r, rt.Topic, rp, now, sp)
			if err != nil {
				sp.ErrorCode = code(h.log, "Produce", err, kerr.KafkaStorageError)
				if r.Version >= 8 {
					setRecordErrors(sp, err)
				}
			}
			if sp.ErrorCode != 0 {
				failed = true
				continue
			}
			if w := newISRWait(r, req, p, rp.Records); p != nil && (partitionFlushEach(p) || w != nil) {
				waits = append(waits, appended{p: p, upTo: upTo, resp: sp, isr: w})
			}
		}
	}
	if req.Acks == 0 {
		// Nothing to answer; still make the data durable, then close
		// on error so the client refreshes its metadata (as Kafka).
		h.waitDurable(waits)
		if failed {
			return Close(errAcksZeroFailed)
		}
		return None()
	}
	if len(waits) == 0 {
		return Now(resp)
	}
	// Start the fsyncs now rather than when the writer reaches this
	// response: the next requests on the connection (an idempotent
	// producer keeps five in flight) then share or overlap them instead
	// of each waiting for the previous one's fsync.
	durable := make(chan struct{})
	go func() {
		defer close(durable)
		h.waitDurable(waits)
	}()
	return Later(func() kmsg.Response {
		<-durable
		return resp
	})
}

// produceOne validates and appends one partition's batch, filling sp. When
// data was appended (or found to be a duplicate) it returns the partition
// and the offset that must be durable before the acknowledgement.
func (h *handlers) produceOne(r *Request, topic string, rp kmsg.ProduceRequestTopicPartition, now time.Time, sp *kmsg.ProduceResponseTopicPartition) (*partition.Partition, int64, error) {
	if r.Version < 3 {
		sp.ErrorCode = kerr.UnsupportedForMessageFormat.Code
		return nil, 0, nil
	}
	p := h.env.Parts.Get(topic, rp.Partition)
	if p == nil {
		sp.ErrorCode = h.missingPartitionCode(topic, rp.Partition)
		return nil, 0, nil
	}
	batch := rp.Records
	if n := record.BatchSize(batch); n >= 0 && n < len(batch) {
		sp.ErrorCode = kerr.InvalidRecord.Code
		return nil, 0, nil
	}
	hdr, err := record.ValidateProduce(batch, partition.ProduceRules(p.Config(), now))
	if err != nil {
		return nil, 0, err
	}
	if hdr.Compression() == record.CompressionZstd && r.Version < 7 {
		sp.ErrorCode = kerr.UnsupportedCompressionType.Code
		return nil, 0, nil
	}
	if hdr.IsTransactional() {
		if sp.ErrorCode = h.verifyTxnProduce(r, topic, rp.Partition, &hdr); sp.ErrorCode != 0 {
			return nil, 0, nil
		}
	}
	if err := p.CheckProduce(r.Msg.(*kmsg.ProduceRequest).Acks); err != nil {
		return nil, 0, err
	}
	res, err := p.Append(batch, now)
	if err != nil {
		return nil, 0, err
	}
	sp.BaseOffset = res.BaseOffset
	sp.LogAppendTime = res.LogAppendTime // -1 for CreateTime
	sp.LogStartOffset = p.Offsets().LogStart
	return p, res.LastOffset + 1, nil
}

func partitionFlushEach(p *partition.Partition) bool { return p.Config().FlushMessages <= 1 }

// maxParallelFsyncs bounds the partitions of one produce request whose
// fsyncs run at the same time.
const maxParallelFsyncs = 32

// waitDurable waits for every append to be fsynced; a failed fsync turns
// that partition's answer into KAFKA_STORAGE_ERROR (retriable; the client
// retries and idempotence keeps the retry from duplicating). The
// partitions' fsyncs run in parallel (each is a different file): one after
// the other, a request for 16 partitions waited 16 fsyncs.
func (h *handlers) waitDurable(waits []appended) {
	if len(waits) == 1 {
		h.waitDurableOne(waits[0])
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallelFsyncs)
	for _, w := range waits {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			h.waitDurableOne(w)
		})
	}
	wg.Wait()
}

func (h *handlers) waitDurableOne(w appended) {
	if !partitionFlushEach(w.p) {
		h.waitISR(w)
		return
	}
	if err := w.p.WaitDurable(w.upTo); err != nil {
		h.log.Error("fsync failed; answering KAFKA_STORAGE_ERROR", "topic", w.p.Topic, "partition", w.p.Index, "err", err)
		w.resp.ErrorCode = kerr.KafkaStorageError.Code
		return
	}
	h.waitISR(w)
}

// missingPartitionCode answers a request for a partition this broker does
// not host: unknown if the topic or partition does not exist, otherwise
// not-leader (the client refreshes metadata).
func (h *handlers) missingPartitionCode(topic string, partition int32) int16 {
	t := h.image().Topics[topic]
	if t == nil || partition < 0 || int(partition) >= len(t.Partitions) {
		return kerr.UnknownTopicOrPartition.Code
	}
	return kerr.NotLeaderForPartition.Code
}

// setRecordErrors fills the KIP-467 error message and, for an error about
// one record, its batch index.
func setRecordErrors(sp *kmsg.ProduceResponseTopicPartition, err error) {
	msg := err.Error()
	sp.ErrorMessage = &msg
	var re *record.RecordError
	if errors.As(err, &re) && re.Index >= 0 {
		e := kmsg.NewProduceResponseTopicPartitionErrorRecord()
		e.RelativeOffset = int32(re.Index)
		e.ErrorMessage = &re.Message
		sp.ErrorRecords = append(sp.ErrorRecords, e)
	}
}

// produceError answers every partition of req with e.
func produceError(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse, e *kerr.Error) *kmsg.ProduceResponse {
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition, sp.ErrorCode = rp.Partition, e.Code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
