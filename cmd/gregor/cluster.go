package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newClusterCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show the cluster's brokers and metadata quorum, run leader elections",
		Args:  noSubcommandArgs,
		RunE:  helpOrUnknown,
	}
	cmd.AddCommand(newClusterInfoCmd(g), newClusterQuorumCmd(g), newClusterElectCmd(g))
	cmd.AddCommand(newClusterAddVoterCmd(g), newClusterRemoveVoterCmd(g)) // cluster_voters.go
	return cmd
}

func newClusterInfoCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show the cluster id, the controller and the live brokers (id, host:port, rack)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var md kadm.Metadata
			err := g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				var err error
				md, err = adm.BrokerMetadata(ctx)
				return err
			})
			if err != nil {
				return failure("describe cluster", err, g.brokers)
			}
			return printClusterInfo(cmd.OutOrStdout(), md)
		},
	}
}

func printClusterInfo(w io.Writer, md kadm.Metadata) error {
	fmt.Fprintf(w, "cluster id:  %s\ncontroller:  %d\n\n", md.Cluster, md.Controller)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDRESS\tRACK\tCONTROLLER")
	for _, b := range md.Brokers {
		rack, ctl := "-", ""
		if b.Rack != nil && *b.Rack != "" {
			rack = *b.Rack
		}
		if b.NodeID == md.Controller {
			ctl = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s:%d\t%s\t%s\n", b.NodeID, b.Host, b.Port, rack, ctl)
	}
	return tw.Flush()
}

func newClusterQuorumCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "quorum",
		Short: "Show the metadata quorum: leader, epoch, high watermark, voters and observers with their log end offsets and lag",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(cmd.Context(), func(ctx context.Context, cl *kgo.Client) error {
				req := kmsg.NewPtrDescribeQuorumRequest()
				rt := kmsg.NewDescribeQuorumRequestTopic()
				rt.Topic = "__cluster_metadata"
				rt.Partitions = []kmsg.DescribeQuorumRequestTopicPartition{kmsg.NewDescribeQuorumRequestTopicPartition()}
				req.Topics = append(req.Topics, rt)
				resp, err := req.RequestWith(ctx, cl)
				if err == nil {
					err = kerr.ErrorForCode(resp.ErrorCode)
				}
				if err == nil && (len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1) {
					err = fmt.Errorf("the answer names no __cluster_metadata partition")
				}
				if err == nil {
					err = kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
				}
				if err != nil {
					return failure("describe quorum", err, g.brokers)
				}
				return printQuorum(cmd.OutOrStdout(), resp.Topics[0].Partitions[0], time.Now())
			})
		},
	}
}

func printQuorum(w io.Writer, p kmsg.DescribeQuorumResponseTopicPartition, now time.Time) error {
	fmt.Fprintf(w, "leader:          %d\nepoch:           %d\nhigh watermark:  %d\n\n", p.LeaderID, p.LeaderEpoch, p.HighWatermark)
	leaderEnd := p.HighWatermark
	for _, v := range p.CurrentVoters {
		if v.ReplicaID == p.LeaderID {
			leaderEnd = v.LogEndOffset
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tLOG END\tLAG\tLAST FETCH")
	row := func(role string, r kmsg.DescribeQuorumResponseTopicPartitionReplicaState) {
		if r.ReplicaID == p.LeaderID {
			role = "leader"
		}
		last := "-"
		if r.LastFetchTimestamp >= 0 {
			last = now.Sub(time.UnixMilli(r.LastFetchTimestamp)).Round(time.Millisecond).String() + " ago"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\n", r.ReplicaID, role, r.LogEndOffset, max(leaderEnd-r.LogEndOffset, 0), last)
	}
	for _, v := range p.CurrentVoters {
		row("voter", v)
	}
	for _, o := range p.Observers {
		row("observer", o)
	}
	return tw.Flush()
}
