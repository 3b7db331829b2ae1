package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

func newTxnCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "txn",
		Short: "List and describe transactions, find and abort hanging ones",
		Args:  noSubcommandArgs,
		RunE:  helpOrUnknown,
	}
	cmd.AddCommand(newTxnListCmd(g), newTxnDescribeCmd(g), newTxnProducersCmd(g), newTxnAbortCmd(g))
	return cmd
}

func newTxnListCmd(g *globals) *cobra.Command {
	var states []string
	var pids []int64
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List transactional ids with their producer id and state",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				listed, err := adm.ListTransactions(ctx, pids, states)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TRANSACTIONAL ID\tPRODUCER ID\tSTATE\tCOORDINATOR")
				for _, l := range listed.Sorted() {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%d\n", l.TxnID, l.ProducerID, l.State, l.Coordinator)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only these states (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort)")
	cmd.Flags().Int64SliceVar(&pids, "producer-id", nil, "only these producer ids")
	return cmd
}

func newTxnDescribeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "describe TRANSACTIONAL-ID...",
		Short: "Show a transaction's state, producer, timeout, start time and partitions",
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				described, err := adm.DescribeTransactions(ctx, args...)
				if err != nil {
					return err
				}
				return printTxns(cmd.OutOrStdout(), described, time.Now())
			})
		},
	}
}

func printTxns(w io.Writer, described kadm.DescribedTransactions, now time.Time) error {
	var errs []error
	for _, d := range described.Sorted() {
		if d.Err != nil {
			errs = append(errs, fmt.Errorf("describe %q: %w", d.TxnID, d.Err))
			continue
		}
		fmt.Fprintf(w, "TRANSACTIONAL ID %s\nSTATE            %s\nPRODUCER         id %d, epoch %d\nCOORDINATOR      %d\nTIMEOUT          %s\n",
			d.TxnID, d.State, d.ProducerID, d.ProducerEpoch, d.Coordinator, time.Duration(d.TimeoutMillis)*time.Millisecond)
		if d.StartTimestamp >= 0 && d.State == "Ongoing" {
			start := time.UnixMilli(d.StartTimestamp)
			fmt.Fprintf(w, "STARTED          %s (%s ago)\n", start.UTC().Format(time.RFC3339), now.Sub(start).Round(time.Millisecond))
		}
		var parts []string
		for _, t := range d.Topics.Sorted() {
			for _, p := range t.Partitions {
				parts = append(parts, fmt.Sprintf("%s-%d", t.Topic, p))
			}
		}
		fmt.Fprintf(w, "PARTITIONS       %s\n\n", strings.Join(parts, " "))
	}
	return errors.Join(errs...)
}

func newTxnProducersCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "producers TOPIC[:P,...]",
		Short: "Show a topic's producers and their open transactions (to find a hanging transaction)",
		Long: "Lists each partition's active producers with the first offset of their open transaction,\n" +
			"next to the partition's last stable offset. A transaction that keeps the LSO in place and\n" +
			"whose producer id no coordinator lists as Ongoing (`gregor txn list --state Ongoing`) is\n" +
			"hanging; end it with `gregor txn abort`.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				set, err := topicPartitionsArg(ctx, cmd, adm, args[0])
				if err != nil {
					return err
				}
				return printProducers(ctx, cmd.OutOrStdout(), adm, set)
			})
		},
	}
}

// topicPartitionsArg parses TOPIC or TOPIC:P,P into a set (every
// partition when none is named).
func topicPartitionsArg(ctx context.Context, cmd *cobra.Command, adm *kadm.Client, arg string) (kadm.TopicsSet, error) {
	topic, list, _ := strings.Cut(arg, ":")
	set := kadm.TopicsSet{}
	if list != "" {
		for _, s := range strings.Split(list, ",") {
			var p int32
			if _, err := fmt.Sscan(s, &p); err != nil {
				return nil, badUsage(cmd, "bad partition %q in %q", s, arg)
			}
			set.Add(topic, p)
		}
		return set, nil
	}
	md, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return nil, err
	}
	td, ok := md[topic]
	if !ok || td.Err != nil {
		return nil, fmt.Errorf("topic %q: %v", topic, td.Err)
	}
	for p := range td.Partitions {
		set.Add(topic, p)
	}
	return set, nil
}

