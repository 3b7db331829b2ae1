package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestE2EGroupCommands drives gregor group list/describe/seek/delete
// against a real broker.
func TestE2EGroupCommands(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("grp", 1)
	e.ok(strings.Repeat("v\n", 10), "produce", topic)
	group := e.topicName("g")
	e.ok("", "consume", topic, "--group", group, "--from", "earliest", "-n", "4")

	if out := e.ok("", "group", "list").stdout; !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(group) + `\s+Empty\s+consumer$`).MatchString(out) {
		t.Fatalf("group list:\n%s", out)
	}
	if out := e.ok("", "group", "list", "--state", "Stable").stdout; strings.Contains(out, group) {
		t.Fatalf("group list --state Stable:\n%s", out)
	}
	row := func() string {
		out := e.ok("", "group", "describe", group).stdout
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, topic+" ") {
				return strings.Join(strings.Fields(l)[:5], " ")
			}
		}
		t.Fatalf("group describe has no row for %s:\n%s", topic, out)
		return ""
	}
	if got, want := row(), topic+" 0 4 10 6"; got != want {
		t.Fatalf("describe: %q, want %q", got, want)
	}
	e.ok("", "group", "seek", group, "--to", "earliest")
	if got, want := row(), topic+" 0 0 10 10"; got != want {
		t.Fatalf("after seek earliest: %q, want %q", got, want)
	}
	e.ok("", "group", "seek", group, "--to", "7", "--topic", topic+":0")
	if got, want := row(), topic+" 0 7 10 3"; got != want {
		t.Fatalf("after seek 7: %q, want %q", got, want)
	}
	if out := e.ok("", "group", "seek", group, "--to", "latest", "--dry-run").stdout; !strings.Contains(out, "10") {
		t.Fatalf("dry run:\n%s", out)
	}
	if got, want := row(), topic+" 0 7 10 3"; got != want {
		t.Fatalf("a dry run committed: %q", got)
	}
	// consume resumes from the sought offset.
	if out := e.ok("", "consume", topic, "--group", group, "--until-end", "--format", `%o\n`).stdout; out != "7\n8\n9\n" {
		t.Fatalf("consume after seek: %q", out)
	}
	e.ok("", "group", "delete", group)
	e.fails("does not exist", "group", "describe", group)
	e.fails("GROUP_ID_NOT_FOUND", "group", "delete", group)
}
