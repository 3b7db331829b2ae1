package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// listedGroup is one group of ListGroups v5+, with its type (classic or
// consumer), which kadm's ListGroups leaves out.
type listedGroup struct {
	group, groupType, state, protocolType string
}

// listGroups asks every broker for its groups (ListGroups, filtered by
// state and type) and returns them sorted by name.
func listGroups(ctx context.Context, cl *kgo.Client, states, types []string) ([]listedGroup, error) {
	req := kmsg.NewPtrListGroupsRequest()
	req.StatesFilter, req.TypesFilter = states, types
	var out []listedGroup
	var errs []error
	for _, shard := range cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			errs = append(errs, fmt.Errorf("broker %d: %w", shard.Meta.NodeID, shard.Err))
			continue
		}
		resp := shard.Resp.(*kmsg.ListGroupsResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			errs = append(errs, fmt.Errorf("broker %d: %w", shard.Meta.NodeID, err))
			continue
		}
		for _, g := range resp.Groups {
			t := g.GroupType
			if t == "" {
				t = "classic" // brokers before ListGroups v5 know no other type
			}
			out = append(out, listedGroup{group: g.Group, groupType: t, state: g.GroupState, protocolType: g.ProtocolType})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].group < out[j].group })
	return out, errors.Join(errs...)
}

func printGroupList(w io.Writer, listed []listedGroup) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tTYPE\tSTATE\tPROTOCOL TYPE")
	for _, l := range listed {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.group, l.groupType, l.state, l.protocolType)
	}
	return tw.Flush()
}

// lagRow is one partition line of `group describe`. Offsets are -1 when
// unknown.
type lagRow struct {
	topic                string
	partition            int32
	commit, end, lag     int64
	member, client, host string
	instance             *string
	err                  error
}

// printLagTable prints the header line and one row per partition.
func printLagTable(w io.Writer, header string, rows []lagRow) error {
	fmt.Fprintf(w, "%s\n\n", header)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tMEMBER\tINSTANCE\tCLIENT\tHOST")
	dash := func(v int64) string {
		if v < 0 {
			return "-"
		}
		return fmt.Sprint(v)
	}
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t(error: %v)\t\t\t\n", r.topic, r.partition, r.err)
			continue
		}
		instance := "-"
		if r.instance != nil {
			instance = *r.instance
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.topic, r.partition, dash(r.commit), dash(r.end), dash(r.lag),
			orDash(r.member), instance, orDash(r.client), orDash(r.host))
	}
	return tw.Flush()
}

// describeConsumerGroup describes a KIP-848 consumer group
// (ConsumerGroupDescribe): its members' assigned partitions and every
// committed partition, with end offsets and lag, as describeGroup shows a
// classic group.
func describeConsumerGroup(ctx context.Context, w io.Writer, adm *kadm.Client, group string) error {
	described, err := adm.DescribeConsumerGroups(ctx, group)
	if err != nil {
		return fmt.Errorf("describe consumer group %q: %w", group, err)
	}
	d, ok := described[group]
	if !ok {
		return fmt.Errorf("describe consumer group %q: no answer", group)
	}
	if errors.Is(d.Err, kerr.GroupIDNotFound) {
		return fmt.Errorf("group %q does not exist", group)
	}
	if d.Err != nil {
		return fmt.Errorf("describe consumer group %q: %w", group, d.Err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return fmt.Errorf("fetch offsets of group %q: %w", group, err)
	}
	topics := committed.Partitions()
	owners := map[string]map[int32]*kadm.ConsumerGroupMember{}
	for i := range d.Members {
		m := &d.Members[i]
		for t, ps := range m.Assignment {
			if t == "" {
				continue // a topic the broker no longer knows by name
			}
			if owners[t] == nil {
				owners[t] = map[int32]*kadm.ConsumerGroupMember{}
			}
			for p := range ps {
				topics.Add(t, p)
				owners[t][p] = m
			}
		}
	}
	ends, err := adm.ListEndOffsets(ctx, topics.Topics()...)
	if err != nil {
		return fmt.Errorf("list end offsets: %w", err)
	}
	var rows []lagRow
	for _, tp := range topics.Sorted() {
		for _, p := range tp.Partitions {
			rows = append(rows, consumerLagRow(tp.Topic, p, committed, ends, owners[tp.Topic][p]))
		}
	}
	header := fmt.Sprintf("GROUP %s  STATE %s  PROTOCOL consumer/%s  MEMBERS %d  EPOCH %d", group, d.State, d.AssignorName, len(d.Members), d.Epoch)
	return printLagTable(w, header, rows)
}

// consumerLagRow computes one partition's row the way kadm computes a
// classic group's lag: end minus the commit, or the end offset when
// nothing is committed; never below 0.
func consumerLagRow(topic string, p int32, committed kadm.OffsetResponses, ends kadm.ListedOffsets, owner *kadm.ConsumerGroupMember) lagRow {
	r := lagRow{topic: topic, partition: p, commit: -1, end: -1, lag: -1}
	if c, ok := committed.Lookup(topic, p); ok {
		if c.Err != nil {
			r.err = c.Err
			return r
		}
		r.commit = c.At
	}
	e, ok := ends.Lookup(topic, p)
	switch {
	case !ok:
		r.err = errors.New("no end offset")
		return r
	case e.Err != nil:
		r.err = e.Err
		return r
	}
	r.end = e.Offset
	r.lag = e.Offset
	if r.commit >= 0 {
		r.lag = max(e.Offset-r.commit, 0)
	}
	if owner != nil {
		r.member, r.instance, r.client, r.host = owner.MemberID, owner.InstanceID, owner.ClientID, owner.ClientHost
	}
	return r
}

// consumerGroupMembers returns how many members a KIP-848 consumer group
// has (0 if there is no such group).
func consumerGroupMembers(ctx context.Context, adm *kadm.Client, group string) (int, error) {
	described, err := adm.DescribeConsumerGroups(ctx, group)
	if err != nil {
		return 0, fmt.Errorf("describe consumer group %q: %w", group, err)
	}
	d := described[group]
	if d.Err != nil && !errors.Is(d.Err, kerr.GroupIDNotFound) {
		return 0, fmt.Errorf("describe consumer group %q: %w", group, d.Err)
	}
	return len(d.Members), nil
}
