package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type reassignFlags struct {
	partition int32
	replicas  string
	cancel    bool
	list      bool
	wait      bool
	interval  time.Duration
	timeout   time.Duration
}

func newTopicReassignCmd(g *globals) *cobra.Command {
	f := &reassignFlags{}
	cmd := &cobra.Command{
		Use: "reassign TOPIC --partition P --replicas 1,2,3 [--wait] | TOPIC --partition P --cancel | --list [TOPIC...]",
		Short: "Move a partition to other brokers (AlterPartitionReassignments), cancel a move, " +
			"or list the moves in progress",
		Long: `Move a partition's replicas to the brokers given with --replicas (the first is the
preferred leader). New replicas copy the log from the leader; once every target
replica is in sync the partition switches to the target list and the replicas
left out delete their copy. With --wait the command prints the progress until the
move has finished. --cancel reverts a move in progress to the original replicas.
--list shows every move in progress (or those of the named topics).`,
		Args: usageArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.list {
				if f.replicas != "" || f.cancel || f.wait || cmd.Flags().Changed("partition") {
					return badUsage(cmd, "--list takes no --partition, --replicas, --cancel or --wait")
				}
				return runReassignList(cmd, g, args)
			}
			if len(args) != 1 {
				return badUsage(cmd, "give one TOPIC (or --list)")
			}
			target, err := f.target(cmd)
			if err != nil {
				return err
			}
			return runReassign(cmd, g, f, args[0], target)
		},
	}
	fl := cmd.Flags()
	fl.Int32VarP(&f.partition, "partition", "p", -1, "partition to move (required with --replicas and --cancel)")
	fl.StringVar(&f.replicas, "replicas", "", "target broker ids, comma-separated; the first is the preferred leader")
	fl.BoolVar(&f.cancel, "cancel", false, "cancel the partition's move in progress")
	fl.BoolVar(&f.list, "list", false, "list the moves in progress")
	fl.BoolVar(&f.wait, "wait", false, "wait until the move has finished, printing its progress")
	fl.DurationVar(&f.interval, "interval", time.Second, "with --wait: how often to check the progress")
	fl.DurationVar(&f.timeout, "timeout", 0, "with --wait: give up after this long (0: no limit)")
	return cmd
}

// target returns the replicas to move to, or nil for --cancel.
func (f *reassignFlags) target(cmd *cobra.Command) ([]int32, error) {
	switch {
	case f.partition < 0:
		return nil, badUsage(cmd, "--partition is required")
	case f.cancel && f.replicas != "":
		return nil, badUsage(cmd, "give --replicas or --cancel, not both")
	case f.cancel && f.wait:
		return nil, badUsage(cmd, "--wait applies to a move, not to --cancel")
	case f.cancel:
		return nil, nil
	case f.replicas == "":
		return nil, badUsage(cmd, "--replicas is required (or --cancel, or --list)")
	case f.interval <= 0:
		return nil, badUsage(cmd, "--interval must be positive")
	}
	ids, err := parseBrokerIDs(f.replicas)
	if err != nil {
		return nil, badUsage(cmd, "--replicas: %v", err)
	}
	return ids, nil
}

// parseBrokerIDs parses "1,2,3".
func parseBrokerIDs(s string) ([]int32, error) {
	var ids []int32
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a broker id", part)
		}
		if slices.Contains(ids, int32(n)) {
			return nil, fmt.Errorf("broker %d given twice", n)
		}
		ids = append(ids, int32(n))
	}
	return ids, nil
}

func runReassign(cmd *cobra.Command, g *globals, f *reassignFlags, topic string, target []int32) error {
	name := fmt.Sprintf("%s-%d", topic, f.partition)
	err := g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
		var req kadm.AlterPartitionAssignmentsReq
		req.Assign(topic, f.partition, target)
		rs, err := adm.AlterPartitionAssignments(ctx, req)
		if err != nil {
			return err
		}
		r, ok := rs[topic][f.partition]
		if !ok {
			return fmt.Errorf("the broker did not answer for %s", name)
		}
		return withMessage(r.Err, r.ErrMessage)
	})
	out := cmd.OutOrStdout()
	switch {
	case err != nil && target == nil:
		return failure("cancel the reassignment of "+name, err, g.brokers)
	case err != nil:
		return failure("reassign "+name, err, g.brokers)
	case target == nil:
		_, err = fmt.Fprintf(out, "cancelled the reassignment of %s\n", name)
		return err
	}
	if _, err := fmt.Fprintf(out, "reassigning %s to %s\n", name, formatIDs(target)); err != nil {
		return err
	}
	if !f.wait {
		return nil
	}
	return waitReassigned(cmd, g, f, topic, target)
}

// staleLimit is how many checks in a row may show no move in progress
// and replicas other than the target (metadata from a broker that has not
// applied the end of the move yet) before waitReassigned gives up.
const staleLimit = 10

