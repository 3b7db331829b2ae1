// Command natsbench is the NATS JetStream counterpart of `gregor bench`,
// for bench/compare: the same workloads (produce, consume, e2e) and the
// same JSON summary, through nats.go. A "partition" is a subject
// (STREAM.<i>) of one file-storage stream; records are published
// round-robin over them, asynchronously with a bounded window of pending
// acknowledgements (as a Kafka producer keeps batches in flight). Consume
// reads the stream with an ordered consumer (no per-message acks, like a
// Kafka fetch). e2e stamps each value with its intended send time.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type config struct {
	url        string
	mode       string
	stream     string
	partitions int
	recordSize int
	count      int64
	duration   time.Duration
	rate       float64
	warmup     time.Duration
	maxPending int
}

// result matches the JSON summary of `gregor bench --json`.
type result struct {
	Mode          string   `json:"mode"`
	Topic         string   `json:"topic"`
	Partitions    int      `json:"partitions"`
	Records       int64    `json:"records"`
	Bytes         int64    `json:"bytes"`
	Seconds       float64  `json:"seconds"`
	RecordsPerSec float64  `json:"records_per_sec"`
	MBPerSec      float64  `json:"mb_per_sec"`
	Latency       *latency `json:"latency,omitempty"`
}

type latency struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", nats.DefaultURL, "NATS server URL")
	flag.StringVar(&c.stream, "stream", "BENCH", "stream name (created if missing)")
	flag.IntVar(&c.partitions, "partitions", 16, "subjects STREAM.0 .. STREAM.N-1")
	flag.IntVar(&c.recordSize, "record-size", 1024, "value size in bytes")
	flag.Int64Var(&c.count, "count", 0, "records (produce, e2e); consume reads what the stream holds")
	flag.DurationVar(&c.duration, "duration", 0, "e2e: produce this long")
	flag.Float64Var(&c.rate, "rate", 0, "records/s (e2e)")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "e2e: records scheduled in this first interval are not counted")
	flag.IntVar(&c.maxPending, "max-pending", 4096, "asynchronous publishes awaiting acknowledgement")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: natsbench [flags] produce|consume|e2e")
		os.Exit(2)
	}
	c.mode = flag.Arg(0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := run(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsbench:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "natsbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) (*result, error) {
	nc, err := nats.Connect(c.url)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(c.maxPending))
	if err != nil {
		return nil, err
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: c.stream, Subjects: []string{c.stream + ".>"}, Storage: jetstream.FileStorage, Replicas: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("create stream: %w", err)
	}
	r := &result{Mode: c.mode, Topic: c.stream, Partitions: c.partitions}
	began := time.Now()
	switch c.mode {
	case "produce":
		err = produce(ctx, js, c, nil, r)
	case "consume":
		err = consume(ctx, js, c, r)
	case "e2e":
		err = e2e(ctx, js, c, r)
	default:
		return nil, fmt.Errorf("unknown mode %q", c.mode)
	}
	if err != nil {
		return nil, err
	}
	d := time.Since(began)
	r.Seconds = d.Seconds()
	r.RecordsPerSec = float64(r.Records) / d.Seconds()
	r.MBPerSec = float64(r.Bytes) / d.Seconds() / 1e6
	return r, nil
}

