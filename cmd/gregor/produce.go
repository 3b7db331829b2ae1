package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceDeliveryTimeout bounds how long a record may wait for delivery, so
// an unreachable or unhealthy cluster fails the command instead of hanging.
const produceDeliveryTimeout = time.Minute

type produceFlags struct {
	keySep      string
	partition   int32
	acks        string
	compression string
	headers     []string
}

// producePlan is produceFlags checked and turned into what the producer uses.
type producePlan struct {
	sep       []byte
	headers   []kgo.RecordHeader
	opts      []kgo.Opt
	manual    bool  // records carry an explicit partition
	partition int32 // that partition, when manual
}

func newProduceCmd(g *globals) *cobra.Command {
	f := &produceFlags{}
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce records read from stdin, one per line",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := f.plan(cmd)
			if err != nil {
				return err
			}
			return runProduce(cmd, g, args[0], plan)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.keySep, "key-separator", "", `split each line into key and value at the first SEP (escapes like \t allowed)`)
	fl.Int32Var(&f.partition, "partition", -1, "produce every record to this partition (-1: partition by key)")
	fl.StringVar(&f.acks, "acks", "all", "required acks: all, 1 or 0 (1 and 0 turn off idempotence)")
	fl.StringVar(&f.compression, "compression", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	fl.StringArrayVar(&f.headers, "header", nil, "add header k=v to every record (repeatable)")
	return cmd
}

// plan validates the flags; its errors are usage errors.
func (f *produceFlags) plan(cmd *cobra.Command) (*producePlan, error) {
	sep, err := unescape(f.keySep)
	if err != nil {
		return nil, badUsage(cmd, "--key-separator: %v", err)
	}
	hs, err := parseKeyValues(f.headers, true)
	if err != nil {
		return nil, badUsage(cmd, "--header: %v", err)
	}
	p := &producePlan{sep: []byte(sep)}
	for _, h := range hs {
		p.headers = append(p.headers, kgo.RecordHeader{Key: h.key, Value: []byte(h.value)})
	}
	acks, err := acksOpts(f.acks)
	if err != nil {
		return nil, badUsage(cmd, "--acks: %v", err)
	}
	codec, err := compressionOpt(f.compression)
	if err != nil {
		return nil, badUsage(cmd, "--compression: %v", err)
	}
	if f.partition < -1 {
		return nil, badUsage(cmd, "--partition: must be >= 0, or -1 to partition by key")
	}
	p.opts = append(acks, codec, kgo.RecordDeliveryTimeout(produceDeliveryTimeout))
	if f.partition >= 0 {
		p.manual, p.partition = true, f.partition
		p.opts = append(p.opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	return p, nil
}

// acksOpts maps --acks to producer options.
func acksOpts(s string) ([]kgo.Opt, error) {
	switch s {
	case "all", "-1":
		return []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())}, nil
	case "1":
		return []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}, nil
	case "0":
		return []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}, nil
	}
	return nil, fmt.Errorf("%q: want all, 1 or 0", s)
}

// compressionOpt maps --compression to a producer option.
func compressionOpt(s string) (kgo.Opt, error) {
	codecs := map[string]kgo.CompressionCodec{
		"none":   kgo.NoCompression(),
		"gzip":   kgo.GzipCompression(),
		"snappy": kgo.SnappyCompression(),
		"lz4":    kgo.Lz4Compression(),
		"zstd":   kgo.ZstdCompression(),
	}
	c, ok := codecs[s]
	if !ok {
		return nil, fmt.Errorf("%q: want none, gzip, snappy, lz4 or zstd", s)
	}
	return kgo.ProducerBatchCompression(c), nil
}

// produceOutcome collects delivery results from producer callbacks, which
// run on kgo's goroutines.
type produceOutcome struct {
	mu       sync.Mutex
	failed   int64
	firstErr error
}

func (o *produceOutcome) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
	if o.firstErr == nil {
		o.firstErr = err
	}
}

func (o *produceOutcome) result() (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed, o.firstErr
}

func runProduce(cmd *cobra.Command, g *globals, topic string, plan *producePlan) error {
	ctx := cmd.Context()
	cl, err := g.newClient(plan.opts...)
	if err != nil {
		return badUsage(cmd, "%v", err)
	}
	defer cl.Close()

	if err := ping(ctx, cl); err != nil {
		return failure("produce to "+topic, err, g.brokers)
	}
	stderr := cmd.ErrOrStderr()
	prog := newProgress("produced", stderr, time.Now)
	prog.waiting = cl.BufferedProduceRecords
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	prog.start(ticker.C)
	out := &produceOutcome{}
	readErr := produceLines(ctx, cl, cmd.InOrStdin(), topic, plan, prog, out)
	flushErr := cl.Flush(ctx)
	prog.stop()

	ok, summary := prog.summary()
	failed, firstErr := out.result()
	fmt.Fprintf(stderr, "produced %d records to %s %s\n", ok, topic, summary)
	what := "produce to " + topic
	switch {
	case readErr != nil:
		return failure(what, readErr, g.brokers)
	case flushErr != nil && ctx.Err() != nil:
		return failure(what, errInterrupted, g.brokers)
	case flushErr != nil:
		return failure(what, flushErr, g.brokers)
	case failed > 0:
		return failure(what, fmt.Errorf("%d of %d records failed, first error: %w",
			failed, failed+ok, firstErr), g.brokers)
	}
	return nil
}

// produceLines produces one record per line of in until EOF, an input error
// or ctx's end. Delivery results go to prog (successes) and out (failures).
func produceLines(ctx context.Context, cl *kgo.Client, in io.Reader, topic string,
	plan *producePlan, prog *progress, out *produceOutcome) error {
	lines, readErrs, stopReading := readLinesAsync(in)
	defer stopReading()
	for {
		select {
		case <-ctx.Done():
			return errInterrupted
		case err := <-readErrs:
			return err
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			r := plan.record(topic, line)
			size := int64(len(r.Key) + len(r.Value))
			cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
				if err != nil {
					out.fail(err)
					return
				}
				prog.add(1, size)
			})
		}
	}
}

// record builds the record for one input line.
func (p *producePlan) record(topic string, line []byte) *kgo.Record {
	k, v := splitKey(line, p.sep)
	r := &kgo.Record{Topic: topic, Key: k, Value: v, Headers: p.headers}
	if p.manual {
		r.Partition = p.partition
	}
	return r
}

// readLinesAsync reads lines of in on its own goroutine, so that a command
// blocked on a terminal's stdin still stops on Ctrl-C. lines is closed at
// EOF; a read error is sent on errs. Calling stop makes the goroutine exit
// once its current read returns (a read of a terminal that never returns
// ends with the process).
func readLinesAsync(in io.Reader) (lines <-chan []byte, errs <-chan error, stop func()) {
	lc := make(chan []byte, 256)
	ec := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		lr := newLineReader(in)
		for {
			line, err := lr.next()
			if errors.Is(err, io.EOF) {
				close(lc)
				return
			}
			if err != nil {
				ec <- err
				return
			}
			select {
			case lc <- line:
			case <-done:
				return
			}
		}
	}()
	return lc, ec, func() { close(done) }
}
