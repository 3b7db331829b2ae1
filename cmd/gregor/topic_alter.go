package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

type alterConfigFlags struct {
	set    []string
	delete []string
}

func newTopicAlterConfigCmd(g *globals) *cobra.Command {
	f := &alterConfigFlags{}
	cmd := &cobra.Command{
		Use:   "alter-config NAME --set k=v ... --delete k ...",
		Short: "Set or delete topic configs (IncrementalAlterConfigs)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			alters, err := f.alterations()
			if err != nil {
				return badUsage(cmd, "%v", err)
			}
			return runAlterConfig(cmd, g, args[0], alters)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.set, "set", nil, "set config key=value (repeatable)")
	fl.StringArrayVar(&f.delete, "delete", nil, "delete config key, restoring its default (repeatable)")
	return cmd
}

// alterations turns the flags into incremental alter operations. A key may
// appear once across --set and --delete.
func (f *alterConfigFlags) alterations() ([]kadm.AlterConfig, error) {
	sets, err := parseKeyValues(f.set, false)
	if err != nil {
		return nil, fmt.Errorf("--set: %w", err)
	}
	seen := make(map[string]bool)
	var out []kadm.AlterConfig
	for _, kv := range sets {
		v := kv.value
		seen[kv.key] = true
		out = append(out, kadm.AlterConfig{Op: kadm.SetConfig, Name: kv.key, Value: &v})
	}
	for _, k := range f.delete {
		switch {
		case k == "":
			return nil, fmt.Errorf("--delete: %w", errEmptyKey)
		case seen[k]:
			return nil, fmt.Errorf("--delete: %q: %w", k, errDuplicateKey)
		}
		seen[k] = true
		out = append(out, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("nothing to change: give --set k=v or --delete k")
	}
	return out, nil
}

func runAlterConfig(cmd *cobra.Command, g *globals, name string, alters []kadm.AlterConfig) error {
	err := g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
		rs, err := adm.AlterTopicConfigs(ctx, alters, name)
		if err != nil {
			return err
		}
		r, err := rs.On(name, nil)
		if err != nil {
			return err
		}
		return withMessage(r.Err, r.ErrMessage)
	})
	if err != nil {
		return failure(fmt.Sprintf("alter configs of topic %q", name), err, g.brokers)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "altered %d configs of topic %q\n", len(alters), name)
	return err
}

func newTopicAddPartitionsCmd(g *globals) *cobra.Command {
	var total int
	cmd := &cobra.Command{
		Use:   "add-partitions NAME --total N",
		Short: "Grow a topic to N partitions in total",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if total <= 0 {
				return badUsage(cmd, "--total: give the new total number of partitions (> 0)")
			}
			return runAddPartitions(cmd, g, args[0], total)
		},
	}
	cmd.Flags().IntVar(&total, "total", 0, "the number of partitions the topic should have afterwards")
	return cmd
}

func runAddPartitions(cmd *cobra.Command, g *globals, name string, total int) error {
	err := g.withAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
		rs, err := adm.UpdatePartitions(ctx, total, name)
		if err != nil {
			return err
		}
		r, err := rs.On(name, nil)
		if err != nil {
			return err
		}
		return withMessage(r.Err, r.ErrMessage)
	})
	if err != nil {
		return failure(fmt.Sprintf("add partitions to topic %q", name), err, g.brokers)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "topic %q now has %d partitions\n", name, total)
	return err
}
