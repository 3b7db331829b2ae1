package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

func newTopicCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe, alter and delete topics",
		Args:  noSubcommandArgs,
		RunE:  helpOrUnknown,
	}
	cmd.AddCommand(
		newTopicCreateCmd(g),
		newTopicListCmd(g),
		newTopicDescribeCmd(g),
		newTopicDeleteCmd(g),
		newTopicAlterConfigCmd(g),
		newTopicAddPartitionsCmd(g),
		newTopicReassignCmd(g),
	)
	return cmd
}

type topicCreateFlags struct {
	partitions   int32
	replicas     int16
	configs      []string
	validateOnly bool
	ifNotExists  bool
}

func newTopicCreateCmd(g *globals) *cobra.Command {
	f := &topicCreateFlags{}
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a topic",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTopicCreate(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.Int32VarP(&f.partitions, "partitions", "p", -1, "number of partitions (-1: broker default)")
	fl.Int16VarP(&f.replicas, "replication-factor", "r", -1, "replication factor (-1: broker default)")
	fl.StringArrayVarP(&f.configs, "config", "c", nil, "topic config key=value (repeatable)")
	fl.BoolVar(&f.validateOnly, "validate-only", false, "check the request on the broker without creating the topic")
	fl.BoolVar(&f.ifNotExists, "if-not-exists", false, "succeed if the topic already exists")
	return cmd
}

func runTopicCreate(cmd *cobra.Command, g *globals, f *topicCreateFlags, name string) error {
	kvs, err := parseKeyValues(f.configs, false)
	if err != nil {
		return badUsage(cmd, "--config: %v", err)
	}
	var resp kadm.CreateTopicResponse
	err = g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
		create := adm.CreateTopics
		if f.validateOnly {
			create = adm.ValidateCreateTopics
		}
		rs, err := create(ctx, f.partitions, f.replicas, configMap(kvs), name)
		if err != nil {
			return err
		}
		resp, err = rs.On(name, nil)
		if err != nil {
			return err
		}
		return withMessage(resp.Err, resp.ErrMessage)
	})
	out := cmd.OutOrStdout()
	switch {
	case f.ifNotExists && errors.Is(err, kerr.TopicAlreadyExists):
		_, err = fmt.Fprintf(out, "topic %q already exists\n", name)
		return err
	case err != nil:
		return failure(fmt.Sprintf("create topic %q", name), err, g.brokers)
	case f.validateOnly:
		_, err = fmt.Fprintf(out, "topic %q can be created (%s)\n", name, shape(resp))
		return err
	}
	_, err = fmt.Fprintf(out, "created topic %q (%s, id %s)\n", name, shape(resp), kafkaID(resp.ID))
	return err
}

// shape describes the partitions and replication of a created topic.
func shape(r kadm.CreateTopicResponse) string {
	return fmt.Sprintf("%d partitions, replication factor %d", r.NumPartitions, r.ReplicationFactor)
}

// withMessage adds a broker's error message to its error code, if any.
func withMessage(err error, msg string) error {
	if err == nil || msg == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, msg)
}

func newTopicListCmd(g *globals) *cobra.Command {
	var internal bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List topics: name, partitions, replication factor, id",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var topics kadm.TopicDetails
			err := g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				var err error
				if internal {
					topics, err = adm.ListTopicsWithInternal(ctx)
				} else {
					topics, err = adm.ListTopics(ctx)
				}
				return err
			})
			if err != nil {
				return failure("list topics", err, g.brokers)
			}
			return writeTopicTable(cmd.OutOrStdout(), topics)
		},
	}
	cmd.Flags().BoolVar(&internal, "internal", false, "include internal topics (__consumer_offsets, ...)")
	return cmd
}

// writeTopicTable prints one row per topic, sorted by name.
func writeTopicTable(w0 io.Writer, topics kadm.TopicDetails) error {
	w := tabwriter.NewWriter(w0, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tPARTITIONS\tREPLICAS\tID")
	for _, t := range topics.Sorted() {
		if t.Err != nil {
			fmt.Fprintf(w, "%s\t-\t-\t(%v)\n", t.Topic, t.Err)
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", t.Topic, len(t.Partitions), t.Partitions.NumReplicas(), kafkaID(t.ID))
	}
	return w.Flush()
}

func newTopicDeleteCmd(g *globals) *cobra.Command {
	var ifExists bool
	cmd := &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete topics",
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			var rs kadm.DeleteTopicResponses
			err := g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				var err error
				rs, err = adm.DeleteTopics(ctx, names...)
				return err
			})
			if err != nil {
				return failure("delete topics", err, g.brokers)
			}
			return reportDeletes(cmd, g, names, rs, ifExists)
		},
	}
	cmd.Flags().BoolVar(&ifExists, "if-exists", false, "succeed for topics that do not exist")
	return cmd
}

// reportDeletes prints one line per topic and fails on the first error
// (after printing the topics that were deleted).
func reportDeletes(cmd *cobra.Command, g *globals, names []string,
	rs kadm.DeleteTopicResponses, ifExists bool) error {
	var firstErr error
	out := cmd.OutOrStdout()
	for _, name := range names {
		r, err := rs.On(name, nil)
		if err == nil {
			err = withMessage(r.Err, r.ErrMessage)
		}
		switch {
		case ifExists && errors.Is(err, kerr.UnknownTopicOrPartition):
			fmt.Fprintf(out, "topic %q does not exist\n", name)
		case err != nil:
			if firstErr == nil {
				firstErr = failure(fmt.Sprintf("delete topic %q", name), err, g.brokers)
			}
		default:
			fmt.Fprintf(out, "deleted topic %q\n", name)
		}
	}
	return firstErr
}

// kafkaID formats a topic id as Kafka tools do: URL-safe base64 without
// padding (Uuid.toString).
func kafkaID(id kadm.TopicID) string { return base64.RawURLEncoding.EncodeToString(id[:]) }
