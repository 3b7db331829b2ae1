package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

const (
	defaultBrokers = "localhost:9092"
	envBrokers     = "GREGOR_BROKERS"
)

// globals holds the values of the root command's persistent flags.
type globals struct {
	brokers  string // comma-separated host:port list
	clientID string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore default handling so a second
		// Ctrl-C kills a command that is slow to stop.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the gregor command line args and returns the process exit
// code. Errors are printed to stderr as one line "gregor: ...". getenv is
// os.Getenv in production and a map lookup in tests.
func run(ctx context.Context, args []string, getenv func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(getenv)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "gregor: %v\n", err)
	}
	return exitCode(err)
}

// newRootCmd builds the whole command tree. Nothing in it touches process
// globals (os.Args, os.Stdin, environment) except through getenv and the
// cobra command's in/out/err streams, so tests can run it in-process.
func newRootCmd(getenv func(string) string) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "gregor",
		Short:         "Gregor: a Kafka-compatible event streaming broker and its client tools",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noSubcommandArgs,
		RunE:          helpOrUnknown,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{cmdPath: c.CommandPath(), err: err}
	})
	brokers := defaultBrokers
	if v := getenv(envBrokers); v != "" {
		brokers = v
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.brokers, "brokers", "b", brokers,
		"comma-separated bootstrap brokers host:port (env "+envBrokers+")")
	pf.StringVar(&g.clientID, "client-id", "gregor-cli", "client id sent to the brokers")

	root.AddCommand(
		newServeCmd(),
		newTopicCmd(g),
		newProduceCmd(g),
		newConsumeCmd(g),
		newGroupCmd(g),
		newTxnCmd(g),
		newClusterCmd(g),
		newVersionCmd(),
		newBenchCmd(g),
	)
	return root
}

// noSubcommandArgs lets a parent command (root, topic) reach its RunE with
// stray arguments, so helpOrUnknown can report them as a usage error instead
// of cobra printing its own message.
func noSubcommandArgs(*cobra.Command, []string) error { return nil }

// helpOrUnknown is the RunE of parent commands: without arguments it prints
// help; with an argument that is not a subcommand it is a usage error.
func helpOrUnknown(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{cmdPath: cmd.CommandPath(),
			err: fmt.Errorf("unknown command %q", args[0])}
	}
	return cmd.Help()
}

// usageArgs wraps a cobra positional-argument validator so that its failures
// are usage errors (exit code 2).
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &usageError{cmdPath: cmd.CommandPath(), err: err}
		}
		return nil
	}
}

// badUsage returns a usage error for cmd.
func badUsage(cmd *cobra.Command, format string, a ...any) error {
	return &usageError{cmdPath: cmd.CommandPath(), err: fmt.Errorf(format, a...)}
}
