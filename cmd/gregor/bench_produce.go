package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

func newBenchProduceCmd(g *globals) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Produce records as fast as possible or at --rate; report throughput and acknowledgement latency",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := f.producerOpts(cmd); err != nil {
				return err
			}
			opts := func() []kgo.Opt { o, _ := f.producerOpts(cmd); return o } // checked above
			if f.count <= 0 && f.duration <= 0 {
				return badUsage(cmd, "give --count or --duration")
			}
			return runBenchProduce(cmd, g, f, opts)
		},
	}
	f.addCommon(cmd)
	f.addProducer(cmd, 10*time.Millisecond)
	cmd.Flags().DurationVar(&f.duration, "duration", 0, "run this long (with --count: whichever ends first)")
	return cmd
}

func runBenchProduce(cmd *cobra.Command, g *globals, f *benchFlags, opts func() []kgo.Opt) error {
	ctx := cmd.Context()
	parts, err := f.ensureTopic(ctx, g)
	if err != nil {
		return err
	}
	prog := newProgress("produced", cmd.ErrOrStderr(), time.Now)
	gen := &generator{f: f, prog: prog, lat: &histogram{}, payload: payload(f.recordSize)}
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	prog.start(ticker.C)
	began := time.Now()
	err = gen.run(ctx, g, opts)
	elapsed := time.Since(began)
	prog.stop()
	if err != nil {
		return err
	}
	r := &benchResult{Mode: "produce", Topic: f.topic, Partitions: parts, Records: prog.records.Load(), Bytes: prog.bytes.Load()}
	r.finish(elapsed)
	r.Latency = gen.lat.summary()
	return r.print(cmd.OutOrStdout(), f.json)
}

// payload returns a value of n random upper-case letters, as Kafka's
// producer perf test sends (compressible about as much as text is).
func payload(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = 'A' + byte(rng.IntN(26))
	}
	return b
}

// generator runs --producers clients, each sending its share of the
// records on the schedule --rate sets. The latency of a record runs from
// its intended send time to its acknowledgement; with no rate, the
// intended time is when Produce was called.
type generator struct {
	f       *benchFlags
	prog    *progress
	lat     *histogram
	payload []byte
	// stamp, when set, makes each record's value carry its intended send
	// time (nanoseconds since origin) in its first 8 bytes, for e2e.
	stamp  bool
	origin time.Time
	// sent counts records handed to the clients (e2e waits for them).
	sent atomic.Int64

	errMu    sync.Mutex
	firstErr error
}

// run produces with clients built from opts; each client gets its own copy
// (kgo writes into the compression option's slice).
func (gen *generator) run(ctx context.Context, g *globals, opts func() []kgo.Opt) error {
	if gen.origin.IsZero() {
		gen.origin = time.Now()
	}
	n := gen.f.producers
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		count := gen.f.count / int64(n)
		if int64(i) < gen.f.count%int64(n) {
			count++
		}
		if gen.f.count > 0 && count == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = gen.produce(ctx, g, opts(), count, gen.f.rate/float64(n))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	gen.errMu.Lock()
	defer gen.errMu.Unlock()
	return gen.firstErr
}

// produce runs one client: count records (0: until the duration ends) at
// rate records/s (0: unpaced), then waits for every acknowledgement.
func (gen *generator) produce(ctx context.Context, g *globals, opts []kgo.Opt, count int64, rate float64) error {
	cl, err := g.newClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := ping(ctx, cl); err != nil {
		return err
	}
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	start := time.Now()
	var end time.Time
	if gen.f.duration > 0 {
		end = start.Add(gen.f.duration)
	}
	promise := func(r *kgo.Record, err error) { gen.acked(r, err) }
	for i := int64(0); count == 0 || i < count; i++ {
		intended := time.Now()
		if interval > 0 {
			intended = start.Add(time.Duration(i) * interval)
			if d := time.Until(intended); d > 0 {
				time.Sleep(d) // pacing the schedule, not waiting for a condition
			}
		}
		if !end.IsZero() && !intended.Before(end) || ctx.Err() != nil || gen.failed() {
			break
		}
		cl.Produce(ctx, gen.record(intended), promise)
		gen.sent.Add(1)
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("flushing the producer: %w", err)
	}
	return nil
}

// record builds the record for one send; Timestamp carries the intended
// time to the promise (kgo keeps a non-zero timestamp as given).
func (gen *generator) record(intended time.Time) *kgo.Record {
	r := &kgo.Record{Topic: gen.f.topic, Timestamp: intended, Value: gen.payload}
	if gen.stamp {
		v := make([]byte, len(gen.payload))
		copy(v, gen.payload)
		binary.BigEndian.PutUint64(v, uint64(intended.Sub(gen.origin)))
		r.Value = v
	}
	return r
}

func (gen *generator) acked(r *kgo.Record, err error) {
	if err != nil {
		gen.errMu.Lock()
		if gen.firstErr == nil {
			gen.firstErr = fmt.Errorf("produce to %s: %w", r.Topic, err)
		}
		gen.errMu.Unlock()
		return
	}
	if !gen.stamp {
		gen.lat.record(time.Since(r.Timestamp))
	}
	gen.prog.add(1, int64(len(r.Value)))
}

func (gen *generator) failed() bool {
	gen.errMu.Lock()
	defer gen.errMu.Unlock()
	return gen.firstErr != nil
}
