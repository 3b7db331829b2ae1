package main

import "github.com/spf13/cobra"

// newServeCmd returns the `gregor serve` command, which runs a broker.
func newServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run a Gregor broker",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd, args)
		},
	}
}

func runServe(cmd *cobra.Command, args []string) error { return nil }
