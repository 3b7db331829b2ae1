package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestE2EGroupCommands drives gregor group list/describe/seek/delete
// against a real broker.
func TestE2EGroupCommands(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("grp", 1)
	e.ok(strings.Repeat("v\n", 10), "produce", topic)
	group := e.topicName("g")
	e.ok("", "consume", topic, "--group", group, "--from", "earliest", "-n", "4")

	if out := e.ok("", "group", "list").stdout; !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(group) + `\s+classic\s+Empty\s+consumer$`).MatchString(out) {
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

// TestE2EGroupConsumerProtocol: list and describe show a KIP-848
// consumer group (kgo's server-side-assignor consumer) with its type,
// members, assigned partitions, committed and end offsets and lag; seek
// refuses it while it has members; delete removes it once empty.
func TestE2EGroupConsumerProtocol(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("g848", 2)
	e.ok(strings.Repeat("v\n", 10), "produce", topic)
	group := e.topicName("g")
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.Balancers(kgo.RangeBalancer()), kgo.ServerSideBalancer(), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ClientID("cli-848"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for n := 0; n < 10; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		n += fs.NumRecords()
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	member, _ := cl.GroupMetadata()

	if out := e.ok("", "group", "list").stdout; !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(group) + `\s+consumer\s+Stable\s+consumer$`).MatchString(out) {
		t.Fatalf("group list:\n%s", out)
	}
	if out := e.ok("", "group", "list", "--type", "classic").stdout; strings.Contains(out, group) {
		t.Fatalf("group list --type classic:\n%s", out)
	}
	// rows returns the describe header and each partition's columns
	// TOPIC PARTITION COMMITTED END LAG MEMBER.
	rows := func() (string, []string) {
		out := e.ok("", "group", "describe", group).stdout
		var rs []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, topic+" ") {
				rs = append(rs, strings.Join(strings.Fields(l)[:6], " "))
			}
		}
		return strings.SplitN(out, "\n", 2)[0], rs
	}
	header, rs := rows()
	if !strings.Contains(header, "STATE Stable  PROTOCOL consumer/range  MEMBERS 1") || len(rs) != 2 {
		t.Fatalf("describe:\n%s\n%s", header, strings.Join(rs, "\n"))
	}
	ends := 0
	for _, r := range rs {
		f := strings.Fields(r)
		if f[3] != "0" && f[2] != f[3] || f[4] != "0" || f[5] != member {
			t.Fatalf("row %q: want committed = end, lag 0, member %s", r, member)
		}
		n, err := strconv.Atoi(f[3])
		if err != nil {
			t.Fatalf("row %q: %v", r, err)
		}
		ends += n
	}
	if ends != 10 {
		t.Fatalf("end offsets sum to %d, want 10: %v", ends, rs)
	}
	e.fails("active members", "group", "seek", group, "--to", "earliest")

	cl.Close() // leaves the group
	e.ok("", "group", "seek", group, "--to", "earliest")
	header, rs = rows()
	if !strings.Contains(header, "STATE Empty") || len(rs) == 0 {
		t.Fatalf("describe after leaving:\n%s\n%s", header, strings.Join(rs, "\n"))
	}
	for _, r := range rs {
		if f := strings.Fields(r); f[2] != "0" || f[4] != f[3] || f[5] != "-" {
			t.Fatalf("row %q after seek earliest: want committed 0, lag = end, no member", r)
		}
	}
	e.ok("", "group", "delete", group)
	e.fails("does not exist", "group", "describe", group)
}