// waitReassigned polls the partition until no move is in progress and
// its replicas are the target, printing a line whenever its replicas or
// ISR change.
func waitReassigned(cmd *cobra.Command, g *globals, f *reassignFlags, topic string, target []int32) error {
	// kgo answers metadata requests from its cache for MetadataMinAge
	// (5 s by default): each check must see fresh metadata.
	cl, err := g.newClient(kgo.MetadataMinAge(min(f.interval, time.Second)))
	if err != nil {
		return failure("wait for the reassignment", err, g.brokers)
	}
	defer cl.Close()
	ctx := cmd.Context()
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	began := time.Now()
	tick := time.NewTicker(f.interval)
	defer tick.Stop()
	var last string
	stale := 0
	for {
		st, err := partitionState(ctx, cl, topic, f.partition)
		if err != nil {
			return failure("wait for the reassignment", err, g.brokers)
		}
		if line := st.String(); line != last {
			if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%6.1fs  %s\n", time.Since(began).Seconds(), line); err != nil {
				return err
			}
			last = line
		}
		onTarget := !st.moving && slices.Equal(st.replicas, target)
		switch {
		case onTarget && (containsAll(st.isr, target) || stale >= staleLimit):
			// (A broker's metadata may show the old ISR for a moment.)
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "done: %s-%d is on %s\n", topic, f.partition, formatIDs(st.replicas))
			return err
		case onTarget:
			stale++
		case !st.moving:
			if stale++; stale >= staleLimit {
				return failure("wait for the reassignment", fmt.Errorf("no move in progress, but the partition is on %s, not %s (cancelled or replaced?)",
					formatIDs(st.replicas), formatIDs(target)), g.brokers)
			}
		default:
			stale = 0
		}
		select {
		case <-ctx.Done():
			return failure("wait for the reassignment", fmt.Errorf("still in progress: %w", ctx.Err()), g.brokers)
		case <-tick.C:
		}
	}
}

// reassignState is a partition's replicas, ISR and leader, and its move.
type reassignState struct {
	replicas, isr, adding, removing []int32
	leader                          int32
	moving                          bool
}

func (s reassignState) String() string {
	if !s.moving {
		return fmt.Sprintf("replicas %s, in sync %s, leader %d", formatIDs(s.replicas), formatIDs(s.isr), s.leader)
	}
	var caught []int32
	for _, id := range s.adding {
		if slices.Contains(s.isr, id) {
			caught = append(caught, id)
		}
	}
	line := fmt.Sprintf("replicas %s, in sync %s, leader %d", formatIDs(s.replicas), formatIDs(s.isr), s.leader)
	if len(s.adding) > 0 {
		line += fmt.Sprintf("; adding %s (%d of %d caught up)", formatIDs(s.adding), len(caught), len(s.adding))
	}
	if len(s.removing) > 0 {
		line += "; removing " + formatIDs(s.removing)
	}
	return line
}

// partitionState asks for the partition's metadata and its move in
// progress, each request bounded by adminTimeout.
func partitionState(ctx context.Context, cl *kgo.Client, topic string, partition int32) (reassignState, error) {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	adm := kadm.NewClient(cl)
	md, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return reassignState{}, err
	}
	td, ok := md[topic]
	switch {
	case !ok:
		return reassignState{}, fmt.Errorf("topic %q: %w", topic, kerr.UnknownTopicOrPartition)
	case td.Err != nil:
		return reassignState{}, fmt.Errorf("topic %q: %w", topic, td.Err)
	}
	pd, ok := td.Partitions[partition]
	if !ok {
		return reassignState{}, fmt.Errorf("%s-%d: %w", topic, partition, kerr.UnknownTopicOrPartition)
	}
	st := reassignState{replicas: pd.Replicas, isr: pd.ISR, leader: pd.Leader}
	rs, err := adm.ListPartitionReassignments(ctx, kadm.TopicsSet{topic: {partition: {}}})
	if err != nil {
		return reassignState{}, err
	}
	if r, ok := rs[topic][partition]; ok {
		st.moving, st.replicas, st.adding, st.removing = true, r.Replicas, r.AddingReplicas, r.RemovingReplicas
	}
	return st, nil
}

func runReassignList(cmd *cobra.Command, g *globals, topics []string) error {
	var resp *kmsg.ListPartitionReassignmentsResponse
	err := g.withClient(cmd.Context(), func(ctx context.Context, cl *kgo.Client) error {
		req := kmsg.NewPtrListPartitionReassignmentsRequest()
		req.TimeoutMillis = int32(adminTimeout / time.Millisecond)
		if len(topics) > 0 {
			// The request names partitions: ask for every one of each topic.
			md, err := kadm.NewClient(cl).ListTopics(ctx, topics...)
			if err != nil {
				return err
			}
			for _, name := range topics {
				rt := kmsg.NewListPartitionReassignmentsRequestTopic()
				rt.Topic = name
				for p := range md[name].Partitions {
					rt.Partitions = append(rt.Partitions, p)
				}
				req.Topics = append(req.Topics, rt)
			}
		}
		var err error
		if resp, err = req.RequestWith(ctx, cl); err != nil {
			return err
		}
		return withMessage(kerr.ErrorForCode(resp.ErrorCode), derefOr(resp.ErrorMessage))
	})
	if err != nil {
		return failure("list reassignments", err, g.brokers)
	}
	return printReassignments(cmd.OutOrStdout(), resp.Topics)
}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func printReassignments(w io.Writer, topics []kmsg.ListPartitionReassignmentsResponseTopic) error {
	if len(topics) == 0 {
		_, err := fmt.Fprintln(w, "no reassignments in progress")
		return err
	}
	slices.SortFunc(topics, func(a, b kmsg.ListPartitionReassignmentsResponseTopic) int { return strings.Compare(a.Topic, b.Topic) })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tREPLICAS\tADDING\tREMOVING")
	for _, t := range topics {
		slices.SortFunc(t.Partitions, func(a, b kmsg.ListPartitionReassignmentsResponseTopicPartition) int {
			return int(a.Partition - b.Partition)
		})
		for _, p := range t.Partitions {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", t.Topic, p.Partition, formatIDs(p.Replicas), formatIDs(p.AddingReplicas), formatIDs(p.RemovingReplicas))
		}
	}
	return tw.Flush()
}

func containsAll(set, ids []int32) bool {
	for _, id := range ids {
		if !slices.Contains(set, id) {
			return false
		}
	}
	return true
}

// formatIDs prints broker ids as [1 2 3].
func formatIDs(ids []int32) string {
	return fmt.Sprint(ids)
}
