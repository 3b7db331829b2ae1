package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicReport is everything describe prints about one topic.
type topicReport struct {
	detail        kadm.TopicDetail
	starts, ends  map[int32]int64
	configs       []kadm.Config
	configsErr    error
	configsFilter bool // show only configs not at their default
}

func newTopicDescribeCmd(g *globals) *cobra.Command {
	var allConfigs bool
	cmd := &cobra.Command{
		Use:   "describe NAME...",
		Short: "Show a topic's id, partitions (leader, replicas, ISR, offsets) and configs",
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			var reports []topicReport
			err := g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				var err error
				reports, err = describeTopics(ctx, adm, names, !allConfigs)
				return err
			})
			if err != nil {
				return failure("describe topics", err, g.brokers)
			}
			return printReports(cmd.OutOrStdout(), g, reports)
		},
	}
	cmd.Flags().BoolVar(&allConfigs, "all-configs", false, "show every config, not only those set away from the default")
	return cmd
}

// describeTopics gathers metadata, offsets and configs of the named topics.
// Per-topic problems (an unknown topic) are left in the reports; only a
// failed request is an error.
func describeTopics(ctx context.Context, adm *kadm.Client, names []string, filter bool) ([]topicReport, error) {
	md, err := adm.ListTopicsWithInternal(ctx, names...)
	if err != nil {
		return nil, err
	}
	starts, err := adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return nil, err
	}
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return nil, err
	}
	cfgs, err := adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return nil, err
	}
	reports := make([]topicReport, 0, len(names))
	for _, name := range names {
		d, ok := md[name]
		if !ok {
			d = kadm.TopicDetail{Topic: name, Err: fmt.Errorf("not in the metadata response")}
		}
		r := topicReport{detail: d, configsFilter: filter,
			starts: listedMap(starts[name]), ends: listedMap(ends[name])}
		rc, err := cfgs.On(name, nil)
		if err == nil {
			err = withMessage(rc.Err, rc.ErrMessage)
		}
		r.configs, r.configsErr = rc.Configs, err
		reports = append(reports, r)
	}
	return reports, nil
}

// listedMap flattens one topic's listed offsets; partitions with an error
// are left out (printed as "-").
func listedMap(ps map[int32]kadm.ListedOffset) map[int32]int64 {
	m := make(map[int32]int64, len(ps))
	for p, o := range ps {
		if o.Err == nil {
			m[p] = o.Offset
		}
	}
	return m
}

// printReports prints every report and returns an error naming the first
// topic that could not be described.
func printReports(w io.Writer, g *globals, reports []topicReport) error {
	var firstErr error
	for i, r := range reports {
		if r.detail.Err != nil {
			if firstErr == nil {
				firstErr = failure(fmt.Sprintf("describe topic %q", r.detail.Topic), r.detail.Err, g.brokers)
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := printReport(w, r); err != nil {
			return err
		}
	}
	return firstErr
}

// printReport prints one topic.
func printReport(w io.Writer, r topicReport) error {
	d := r.detail
	fmt.Fprintf(w, "topic:     %s\nid:        %s\ninternal:  %t\npartitions: %d\n\n",
		d.Topic, kafkaID(d.ID), d.IsInternal, len(d.Partitions))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tLEADER\tEPOCH\tREPLICAS\tISR\tSTART\tEND")
	for _, p := range d.Partitions.Sorted() {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t%s\n", p.Partition, p.Leader, p.LeaderEpoch,
			ints(p.Replicas), ints(p.ISR), offsetOrDash(r.starts, p.Partition), offsetOrDash(r.ends, p.Partition))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return printConfigs(w, r)
}

// printConfigs prints the topic's configs, sorted by key.
func printConfigs(w io.Writer, r topicReport) error {
	title := "configs (not default)"
	if !r.configsFilter {
		title = "configs"
	}
	if r.configsErr != nil {
		_, err := fmt.Fprintf(w, "\n%s: could not be read: %v\n", title, r.configsErr)
		return err
	}
	cs := append([]kadm.Config(nil), r.configs...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].Key < cs[j].Key })
	fmt.Fprintf(w, "\n%s:\n", title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	shown := 0
	for _, c := range cs {
		if r.configsFilter && c.Source == kmsg.ConfigSourceDefaultConfig {
			continue
		}
		v := c.MaybeValue()
		if c.Sensitive {
			v = "(sensitive)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Key, v, configSource(c.Source))
		shown++
	}
	if shown == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	return tw.Flush()
}

// configSource names where a config value comes from.
func configSource(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicTopicConfig:
		return "topic"
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return "broker (dynamic)"
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return "cluster default (dynamic)"
	case kmsg.ConfigSourceStaticBrokerConfig:
		return "broker (static)"
	case kmsg.ConfigSourceDefaultConfig:
		return "default"
	}
	return strings.ToLower(s.String())
}

func offsetOrDash(m map[int32]int64, p int32) string {
	if o, ok := m[p]; ok {
		return fmt.Sprint(o)
	}
	return "-"
}

// ints renders [1,2,3].
func ints(xs []int32) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
