package partowner

import (
	"fmt"

	"github.com/gregor-streaming/gregor/internal/record"
)

// ReadChunk is how many bytes of a partition Replay reads at a time.
const ReadChunk = 1 << 20

// Replay reads the whole log of p, partition part of topic, from its log
// start to its log end (not only to the high watermark: what a previous
// leader acknowledged is there, even while this leader's high watermark
// catches up) and calls batch with each record batch in offset order:
// its parsed header and its bytes. An error of batch stops the replay
// and is returned wrapped with the batch's base offset.
func Replay(topic string, part int32, p Replica, batch func(h *record.Header, b []byte) error) error {
	o := p.Offsets()
	for next, end := o.LogStart, o.LogEnd; next < end; {
		buf, _, err := p.ReadLocal(next, ReadChunk)
		if err != nil {
			return fmt.Errorf("replay %s-%d at offset %d: %w", topic, part, next, err)
		}
		batches, err := record.Split(buf)
		if err != nil || len(batches) == 0 {
			return fmt.Errorf("replay %s-%d at offset %d: %w (%d batches)", topic, part, next, err, len(batches))
		}
		for _, b := range batches {
			h, err := record.ParseHeader(b)
			if err != nil {
				return fmt.Errorf("replay %s-%d: %w", topic, part, err)
			}
			next = h.LastOffset() + 1
			if err := batch(&h, b); err != nil {
				return fmt.Errorf("replay %s-%d at offset %d: %w", topic, part, h.BaseOffset, err)
			}
		}
	}
	return nil
}
