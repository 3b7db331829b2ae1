package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// maxPollRecords caps one poll, so output and progress flow steadily.
const maxPollRecords = 10000

type consumeFlags struct {
	from       string
	partitions []int32
	count      int64
	untilEnd   bool
	format     string
	group      string
	isolation  string
}

// consumePlan is consumeFlags checked and parsed.
type consumePlan struct {
	topic         string
	pos           position
	format        *recordFormat
	readCommitted bool
	*consumeFlags
}

func newConsumeCmd(g *globals) *cobra.Command {
	f := &consumeFlags{}
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Print records of a topic to stdout",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := f.plan(cmd, args[0])
			if err != nil {
				return err
			}
			return runConsume(cmd, g, plan)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "latest", "where to start: earliest, latest, OFFSET, @TIMESTAMP_MS or -N (N records before the end)")
	fl.Int32SliceVar(&f.partitions, "partition", nil, "consume only this partition (repeatable; default all)")
	fl.Int64VarP(&f.count, "count", "n", 0, "stop after N records (0: no limit)")
	fl.BoolVar(&f.untilEnd, "until-end", false, "stop at the end offsets seen at start")
	fl.StringVar(&f.format, "format", defaultFormat, `output format: %t %p %o %k %v %h %T %K %V %% and \n \t \r \\`)
	fl.StringVar(&f.group, "group", "", "consume as a member of this consumer group and commit offsets")
	fl.StringVar(&f.isolation, "isolation", "read_uncommitted", "read_committed or read_uncommitted")
	return cmd
}

// plan validates the flags; its errors are usage errors.
func (f *consumeFlags) plan(cmd *cobra.Command, topic string) (*consumePlan, error) {
	p := &consumePlan{topic: topic, consumeFlags: f}
	var err error
	if p.pos, err = parsePosition(f.from); err != nil {
		return nil, badUsage(cmd, "--from: %v", err)
	}
	if p.format, err = compileFormat(f.format); err != nil {
		return nil, badUsage(cmd, "--format: %v", err)
	}
	switch f.isolation {
	case "read_committed":
		p.readCommitted = true
	case "read_uncommitted":
	default:
		return nil, badUsage(cmd, "--isolation: %q: want read_committed or read_uncommitted", f.isolation)
	}
	if f.count < 0 {
		return nil, badUsage(cmd, "--count: must be >= 0")
	}
	for _, part := range f.partitions {
		if part < 0 {
			return nil, badUsage(cmd, "--partition: %d: must be >= 0", part)
		}
	}
	if f.group != "" && len(f.partitions) > 0 {
		return nil, badUsage(cmd, "--group and --partition cannot be used together (a group assigns partitions)")
	}
	return p, nil
}

func runConsume(cmd *cobra.Command, g *globals, plan *consumePlan) error {
	ctx := cmd.Context()
	what := "consume from " + plan.topic
	var bounds map[int32]partBounds
	err := g.withAdmin(ctx, func(ctx context.Context, adm *kadm.Client) error {
		seen, err := listOffsets(ctx, adm, plan)
		if err != nil {
			return err
		}
		bounds, err = computeBounds(plan.pos, seen, plan.partitions)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted before anything was consumed
		}
		return failure(what, err, g.brokers)
	}
	tr := newConsumeTracker(plan.count, plan.untilEnd, bounds)
	cl, err := g.newClient(consumerOpts(plan, bounds, tr)...)
	if err != nil {
		return badUsage(cmd, "%v", err)
	}
	defer cl.Close()

	stderr := cmd.ErrOrStderr()
	prog := newProgress("consumed", stderr, time.Now)
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	prog.start(ticker.C)
	loopErr := consumeLoop(ctx, cl, plan, tr, cmd.OutOrStdout(), prog)
	prog.stop()
	commitErr := commitGroup(ctx, cl, plan)

	n, summary := prog.summary()
	fmt.Fprintf(stderr, "consumed %d records from %s %s\n", n, plan.topic, summary)
	if err := errors.Join(loopErr, commitErr); err != nil {
		return failure(what, err, g.brokers)
	}
	return nil
}

