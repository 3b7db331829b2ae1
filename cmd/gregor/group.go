package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func newGroupCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "List, describe, delete consumer groups and reset their offsets",
		Args:  noSubcommandArgs,
		RunE:  helpOrUnknown,
	}
	cmd.AddCommand(newGroupListCmd(g), newGroupDescribeCmd(g), newGroupDeleteCmd(g), newGroupSeekCmd(g))
	return cmd
}

func newGroupListCmd(g *globals) *cobra.Command {
	var states, types []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List groups with their type (classic or consumer), state and protocol type",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(cmd.Context(), func(ctx context.Context, cl *kgo.Client) error {
				listed, err := listGroups(ctx, cl, states, types)
				if err != nil {
					return err
				}
				return printGroupList(cmd.OutOrStdout(), listed)
			})
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only groups in these states (Empty, Stable, PreparingRebalance, CompletingRebalance, Assigning, Reconciling)")
	cmd.Flags().StringSliceVar(&types, "type", nil, "only groups of these types (classic, consumer)")
	return cmd
}

func newGroupDescribeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "describe GROUP",
		Short: "Show a group's members, assignments, committed offsets, end offsets and lag",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				return describeGroup(ctx, cmd.OutOrStdout(), adm, args[0])
			})
		},
	}
}

func describeGroup(ctx context.Context, w io.Writer, adm *kadm.Client, group string) error {
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return err
	}
	d := described[group]
	if errors.Is(d.Err, kerr.GroupIDNotFound) {
		// Not a classic group: a KIP-848 consumer group, or none.
		return describeConsumerGroup(ctx, w, adm, group)
	}
	if d.Err != nil {
		return fmt.Errorf("describe group %q: %w", group, d.Err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return fmt.Errorf("fetch offsets of group %q: %w", group, err)
	}
	if d.State == "Dead" && len(committed) == 0 {
		return fmt.Errorf("group %q does not exist", group)
	}
	topics := committed.Partitions()
	for _, m := range d.Members {
		if ca, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range ca.Topics {
				for _, p := range t.Partitions {
					topics.Add(t.Topic, p)
				}
			}
		}
	}
	ends, err := adm.ListEndOffsets(ctx, topics.Topics()...)
	if err != nil {
		return fmt.Errorf("list end offsets: %w", err)
	}
	lag := kadm.CalculateGroupLagWithStartOffsets(d, committed, nil, ends)
	header := fmt.Sprintf("GROUP %s  STATE %s  PROTOCOL %s/%s  MEMBERS %d", group, d.State, d.ProtocolType, d.Protocol, len(d.Members))
	var rows []lagRow
	for _, l := range lag.Sorted() {
		if l.Err != nil {
			rows = append(rows, lagRow{topic: l.Topic, partition: l.Partition, err: l.Err})
			continue
		}
		r := lagRow{topic: l.Topic, partition: l.Partition, commit: l.Commit.At, end: -1, lag: -1}
		if l.End.Err == nil {
			r.end, r.lag = l.End.Offset, l.Lag
		}
		if l.Member != nil {
			r.member, r.instance, r.client, r.host = l.Member.MemberID, l.Member.InstanceID, l.Member.ClientID, l.Member.ClientHost
		}
		rows = append(rows, r)
	}
	return printLagTable(w, header, rows)
}

func newGroupDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete GROUP...",
		Short: "Delete empty groups and their committed offsets",
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				resp, err := adm.DeleteGroups(ctx, args...)
				if err != nil {
					return err
				}
				var failed []string
				for _, name := range args {
					if r := resp[name]; r.Err != nil {
						failed = append(failed, fmt.Sprintf("%s: %v", name, r.Err))
						continue
					}
					fmt.Fprintf(cmd.OutOrStdout(), "deleted group %s\n", name)
				}
				if len(failed) > 0 {
					return fmt.Errorf("%s", strings.Join(failed, "; "))
				}
				return nil
			})
		},
	}
}

type groupSeekFlags struct {
	to     string
	topics []string
	dryRun bool
}

func newGroupSeekCmd(g *globals) *cobra.Command {
	f := &groupSeekFlags{}
	cmd := &cobra.Command{
		Use:   "seek GROUP --to earliest|latest|<unix ms>|<offset> [--topic T[:P,...]]",
		Short: "Reset an inactive group's committed offsets",
		Long: "Reset the committed offsets of a group with no active members: to the earliest or\n" +
			"latest offset, to the first offset at or after a timestamp (--to @<unix ms>), or to\n" +
			"an explicit offset (--to <n>). Without --topic, every topic the group has committed\n" +
			"offsets for is reset.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.to == "" {
				return badUsage(cmd, "--to is required")
			}
			return g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				return seekGroup(ctx, cmd, adm, args[0], f)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.to, "to", "", "earliest, latest, @<unix ms timestamp>, or an offset")
	fl.StringSliceVar(&f.topics, "topic", nil, "topics to reset, optionally with partitions: name or name:0,1 (repeatable)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the new offsets without committing them")
	return cmd
}

