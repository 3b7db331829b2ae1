package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

func TestCliErrorLine(t *testing.T) {
	err := failure(`create topic "t"`, kerr.TopicAlreadyExists, "localhost:9092")
	want := `create topic "t": TOPIC_ALREADY_EXISTS: Topic with this name already exists. (use --if-not-exists to ignore this)`
	if err.Error() != want {
		t.Fatalf("got  %q\nwant %q", err.Error(), want)
	}
	if !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Fatal("the kerr error is lost from the chain")
	}
	if exitCode(err) != 1 {
		t.Fatalf("exit code %d, want 1", exitCode(err))
	}
}

func TestHints(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "is a broker reachable at b:1? set --brokers or GREGOR_BROKERS"},
		{context.DeadlineExceeded, "is a broker reachable at b:1? set --brokers or GREGOR_BROKERS"},
		{kerr.UnknownTopicOrPartition, "check the name with 'gregor topic list'"},
		{kerr.InvalidReplicationFactor, "use -r with at most the number of brokers, or -1 for the broker default"},
		{errInterrupted, ""},
		{errors.New("other"), ""},
	}
	for _, tt := range tests {
		if got := hintFor(tt.err, "b:1"); got != tt.want {
			t.Errorf("hintFor(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	if exitCode(nil) != 0 {
		t.Fatal("nil error: want 0")
	}
	ue := &usageError{cmdPath: "gregor x", err: errors.New("bad")}
	if exitCode(fmt.Errorf("wrapped: %w", ue)) != 2 {
		t.Fatal("usage error: want 2")
	}
}