// produce publishes c.count records (or for c.duration) at c.rate (0:
// unpaced). With stamp set, each value carries its intended send time
// (ns since stamp's origin) and sent counts what was published.
func produce(ctx context.Context, js jetstream.JetStream, c config, st *stamper, r *result) error {
	payload := make([]byte, c.recordSize)
	for i := range payload {
		payload[i] = 'A' + byte(i%26)
	}
	subjects := make([]string, c.partitions)
	for i := range subjects {
		subjects[i] = c.stream + "." + strconv.Itoa(i)
	}
	futures := make(chan jetstream.PubAckFuture, c.maxPending)
	checked := make(chan error, 1)
	go func() {
		var first error
		for f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				if first == nil {
					first = err
				}
			}
		}
		checked <- first
	}()
	var interval time.Duration
	if c.rate > 0 {
		interval = time.Duration(float64(time.Second) / c.rate)
	}
	start := time.Now()
	var err error
	for i := int64(0); c.count == 0 || i < c.count; i++ {
		intended := start.Add(time.Duration(i) * interval)
		if interval > 0 {
			if d := time.Until(intended); d > 0 {
				time.Sleep(d) // pacing the schedule
			}
		}
		if (c.duration > 0 && intended.Sub(start) >= c.duration) || ctx.Err() != nil {
			break
		}
		v := payload
		if st != nil {
			v = slices.Clone(payload)
			binary.BigEndian.PutUint64(v, uint64(intended.Sub(st.origin)))
		}
		var f jetstream.PubAckFuture
		if f, err = js.PublishAsync(subjects[i%int64(len(subjects))], v); err != nil {
			break
		}
		futures <- f
		r.Records++
		r.Bytes += int64(len(v))
		if st != nil {
			st.sent.Add(1)
		}
	}
	close(futures)
	return errors.Join(err, <-checked, ctx.Err())
}

// consume reads every message the stream holds when it starts.
func consume(ctx context.Context, js jetstream.JetStream, c config, r *result) error {
	s, err := js.Stream(ctx, c.stream)
	if err != nil {
		return err
	}
	want := s.CachedInfo().State.Msgs
	if c.count > 0 {
		want = min(want, uint64(c.count))
	}
	if want == 0 {
		return nil
	}
	cons, err := js.OrderedConsumer(ctx, c.stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return err
	}
	defer it.Stop()
	for uint64(r.Records) < want {
		m, err := it.Next()
		if err != nil {
			return err
		}
		r.Records++
		r.Bytes += int64(len(m.Data()))
	}
	return nil
}

// stamper links the e2e producer and consumer.
type stamper struct {
	origin time.Time
	sent   atomic.Int64
}

// e2e consumes new messages while producing at c.rate and measures each
// one's latency from its intended send time.
func e2e(ctx context.Context, js jetstream.JetStream, c config, r *result) error {
	cons, err := js.OrderedConsumer(ctx, c.stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return err
	}
	defer it.Stop()
	st := &stamper{origin: time.Now()}
	produced := make(chan error, 1)
	var pr result
	go func() { produced <- produce(ctx, js, c, st, &pr) }()
	var lats []time.Duration
	var seen int64
	done := false
	for !done || seen < st.sent.Load() {
		if !done {
			select {
			case err := <-produced:
				if err != nil {
					return err
				}
				done = true
				continue
			default:
			}
		}
		m, err := it.Next(jetstream.NextMaxWait(100 * time.Millisecond))
		if errors.Is(err, nats.ErrTimeout) {
			continue
		}
		if err != nil {
			return err
		}
		now := time.Since(st.origin)
		seen++
		r.Records++
		r.Bytes += int64(len(m.Data()))
		if sent := time.Duration(binary.BigEndian.Uint64(m.Data())); sent >= c.warmup {
			lats = append(lats, now-sent)
		}
	}
	r.Latency = summarize(lats)
	return nil
}

// summarize sorts the latencies and reports percentiles in ms.
func summarize(lats []time.Duration) *latency {
	if len(lats) == 0 {
		return &latency{}
	}
	slices.Sort(lats)
	q := func(p float64) float64 {
		i := min(max(int(p*float64(len(lats))+0.5)-1, 0), len(lats)-1)
		return float64(lats[i]) / 1e6
	}
	var sum time.Duration
	for _, l := range lats {
		sum += l
	}
	return &latency{Count: uint64(len(lats)), Mean: float64(sum) / float64(len(lats)) / 1e6,
		P50: q(0.5), P99: q(0.99), P999: q(0.999), Max: float64(lats[len(lats)-1]) / 1e6}
}
