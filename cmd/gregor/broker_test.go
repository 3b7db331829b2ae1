package main

import (
	"testing"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// startTestBroker starts a real in-process Gregor broker on a free port for
// the end-to-end tests in cli_e2e_test.go; it stops when the test ends.
func startTestBroker(t *testing.T) (addr string) {
	t.Helper()
	return brokertest.Start(t, brokertest.Options{}).Addr()
}
