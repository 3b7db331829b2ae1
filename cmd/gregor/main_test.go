package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// cliResult is what one in-process run of the CLI produced.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs the gregor command line in-process with the given stdin and
// an empty environment.
func runCLI(t *testing.T, ctx context.Context, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(string) string { return "" }
	code := run(ctx, args, getenv, strings.NewReader(stdin), &out, &errOut)
	return cliResult{stdout: out.String(), stderr: errOut.String(), code: code}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // substring of stderr
	}{
		{"unknown command", []string{"nope"}, `gregor: gregor: unknown command "nope"`},
		{"unknown topic subcommand", []string{"topic", "frob"}, `unknown command "frob"`},
		{"unknown flag", []string{"topic", "list", "--bogus"}, "unknown flag: --bogus"},
		{"missing topic name", []string{"topic", "create"}, "accepts 1 arg(s), received 0"},
		{"bad config", []string{"topic", "create", "t", "-c", "retention.ms"}, "expected key=value"},
		{"alter nothing", []string{"topic", "alter-config", "t"}, "nothing to change"},
		{"alter set and delete", []string{"topic", "alter-config", "t", "--set", "a=1", "--delete", "a"}, "key given twice"},
		{"add-partitions no total", []string{"topic", "add-partitions", "t"}, "--total"},
		{"bad acks", []string{"produce", "t", "--acks", "2"}, `--acks: "2"`},
		{"bad compression", []string{"produce", "t", "--compression", "brotli"}, "--compression"},
		{"bad header", []string{"produce", "t", "--header", "x"}, "--header"},
		{"bad separator escape", []string{"produce", "t", "--key-separator", `\q`}, "--key-separator"},
		{"bad from", []string{"consume", "t", "--from", "yesterday"}, "--from"},
		{"bad format", []string{"consume", "t", "--format", "%z"}, "unknown format directive %z"},
		{"bad isolation", []string{"consume", "t", "--isolation", "serializable"}, "--isolation"},
		{"group with partition", []string{"consume", "t", "--group", "g", "--partition", "0"}, "cannot be used together"},
		{"negative count", []string{"consume", "t", "-n", "-1"}, "--count"},
		{"version takes no args", []string{"version", "x"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, context.Background(), "", tt.args...)
			if r.code != 2 {
				t.Fatalf("exit code %d, want 2; stderr %q", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("stderr %q does not contain %q", r.stderr, tt.want)
			}
			if !strings.HasPrefix(r.stderr, "gregor: ") || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("stderr %q is not one line starting with %q", r.stderr, "gregor: ")
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, context.Background(), "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "gregor ") {
		t.Fatalf("version: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestHelpWithoutSubcommand(t *testing.T) {
	for _, args := range [][]string{nil, {"topic"}} {
		r := runCLI(t, context.Background(), "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Available Commands") {
			t.Fatalf("%v: code %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

func TestBrokersFromEnvironment(t *testing.T) {
	env := map[string]string{envBrokers: "a:1,b:2"}
	root := newRootCmd(func(k string) string { return env[k] })
	got, err := root.PersistentFlags().GetString("brokers")
	if err != nil || got != "a:1,b:2" {
		t.Fatalf("brokers = %q, %v; want from %s", got, err, envBrokers)
	}
	root = newRootCmd(func(string) string { return "" })
	if got, _ := root.PersistentFlags().GetString("brokers"); got != defaultBrokers {
		t.Fatalf("brokers = %q, want default %q", got, defaultBrokers)
	}
}

func TestSeedBrokers(t *testing.T) {
	got, err := seedBrokers(" a:1, ,b:2 ")
	if err != nil || strings.Join(got, "|") != "a:1|b:2" {
		t.Fatalf("seedBrokers = %v, %v", got, err)
	}
	if _, err := seedBrokers(" , "); err == nil {
		t.Fatal("seedBrokers of nothing: want an error")
	}
}
