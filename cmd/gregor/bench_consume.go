package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func newBenchConsumeCmd(g *globals) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "Consume a topic from its start to the end offsets found at start; report throughput",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.consumers < 1 {
				return badUsage(cmd, "--consumers: must be >= 1")
			}
			return runBenchConsume(cmd, g, f)
		},
	}
	f.addCommon(cmd)
	f.addConsumer(cmd)
	return cmd
}

func runBenchConsume(cmd *cobra.Command, g *globals, f *benchFlags) error {
	ctx := cmd.Context()
	parts, err := f.ensureTopic(ctx, g)
	if err != nil {
		return err
	}
	ranges, err := offsetRanges(ctx, g, f.topic, true)
	if err != nil {
		return err
	}
	prog := newProgress("consumed", cmd.ErrOrStderr(), time.Now)
	c := &consumers{f: f, prog: prog, limit: f.count}
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	prog.start(ticker.C)
	began := time.Now()
	err = c.run(ctx, g, ranges)
	elapsed := time.Since(began)
	prog.stop()
	if err != nil {
		return err
	}
	r := &benchResult{Mode: "consume", Topic: f.topic, Partitions: parts, Records: prog.records.Load(), Bytes: prog.bytes.Load()}
	r.finish(elapsed)
	return r.print(cmd.OutOrStdout(), f.json)
}

// offsetRange is where a consumer starts in one partition and, for a
// bounded consume, the end offset it reads up to.
type offsetRange struct {
	partition  int32
	start, end int64
}

// offsetRanges lists each partition's range: [start, end) of the log when
// fromStart, else [end, unbounded) for an e2e consumer.
func offsetRanges(ctx context.Context, g *globals, topic string, fromStart bool) ([]offsetRange, error) {
	var out []offsetRange
	err := g.withAdmin(ctx, func(ctx context.Context, adm *kadm.Client) error {
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			return fmt.Errorf("end offsets of %s: %w", topic, err)
		}
		starts, err := adm.ListStartOffsets(ctx, topic)
		if err != nil {
			return fmt.Errorf("start offsets of %s: %w", topic, err)
		}
		var failed error
		ends.Each(func(o kadm.ListedOffset) {
			s, _ := starts.Lookup(topic, o.Partition)
			if o.Err != nil || s.Err != nil {
				failed = fmt.Errorf("offsets of %s/%d: %w", topic, o.Partition, errors.Join(o.Err, s.Err))
			}
			r := offsetRange{partition: o.Partition, start: s.Offset, end: o.Offset}
			if !fromStart {
				r.start, r.end = o.Offset, -1
			}
			out = append(out, r)
		})
		return failed
	})
	return out, err
}

// consumers reads partitions split over --consumers clients. In a bounded
// run each partition is done at its end offset; in an e2e run the stamp in
// each value gives the latency from the record's intended send time.
type consumers struct {
	f     *benchFlags
	prog  *progress
	limit int64 // stop after this many records in all (0: no limit)

	// e2e: origin of the stamps, the histogram, records sent before
	// warm-up ended are not counted.
	lat    *histogram
	origin time.Time
	warmup time.Duration
	// want, in e2e, is set once the producers are done: stop at that many.
	want atomic.Int64
	seen atomic.Int64
	done chan struct{}
	once sync.Once
}

func (c *consumers) run(ctx context.Context, g *globals, ranges []offsetRange) error {
	c.done = make(chan struct{})
	var wg sync.WaitGroup
	n := min(c.f.consumers, max(len(ranges), 1))
	errs := make([]error, n)
	for i := range n {
		var mine []offsetRange
		for j := i; j < len(ranges); j += n {
			mine = append(mine, ranges[j])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.consume(ctx, g, mine)
			if errs[i] != nil {
				c.finish()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *consumers) finish() { c.once.Do(func() { close(c.done) }) }

// consume runs one client over its partitions until each reaches its end,
// the limit is reached, or (e2e) every produced record was seen.
func (c *consumers) consume(ctx context.Context, g *globals, ranges []offsetRange) error {
	offsets := map[int32]kgo.Offset{}
	remaining := 0
	ends := map[int32]int64{}
	for _, r := range ranges {
		if r.end >= 0 && r.start >= r.end {
			continue
		}
		offsets[r.partition] = kgo.NewOffset().At(r.start)
		ends[r.partition] = r.end
		remaining++
	}
	if remaining == 0 {
		return nil
	}
	cl, err := g.newClient(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{c.f.topic: offsets}),
		kgo.FetchMaxBytes(c.f.fetchMaxBytes),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	for remaining > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil // finished by another consumer, or interrupted
		}
		if err := fetchError(fs); err != nil {
			return err
		}
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			remaining -= c.account(p, ends)
		})
	}
	return nil
}

// account counts one partition's fetched records and returns 1 if the
// partition reached its end.
func (c *consumers) account(p kgo.FetchTopicPartition, ends map[int32]int64) int {
	var bytes int64
	now := time.Now()
	for _, r := range p.Records {
		bytes += int64(len(r.Value))
		if c.lat != nil && len(r.Value) >= 8 {
			sent := time.Duration(binary.BigEndian.Uint64(r.Value))
			if sent >= c.warmup {
				c.lat.record(now.Sub(c.origin) - sent)
			}
		}
	}
	n := int64(len(p.Records))
	c.prog.add(n, bytes)
	seen := c.seen.Add(n)
	if (c.limit > 0 && seen >= c.limit) || (c.want.Load() > 0 && seen >= c.want.Load()) {
		c.finish()
	}
	if len(p.Records) == 0 {
		return 0
	}
	end, ok := ends[p.Partition]
	if ok && end >= 0 && p.Records[len(p.Records)-1].Offset+1 >= end {
		delete(ends, p.Partition)
		return 1
	}
	return 0
}
