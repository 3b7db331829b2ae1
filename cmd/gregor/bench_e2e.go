package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

func newBenchE2ECmd(g *globals) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "e2e",
		Short: "Produce at --rate and consume in the same process; report end-to-end latency",
		Long: `Produce at --rate records/s and consume the same records in this process.
Each value carries its intended send time; the latency of a record runs from
that time to its arrival at the consumer, so stalls count in full (no
coordinated omission). Records scheduled during --warmup are not counted.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := f.producerOpts(cmd); err != nil {
				return err
			}
			opts := func() []kgo.Opt { o, _ := f.producerOpts(cmd); return o } // checked above
			switch {
			case f.rate <= 0:
				return badUsage(cmd, "--rate: must be > 0 for a latency run")
			case f.recordSize < 8:
				return badUsage(cmd, "--record-size: must be >= 8 (the value carries the send time)")
			case f.consumers < 1:
				return badUsage(cmd, "--consumers: must be >= 1")
			case f.count <= 0 && f.duration <= 0:
				return badUsage(cmd, "give --count or --duration")
			}
			return runBenchE2E(cmd, g, f, opts)
		},
	}
	f.addCommon(cmd)
	f.addProducer(cmd, 0)
	f.addConsumer(cmd)
	fl := cmd.Flags()
	fl.DurationVar(&f.duration, "duration", 10*time.Second, "produce this long (with --count: whichever ends first)")
	fl.DurationVar(&f.warmup, "warmup", time.Second, "leave records scheduled in this first interval out of the latency figures")
	return cmd
}

// e2eDrainTimeout bounds how long the consumers may lag behind the end of
// producing before the run fails.
const e2eDrainTimeout = time.Minute

func runBenchE2E(cmd *cobra.Command, g *globals, f *benchFlags, opts func() []kgo.Opt) error {
	ctx := cmd.Context()
	parts, err := f.ensureTopic(ctx, g)
	if err != nil {
		return err
	}
	ranges, err := offsetRanges(ctx, g, f.topic, false)
	if err != nil {
		return err
	}
	origin := time.Now()
	prog := newProgress("received", cmd.ErrOrStderr(), time.Now)
	c := &consumers{f: f, prog: prog, lat: &histogram{}, origin: origin, warmup: f.warmup}
	gen := &generator{f: f, prog: newProgress("produced", nil, time.Now), lat: &histogram{},
		payload: payload(f.recordSize), stamp: true, origin: origin}
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	prog.start(ticker.C)
	defer prog.stop()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	consumed := make(chan error, 1)
	go func() { consumed <- c.run(ctx, g, ranges) }()
	began := time.Now()
	if err := gen.run(ctx, g, opts); err != nil {
		cancel()
		<-consumed
		return err
	}
	c.want.Store(gen.sent.Load())
	if c.seen.Load() >= gen.sent.Load() {
		c.finish()
	}
	timer := time.NewTimer(e2eDrainTimeout)
	defer timer.Stop()
	select {
	case err = <-consumed:
	case <-timer.C:
		cancel()
		<-consumed
		return fmt.Errorf("consumers saw %d of %d records %s after producing ended", c.seen.Load(), gen.sent.Load(), e2eDrainTimeout)
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r := &benchResult{Mode: "e2e", Topic: f.topic, Partitions: parts, Records: prog.records.Load(), Bytes: prog.bytes.Load()}
	r.finish(time.Since(began))
	r.Latency = c.lat.summary()
	return r.print(cmd.OutOrStdout(), f.json)
}
