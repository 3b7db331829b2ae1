package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// benchFlags are the knobs of `gregor bench`, named after those of Kafka's
// kafka-producer-perf-test and kafka-consumer-perf-test where they exist.
type benchFlags struct {
	topic         string
	partitions    int32
	replicas      int16
	recordSize    int
	count         int64
	duration      time.Duration
	rate          float64
	acks          string
	linger        time.Duration
	batchSize     int32
	compression   string
	idempotent    bool
	producers     int
	consumers     int
	maxBuffered   int
	maxInflight   int
	fetchMaxBytes int32
	warmup        time.Duration
	partitioner   string
	json          bool
}

// benchResult is the summary of one run; --json prints it as is.
type benchResult struct {
	Mode          string          `json:"mode"`
	Topic         string          `json:"topic"`
	Partitions    int             `json:"partitions"`
	Records       int64           `json:"records"`
	Bytes         int64           `json:"bytes"`
	Seconds       float64         `json:"seconds"`
	RecordsPerSec float64         `json:"records_per_sec"`
	MBPerSec      float64         `json:"mb_per_sec"`
	Latency       *latencySummary `json:"latency,omitempty"`
}

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load generators: produce, consume and end-to-end latency against any Kafka cluster",
		Long: `Load generators in the manner of Kafka's perf tools. Each creates the topic if
it does not exist, prints a progress line on stderr every second and a
summary on stdout (records/s, MB/s, and latency percentiles when measured).

Latency is measured from the intended send time of each record (the
schedule set by --rate), not from when the client got around to sending it,
so a stalled broker shows up in the percentiles (no coordinated omission).
Record bytes are counted as value bytes, as Kafka's perf tools do.`,
		Args: noSubcommandArgs,
		RunE: helpOrUnknown,
	}
	cmd.AddCommand(newBenchProduceCmd(g), newBenchConsumeCmd(g), newBenchE2ECmd(g))
	return cmd
}

// addCommon registers the flags every bench mode shares.
func (f *benchFlags) addCommon(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.topic, "topic", "bench", "topic to use (created if missing)")
	fl.Int32Var(&f.partitions, "partitions", 16, "partitions of the topic when it is created")
	fl.Int16Var(&f.replicas, "replicas", -1, "replication factor when the topic is created (-1: broker default)")
	fl.Int64Var(&f.count, "count", 0, "records in total (0: run for --duration, or for consume until the end offsets)")
	fl.BoolVar(&f.json, "json", false, "print the summary as one JSON object")
}

// addProducer registers the producer flags.
func (f *benchFlags) addProducer(cmd *cobra.Command, linger time.Duration) {
	fl := cmd.Flags()
	fl.IntVar(&f.recordSize, "record-size", 1024, "value size of each record in bytes")
	fl.Float64Var(&f.rate, "rate", 0, "target records/s over all producers (0: as fast as possible)")
	fl.StringVar(&f.acks, "acks", "all", "required acks: all, 1 or 0 (1 and 0 turn off idempotence)")
	fl.DurationVar(&f.linger, "linger", linger, "producer linger (linger.ms)")
	fl.Int32Var(&f.batchSize, "batch-size", 1<<20, "maximum bytes of one record batch (batch.size)")
	fl.StringVar(&f.compression, "compression", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	fl.BoolVar(&f.idempotent, "idempotent", true, "idempotent producer (enable.idempotence); needs --acks all")
	fl.IntVar(&f.producers, "producers", 1, "producer clients, each with its own connections")
	fl.IntVar(&f.maxBuffered, "max-buffered", 50000, "records a producer buffers before Produce blocks")
	fl.IntVar(&f.maxInflight, "max-inflight", 5, "produce requests in flight per broker (without idempotence; with it franz-go uses 5)")
	fl.StringVar(&f.partitioner, "partitioner", "sticky", "sticky (fill a batch for one partition, then move on: Kafka's default for unkeyed records, KIP-480/794) or round-robin (one record per partition in turn)")
}

// addConsumer registers the consumer flags.
func (f *benchFlags) addConsumer(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&f.consumers, "consumers", 1, "consumer clients; partitions are split among them")
	fl.Int32Var(&f.fetchMaxBytes, "fetch-max-bytes", 50<<20, "fetch.max.bytes of each fetch request")
}

