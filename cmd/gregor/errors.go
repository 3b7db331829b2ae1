package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
)

// errInterrupted is returned by a command that stopped because the user
// pressed Ctrl-C (or the process got SIGTERM) before its work was done.
var errInterrupted = errors.New("interrupted")

// cliError is a failure of a command, rendered as one line:
//
//	<what failed>: <why> (<what to try>)
//
// main prefixes it with "gregor: ".
type cliError struct {
	what string // what failed, e.g. `create topic "orders"`
	err  error  // why; kept for errors.Is/As
	hint string // what to try; may be empty
}

func (e *cliError) Error() string {
	if e.hint == "" {
		return fmt.Sprintf("%s: %v", e.what, e.err)
	}
	return fmt.Sprintf("%s: %v (%s)", e.what, e.err, e.hint)
}

func (e *cliError) Unwrap() error { return e.err }

// usageError is a mistake in the command line itself (bad flag, wrong number
// of arguments, invalid flag value). It makes the process exit with code 2.
type usageError struct {
	cmdPath string // e.g. "gregor topic create"
	err     error
}

func (e *usageError) Error() string {
	return fmt.Sprintf("%s: %v (see '%s --help')", e.cmdPath, e.err, e.cmdPath)
}

func (e *usageError) Unwrap() error { return e.err }

// failure wraps err as a cliError, choosing a hint from the error's kind.
// brokers is the --brokers value, used in connection hints.
func failure(what string, err error, brokers string) error {
	return &cliError{what: what, err: err, hint: hintFor(err, brokers)}
}

// hintFor suggests what the user can try after err; "" when nothing useful.
func hintFor(err error, brokers string) string {
	var netErr net.Error
	switch {
	case errors.Is(err, errInterrupted), errors.Is(err, context.Canceled):
		return ""
	case errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr):
		return fmt.Sprintf("is a broker reachable at %s? set --brokers or GREGOR_BROKERS", brokers)
	case errors.Is(err, kerr.TopicAlreadyExists):
		return "use --if-not-exists to ignore this"
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		return "check the name with 'gregor topic list'"
	case errors.Is(err, kerr.InvalidReplicationFactor):
		return "use -r with at most the number of brokers, or -1 for the broker default"
	case errors.Is(err, kerr.InvalidPartitions):
		return "use -p with a positive count, or -1 for the broker default"
	case errors.Is(err, kerr.InvalidConfig):
		return "check the config names and values given with -c/--set"
	case errors.Is(err, kerr.InvalidTopicException):
		return "topic names are 1-249 characters of [a-zA-Z0-9._-]"
	case errors.Is(err, kerr.TopicAuthorizationFailed),
		errors.Is(err, kerr.ClusterAuthorizationFailed),
		errors.Is(err, kerr.GroupAuthorizationFailed):
		return "ask an administrator for the needed ACL"
	}
	return ""
}

// exitCode maps the error a command returned to the process exit code:
// 0 for nil, 2 for usage errors, 1 for everything else.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}
