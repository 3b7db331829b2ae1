package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gregor-streaming/gregor/internal/broker"
	"github.com/gregor-streaming/gregor/internal/config"
)

// serveFlags are `gregor serve`'s flags; each maps to a Kafka property.
type serveFlags struct {
	configFile string
	listen     string
	advertise  string
	dataDir    string
	nodeID     int
	voters     string
	ctlListen  string
	roles      string
	overrides  []string
	logLevel   string
	pprof      string
}

// newServeCmd returns the `gregor serve` command, which runs a broker.
func newServeCmd() *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Gregor broker",
		Long: `Run a Gregor broker. With no flags it listens on localhost:9092 and keeps
its data in the default data dir. Configuration comes from a Kafka-style
properties file (--config), GREGOR_* environment variables (e.g.
GREGOR_LOG_RETENTION_MS), and flags, in increasing precedence.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configFile, "config", "", "Kafka-style server.properties file")
	fl.StringVar(&f.listen, "listen", "", "address to listen on, host:port (sets listeners=PLAINTEXT://host:port)")
	fl.StringVar(&f.advertise, "advertise", "", "address clients should connect to, host:port (sets advertised.listeners)")
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory (sets log.dirs)")
	fl.IntVar(&f.nodeID, "node-id", -1, "node id (sets node.id)")
	fl.StringVar(&f.voters, "controller-voters", "", "the metadata quorum's voters, id@host:port,... (sets controller.quorum.voters)")
	fl.StringVar(&f.ctlListen, "controller-listen", "", "address for the quorum's traffic, host:port (adds CONTROLLER://host:port to listeners); default: this node's entry in --controller-voters")
	fl.StringVar(&f.roles, "roles", "", "process.roles: broker,controller (default), broker (a broker-only node: follows the quorum as a non-voting learner), or controller (a controller-only node: votes, serves no clients)")
	fl.StringArrayVar(&f.overrides, "override", nil, "set any property, name=value (repeatable)")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.StringVar(&f.pprof, "pprof", "", "serve Go's pprof endpoints (/debug/pprof/) on this host:port, for profiling")
	return cmd
}

func (f *serveFlags) properties() (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range f.overrides {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--override %q: want name=value", kv)
		}
		m[strings.TrimSpace(k)] = v
	}
	if f.listen != "" {
		m["listeners"] = "PLAINTEXT://" + f.listen
	}
	if f.voters != "" {
		m["controller.quorum.voters"] = f.voters
	}
	if f.ctlListen != "" {
		ls := m["listeners"]
		if ls == "" {
			ls = "PLAINTEXT://localhost:9092"
		}
		m["listeners"] = ls + ",CONTROLLER://" + f.ctlListen
		m["controller.listener.names"] = "CONTROLLER"
	}
	if f.roles != "" {
		m["process.roles"] = f.roles
	}
	if f.advertise != "" {
		m["advertised.listeners"] = "PLAINTEXT://" + f.advertise
	}
	if f.dataDir != "" {
		m["log.dirs"] = f.dataDir
	}
	if f.nodeID >= 0 {
		m["node.id"] = fmt.Sprint(f.nodeID)
	}
	return m, nil
}

func runServe(cmd *cobra.Command, f *serveFlags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return &usageError{cmdPath: cmd.CommandPath(), err: fmt.Errorf("--log-level %q: %v", f.logLevel, err)}
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	overrides, err := f.properties()
	if err != nil {
		return &usageError{cmdPath: cmd.CommandPath(), err: err}
	}
	cfg, warnings, err := config.Load(f.configFile, os.Environ(), overrides)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		logger.Warn(w)
	}
	b, err := broker.Start(cfg, broker.Options{Logger: logger})
	if err != nil {
		return err
	}
	if f.pprof != "" {
		stopPprof, err := servePprof(f.pprof, logger)
		if err != nil {
			b.Close()
			return err
		}
		defer stopPprof()
	}
	if b.Addr() == "" {
		fmt.Fprintf(cmd.OutOrStdout(), "gregor %s: controller %d (no broker listener), data in %s\n", version, cfg.NodeID, b.DataDir())
	} else {
		fmt.Fprintf(cmd.OutOrStdout(), "gregor %s: broker %d listening on %s, data in %s\n", version, cfg.NodeID, b.Addr(), b.DataDir())
	}
	<-cmd.Context().Done()
	logger.Info("shutting down")
	return b.Close()
}