// producerOpts checks the producer flags and returns the client options.
func (f *benchFlags) producerOpts(cmd *cobra.Command) ([]kgo.Opt, error) {
	if f.recordSize < 0 {
		return nil, badUsage(cmd, "--record-size: must be >= 0")
	}
	if f.rate < 0 || f.producers < 1 || f.maxBuffered < 1 || f.maxInflight < 1 {
		return nil, badUsage(cmd, "--rate must be >= 0; --producers, --max-buffered and --max-inflight >= 1")
	}
	acks, err := acksOpts(f.acks)
	if err != nil {
		return nil, badUsage(cmd, "--acks: %v", err)
	}
	if !f.idempotent && (f.acks == "all" || f.acks == "-1") {
		acks = append(acks, kgo.DisableIdempotentWrite())
	}
	if f.idempotent && len(acks) > 1 {
		return nil, badUsage(cmd, "--idempotent needs --acks all (use --idempotent=false)")
	}
	codec, err := compressionOpt(f.compression)
	if err != nil {
		return nil, badUsage(cmd, "--compression: %v", err)
	}
	var partitioner kgo.Partitioner
	switch f.partitioner {
	case "sticky":
		partitioner = kgo.UniformBytesPartitioner(int(f.batchSize), true, true, nil)
	case "round-robin":
		partitioner = kgo.RoundRobinPartitioner()
	default:
		return nil, badUsage(cmd, "--partitioner %q: want sticky or round-robin", f.partitioner)
	}
	opts := append(acks, codec,
		kgo.ProducerLinger(f.linger),
		kgo.ProducerBatchMaxBytes(f.batchSize),
		kgo.MaxBufferedRecords(f.maxBuffered),
		kgo.RecordDeliveryTimeout(produceDeliveryTimeout),
		kgo.RecordPartitioner(partitioner),
	)
	if !f.idempotent {
		opts = append(opts, kgo.MaxProduceRequestsInflightPerBroker(f.maxInflight))
	}
	return opts, nil
}

// ensureTopic creates the topic unless it exists and returns its
// partition count.
func (f *benchFlags) ensureTopic(ctx context.Context, g *globals) (int, error) {
	var n int
	err := g.withAdmin(ctx, func(ctx context.Context, adm *kadm.Client) error {
		resp, err := adm.CreateTopic(ctx, f.partitions, f.replicas, nil, f.topic)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", f.topic, err)
		}
		if err == nil && resp.Err == nil {
			n = int(f.partitions)
		}
		return waitTopicReady(ctx, adm, f.topic, &n)
	})
	return n, err
}

// waitTopicReady polls metadata until every partition of topic has a
// leader (a new topic's partitions come up asynchronously) and sets *n to
// the partition count.
func waitTopicReady(ctx context.Context, adm *kadm.Client, topic string, n *int) error {
	for {
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return fmt.Errorf("metadata of %s: %w", topic, err)
		}
		t, ok := md.Topics[topic]
		if ok && t.Err == nil && len(t.Partitions) > 0 && (*n == 0 || len(t.Partitions) >= *n) {
			ready := true
			for _, p := range t.Partitions {
				ready = ready && p.Err == nil && p.Leader >= 0
			}
			if ready {
				*n = len(t.Partitions)
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s has no leader for every partition: %w", topic, context.Cause(ctx))
		case <-time.After(20 * time.Millisecond): // metadata has no watch API; a client must poll
		}
	}
}

// print writes the result: JSON, or a human line and a latency line.
func (r *benchResult) print(w io.Writer, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	_, err := fmt.Fprintf(w, "%s: %d records, %d bytes in %.3fs: %.0f records/s, %.2f MB/s (%s, %d partitions)\n",
		r.Mode, r.Records, r.Bytes, r.Seconds, r.RecordsPerSec, r.MBPerSec, r.Topic, r.Partitions)
	if err == nil && r.Latency != nil {
		l := r.Latency
		_, err = fmt.Fprintf(w, "latency (ms, from intended send time): p50 %.3f, p99 %.3f, p99.9 %.3f, max %.3f, mean %.3f over %d records\n",
			l.P50, l.P99, l.P999, l.Max, l.Mean, l.Count)
	}
	return err
}

// finish fills the rates of r from its counts and the elapsed time.
func (r *benchResult) finish(elapsed time.Duration) {
	r.Seconds = elapsed.Seconds()
	r.RecordsPerSec = perSecond(r.Records, elapsed)
	r.MBPerSec = perSecond(r.Bytes, elapsed) / 1e6
}
