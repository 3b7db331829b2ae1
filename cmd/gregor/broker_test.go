package main

import (
	"os"
	"testing"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// startTestBroker starts a real in-process Gregor broker on a free port for
// the end-to-end tests in cli_e2e_test.go; it stops when the test ends.
// GREGOR_E2E_BROKERS=host:port runs them against another cluster instead
// (a throwaway one: the tests create and delete topics named cli-e2e-*),
// which is how the CLI is checked against Apache Kafka.
func startTestBroker(t *testing.T) (addr string) {
	t.Helper()
	if addr := os.Getenv("GREGOR_E2E_BROKERS"); addr != "" {
		return addr
	}
	return brokertest.Start(t, brokertest.Options{}).Addr()
}