// listOffsets asks the cluster for everything computeBounds needs.
func listOffsets(ctx context.Context, adm *kadm.Client, plan *consumePlan) (offsetsSeen, error) {
	var seen offsetsSeen
	starts, err := adm.ListStartOffsets(ctx, plan.topic)
	if seen.starts, err = offsetMap(starts, err, plan.topic); err != nil {
		return seen, err
	}
	var ends kadm.ListedOffsets
	if plan.readCommitted {
		ends, err = adm.ListCommittedOffsets(ctx, plan.topic)
	} else {
		ends, err = adm.ListEndOffsets(ctx, plan.topic)
	}
	if seen.ends, err = offsetMap(ends, err, plan.topic); err != nil {
		return seen, err
	}
	if plan.pos.kind == posTimestamp {
		at, err := adm.ListOffsetsAfterMilli(ctx, plan.pos.n, plan.topic)
		if seen.atTime, err = offsetMap(at, err, plan.topic); err != nil {
			return seen, err
		}
	}
	if plan.group != "" {
		seen.committed, err = groupOffsets(ctx, adm, plan.group, plan.topic)
	}
	return seen, err
}

// offsetMap checks a kadm offset listing of one topic and flattens it.
func offsetMap(l kadm.ListedOffsets, err error, topic string) (map[int32]int64, error) {
	if err == nil {
		err = l.Error()
	}
	if err != nil {
		return nil, err
	}
	m := make(map[int32]int64)
	for p, o := range l[topic] {
		m[p] = o.Offset
	}
	return m, nil
}

// groupOffsets returns the group's committed offsets in topic; a group that
// does not exist yet has none.
func groupOffsets(ctx context.Context, adm *kadm.Client, group, topic string) (map[int32]int64, error) {
	resp, err := adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %q: %w", group, err)
	}
	m := make(map[int32]int64)
	for p, o := range resp[topic] {
		if o.Err != nil {
			return nil, fmt.Errorf("fetch offsets of group %q partition %d: %w", group, p, o.Err)
		}
		m[p] = o.At
	}
	return m, nil
}

// consumerOpts builds the consuming client's options. Control records are
// kept so the tracker sees every offset up to the end (they are never
// printed).
func consumerOpts(plan *consumePlan, bounds map[int32]partBounds, tr *consumeTracker) []kgo.Opt {
	level := kgo.ReadUncommitted()
	if plan.readCommitted {
		level = kgo.ReadCommitted()
	}
	opts := []kgo.Opt{kgo.FetchIsolationLevel(level), kgo.KeepControlRecords()}
	if plan.group != "" {
		return append(opts, kgo.ConsumeTopics(plan.topic), kgo.ConsumerGroup(plan.group),
			kgo.ConsumeStartOffset(plan.pos.kgoOffset()), kgo.AutoCommitMarks())
	}
	offsets := make(map[int32]kgo.Offset, len(bounds))
	for p, b := range bounds {
		if plan.untilEnd && !tr.pending[p] {
			continue // nothing to read there before the end
		}
		offsets[p] = kgo.NewOffset().At(b.start)
	}
	return append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{plan.topic: offsets}))
}

// consumeLoop polls and prints records until the tracker is done, ctx ends
// (Ctrl-C: not an error) or fetching fails.
func consumeLoop(ctx context.Context, cl *kgo.Client, plan *consumePlan,
	tr *consumeTracker, w io.Writer, prog *progress) error {
	var buf []byte
	for !tr.done() {
		max := tr.remaining()
		if max == 0 || max > maxPollRecords {
			max = maxPollRecords
		}
		fetches := cl.PollRecords(ctx, max)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		if err := fetchError(fetches); err != nil {
			return err
		}
		buf = buf[:0]
		var marks []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) {
			if !tr.observe(r) {
				return
			}
			buf = plan.format.appendRecord(buf, r)
			prog.add(1, int64(len(r.Key)+len(r.Value)))
			marks = append(marks, r)
		})
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		if plan.group != "" {
			cl.MarkCommitRecords(marks...)
		}
	}
	return nil
}

// fetchError joins the errors of a poll.
func fetchError(fs kgo.Fetches) error {
	var errs []error
	for _, e := range fs.Errors() {
		errs = append(errs, fmt.Errorf("partition %d: %w", e.Partition, e.Err))
	}
	return errors.Join(errs...)
}

// commitGroup commits what was printed, with --group. It runs even after
// Ctrl-C, with its own deadline.
func commitGroup(ctx context.Context, cl *kgo.Client, plan *consumePlan) error {
	if plan.group == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), adminTimeout)
	defer cancel()
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		return fmt.Errorf("commit offsets of group %q: %w", plan.group, err)
	}
	return nil
}