func printProducers(ctx context.Context, w io.Writer, adm *kadm.Client, set kadm.TopicsSet) error {
	producers, err := adm.DescribeProducers(ctx, set)
	if err != nil {
		return err
	}
	lso, err := adm.ListCommittedOffsets(ctx, set.Topics()...)
	if err != nil {
		return err
	}
	hw, err := adm.ListEndOffsets(ctx, set.Topics()...)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tLSO\tHIGH WATERMARK\tPRODUCER ID\tEPOCH\tLAST SEQUENCE\tLAST TIMESTAMP\tOPEN TXN START")
	var errs []error
	for _, p := range producers.SortedPartitions() {
		if p.Err != nil {
			errs = append(errs, fmt.Errorf("%s-%d: %w", p.Topic, p.Partition, p.Err))
			continue
		}
		l, _ := lso.Lookup(p.Topic, p.Partition)
		h, _ := hw.Lookup(p.Topic, p.Partition)
		ps := p.ActiveProducers.Sorted()
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].ProducerID < ps[j].ProducerID })
		if len(ps) == 0 {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t-\t-\t-\t-\t-\n", p.Topic, p.Partition, l.Offset, h.Offset)
		}
		for _, a := range ps {
			start := "-"
			if a.CurrentTxnStartOffset >= 0 {
				start = fmt.Sprint(a.CurrentTxnStartOffset)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", p.Topic, p.Partition, l.Offset, h.Offset,
				a.ProducerID, a.ProducerEpoch, a.LastSequence, time.UnixMilli(a.LastTimestamp).UTC().Format(time.RFC3339), start)
		}
	}
	return errors.Join(tw.Flush(), errors.Join(errs...))
}

func newTxnAbortCmd(g *globals) *cobra.Command {
	var (
		topic      string
		partition  int32
		pid        int64
		epoch      int16
		startOff   int64
		coordEpoch int32
	)
	cmd := &cobra.Command{
		Use:   "abort --topic T --partition P (--start-offset O | --producer-id ID --producer-epoch E)",
		Short: "Abort a hanging transaction in one partition (writes an ABORT marker, like kafka-transactions.sh --abort)",
		Long: "Writes an ABORT marker for a producer to one partition through WriteTxnMarkers, ending an\n" +
			"open transaction the coordinator no longer knows of (a hanging transaction), so the\n" +
			"partition's last stable offset can advance. With --start-offset the producer is the one\n" +
			"whose open transaction starts there (see `gregor txn producers`). Aborting the transaction\n" +
			"of a live producer makes its commit fail: use it only on hanging transactions.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if topic == "" || partition < 0 {
				return badUsage(cmd, "--topic and --partition are required")
			}
			if (startOff < 0) == (pid < 0) {
				return badUsage(cmd, "give either --start-offset or --producer-id (with --producer-epoch)")
			}
			return g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				if startOff >= 0 {
					var err error
					if pid, epoch, err = producerAt(ctx, adm, topic, partition, startOff); err != nil {
						return err
					}
				}
				set := kadm.TopicsSet{}
				set.Add(topic, partition)
				resp, err := adm.WriteTxnMarkers(ctx, kadm.TxnMarkers{ProducerID: pid, ProducerEpoch: epoch, CoordinatorEpoch: coordEpoch, Topics: set})
				if err != nil {
					return err
				}
				var errs []error
				resp.EachPartition(func(p kadm.TxnMarkersPartitionResponse) {
					if p.Err != nil {
						errs = append(errs, fmt.Errorf("%s-%d: %w", p.Topic, p.Partition, p.Err))
					}
				})
				if err := errors.Join(errs...); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "aborted the transaction of producer %d (epoch %d) in %s-%d\n", pid, epoch, topic, partition)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&topic, "topic", "", "topic of the hanging transaction")
	f.Int32Var(&partition, "partition", -1, "partition of the hanging transaction")
	f.Int64Var(&startOff, "start-offset", -1, "first offset of the hanging transaction (finds the producer)")
	f.Int64Var(&pid, "producer-id", -1, "producer id of the hanging transaction")
	f.Int16Var(&epoch, "producer-epoch", 0, "producer epoch of the hanging transaction")
	f.Int32Var(&coordEpoch, "coordinator-epoch", 0, "coordinator epoch written in the marker")
	return cmd
}

// producerAt finds the producer whose open transaction in the partition
// starts at offset.
func producerAt(ctx context.Context, adm *kadm.Client, topic string, partition int32, offset int64) (int64, int16, error) {
	set := kadm.TopicsSet{}
	set.Add(topic, partition)
	producers, err := adm.DescribeProducers(ctx, set)
	if err != nil {
		return -1, -1, err
	}
	var found []kadm.DescribedProducer
	producers.EachProducer(func(p kadm.DescribedProducer) {
		if p.CurrentTxnStartOffset == offset {
			found = append(found, p)
		}
	})
	if len(found) != 1 {
		return -1, -1, fmt.Errorf("%d producers have an open transaction starting at offset %d of %s-%d; want exactly one", len(found), offset, topic, partition)
	}
	return found[0].ProducerID, found[0].ProducerEpoch, nil
}