func seekGroup(ctx context.Context, cmd *cobra.Command, adm *kadm.Client, group string, f *groupSeekFlags) error {
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return err
	}
	members := len(described[group].Members)
	if errors.Is(described[group].Err, kerr.GroupIDNotFound) {
		if members, err = consumerGroupMembers(ctx, adm, group); err != nil {
			return err
		}
	}
	if members > 0 {
		return fmt.Errorf("group %q has %d active members; stop them before seeking", group, members)
	}
	want, err := seekPartitions(ctx, adm, group, f.topics)
	if err != nil {
		return err
	}
	if len(want.Topics()) == 0 {
		return fmt.Errorf("group %q has no committed offsets; name the topics with --topic", group)
	}
	targets, err := seekTargets(ctx, adm, want, f.to)
	if err != nil {
		return badUsage(cmd, "%v", err)
	}
	out := cmd.OutOrStdout()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tNEW OFFSET")
	targets.Each(func(o kadm.Offset) { fmt.Fprintf(tw, "%s\t%d\t%d\n", o.Topic, o.Partition, o.At) })
	if err := tw.Flush(); err != nil {
		return err
	}
	if f.dryRun {
		return nil
	}
	resp, err := adm.CommitOffsets(ctx, group, targets)
	if err != nil {
		return err
	}
	return resp.Error()
}

// seekPartitions returns the partitions to reset: those named by --topic
// (all of a topic's partitions without a list), else every partition the
// group has committed.
func seekPartitions(ctx context.Context, adm *kadm.Client, group string, topics []string) (kadm.TopicsSet, error) {
	set := kadm.TopicsSet{}
	if len(topics) == 0 {
		committed, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return nil, err
		}
		return committed.Partitions(), nil
	}
	var whole []string
	for _, spec := range topics {
		name, parts, hasParts := strings.Cut(spec, ":")
		if !hasParts {
			whole = append(whole, name)
			continue
		}
		for _, p := range strings.Split(parts, ",") {
			var n int32
			if _, err := fmt.Sscan(p, &n); err != nil {
				return nil, fmt.Errorf("--topic %q: bad partition %q", spec, p)
			}
			set.Add(name, n)
		}
	}
	if len(whole) > 0 {
		md, err := adm.ListTopics(ctx, whole...)
		if err != nil {
			return nil, err
		}
		for _, name := range whole {
			td, ok := md[name]
			if !ok || td.Err != nil {
				return nil, fmt.Errorf("topic %q: %v", name, td.Err)
			}
			for p := range td.Partitions {
				set.Add(name, p)
			}
		}
	}
	return set, nil
}

// seekTargets resolves --to for every partition of want.
func seekTargets(ctx context.Context, adm *kadm.Client, want kadm.TopicsSet, to string) (kadm.Offsets, error) {
	var listed kadm.ListedOffsets
	var err error
	explicit := int64(-1)
	switch {
	case to == "earliest":
		listed, err = adm.ListStartOffsets(ctx, want.Topics()...)
	case to == "latest":
		listed, err = adm.ListEndOffsets(ctx, want.Topics()...)
	case strings.HasPrefix(to, "@"):
		var ms int64
		if _, err := fmt.Sscan(to[1:], &ms); err != nil {
			return nil, fmt.Errorf("--to %q: want @<unix milliseconds>", to)
		}
		listed, err = adm.ListOffsetsAfterMilli(ctx, ms, want.Topics()...)
	default:
		if _, err := fmt.Sscan(to, &explicit); err != nil || explicit < 0 {
			return nil, fmt.Errorf("--to %q: want earliest, latest, @<unix ms> or an offset", to)
		}
	}
	if err != nil {
		return nil, err
	}
	out := kadm.Offsets{}
	for _, tl := range want.Sorted() {
		t := tl.Topic
		for _, p := range tl.Partitions {
			at := explicit
			if listed != nil {
				l, ok := listed.Lookup(t, p)
				if !ok || l.Err != nil {
					return nil, fmt.Errorf("offset of %s/%d: %v", t, p, l.Err)
				}
				at = l.Offset
			}
			out.Add(kadm.Offset{Topic: t, Partition: p, At: at, LeaderEpoch: -1})
		}
	}
	return out, nil
}
