package main

import (
	"os"
	"testing"
)

// startTestBroker returns the address (host:port) of a Kafka-compatible
// broker for the end-to-end tests in cli_e2e_test.go, stopped by t.Cleanup.
//
// The integrator replaces the body with a real in-process Gregor broker on
// a free port (internal/broker). Until then, GREGOR_E2E_BROKERS runs the
// tests against an external cluster (a throwaway one: the tests create and
// delete topics named cli-e2e-*); without it they are skipped.
func startTestBroker(t *testing.T) (addr string) {
	t.Helper()
	if addr := os.Getenv("GREGOR_E2E_BROKERS"); addr != "" {
		return addr
	}
	t.Skip("broker not available yet")
	return ""
}
