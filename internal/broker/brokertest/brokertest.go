// Package brokertest starts real Gregor brokers for tests: on a free
// loopback port, with a temporary data directory, stopped when the test
// ends. Nothing is mocked: clients talk to the real server.
package brokertest

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/gregor-streaming/gregor/internal/broker"
	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/fs"
)

// Options tune a test broker.
type Options struct {
	// Dir is the data directory; "" means a new t.TempDir().
	Dir string
	// FS is the filesystem; nil means the OS.
	FS fs.FS
	// Props are extra Kafka properties (name -> value).
	Props map[string]string
}

// Start starts a broker and registers its shutdown with t.Cleanup. Set
// GREGOR_TEST_LOG=1 to see its logs.
func Start(t testing.TB, o Options) *broker.Broker {
	t.Helper()
	b, err := TryStart(t, o)
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TryStart starts a broker without registering cleanup.
func TryStart(t testing.TB, o Options) (*broker.Broker, error) {
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	props := map[string]string{
		"listeners": "PLAINTEXT://127.0.0.1:0",
		"log.dirs":  o.Dir,
	}
	for k, v := range o.Props {
		props[k] = v
	}
	cfg, _, err := config.Load("", nil, props)
	if err != nil {
		return nil, err
	}
	return broker.Start(cfg, broker.Options{FS: o.FS, Logger: Logger()})
}

// Logger discards logs unless GREGOR_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("GREGOR_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
