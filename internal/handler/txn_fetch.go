package handler

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/partition"
)

// readCommitted serves a read_committed fetch of one partition: batches
// below the last stable offset and the aborted transactions overlapping
// them (the client drops those transactions' records).
func readCommitted(p *partition.Partition, offset int64, limit int) ([]byte, partition.Offsets, []kmsg.FetchResponseTopicPartitionAbortedTransaction, error) {
	b, o, aborted, err := p.ReadCommitted(offset, limit)
	if err != nil || len(aborted) == 0 {
		return b, o, nil, err
	}
	out := make([]kmsg.FetchResponseTopicPartitionAbortedTransaction, len(aborted))
	for i, a := range aborted {
		out[i] = kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
		out[i].ProducerID, out[i].FirstOffset = a.ProducerID, a.FirstOffset
	}
	return b, o, out, nil
}
