package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

func newClusterElectCmd(g *globals) *cobra.Command {
	var (
		typ       string
		topic     string
		partition int32
	)
	cmd := &cobra.Command{
		Use:   "elect",
		Short: "Elect partition leaders: the preferred replica, or (unclean) any live replica of a leaderless partition",
		Long: "Runs leader elections (ElectLeaders) for one partition (--topic, --partition), every partition\n" +
			"of a topic (--topic) or every partition of the cluster (neither). preferred makes the first\n" +
			"replica of each assignment the leader if it is alive and in sync; unclean gives a partition\n" +
			"without a leader an out-of-sync live replica as leader, losing the records it lacks.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			how, err := electionType(typ)
			if err != nil {
				return badUsage(cmd, "%v", err)
			}
			if partition >= 0 && topic == "" {
				return badUsage(cmd, "--partition needs --topic")
			}
			var res kadm.ElectLeadersResults
			err = g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				set, err := electionSet(ctx, adm, topic, partition)
				if err != nil {
					return err
				}
				res, err = adm.ElectLeaders(ctx, how, set)
				return err
			})
			if err != nil {
				return failure("elect leaders", err, g.brokers)
			}
			return printElections(cmd.OutOrStdout(), res)
		},
	}
	cmd.Flags().StringVar(&typ, "type", "preferred", "election type: preferred or unclean")
	cmd.Flags().StringVar(&topic, "topic", "", "only this topic's partitions (default: every partition)")
	cmd.Flags().Int32Var(&partition, "partition", -1, "only this partition of --topic")
	return cmd
}

func electionType(s string) (kadm.ElectLeadersHow, error) {
	switch s {
	case "preferred":
		return kadm.ElectPreferredReplica, nil
	case "unclean":
		return kadm.ElectLiveReplica, nil
	}
	return 0, fmt.Errorf("--type %q: want preferred or unclean", s)
}

// electionSet is the partitions to elect for: nil (every partition), one
// partition, or every partition of topic.
func electionSet(ctx context.Context, adm *kadm.Client, topic string, partition int32) (kadm.TopicsSet, error) {
	if topic == "" {
		return nil, nil
	}
	set := kadm.TopicsSet{}
	if partition >= 0 {
		set.Add(topic, partition)
		return set, nil
	}
	md, err := adm.ListTopicsWithInternal(ctx, topic)
	if err != nil {
		return nil, err
	}
	td, ok := md[topic]
	if !ok || td.Err != nil {
		return nil, fmt.Errorf("topic %q: %w", topic, kerr.UnknownTopicOrPartition)
	}
	for p := range td.Partitions {
		set.Add(topic, p)
	}
	return set, nil
}

// printElections prints one line per partition; it fails when a
// partition's election failed for another reason than not being needed.
func printElections(w io.Writer, res kadm.ElectLeadersResults) error {
	total := 0
	for _, ps := range res {
		total += len(ps)
	}
	if total == 0 { // Kafka names every topic, with no partitions
		fmt.Fprintln(w, "no partition needed an election")
		return nil
	}
	var failed []error
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tRESULT")
	n := 0
	for _, topic := range slices.Sorted(maps.Keys(res)) {
		for _, p := range slices.Sorted(maps.Keys(res[topic])) {
			r := res[topic][p]
			n++
			outcome := "elected"
			var ke *kerr.Error
			switch {
			case r.Err == nil:
			case errors.As(r.Err, &ke):
				outcome = ke.Message
				if !errors.Is(r.Err, kerr.ElectionNotNeeded) {
					failed = append(failed, fmt.Errorf("%s-%d: %w", topic, p, r.Err))
				}
			default:
				outcome = r.Err.Error()
				failed = append(failed, fmt.Errorf("%s-%d: %w", topic, p, r.Err))
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\n", topic, p, outcome)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(failed) > 0 {
		return &cliError{what: fmt.Sprintf("elect leaders: %d of %d partitions failed, first", len(failed), n), err: failed[0]}
	}
	return nil
}
