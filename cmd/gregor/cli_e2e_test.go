package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// e2e runs CLI commands against one test broker.
type e2e struct {
	t    *testing.T
	addr string
}

func newE2E(t *testing.T) *e2e {
	return &e2e{t: t, addr: startTestBroker(t)}
}

// topicName is a topic name unique to the running test.
func (e *e2e) topicName(suffix string) string {
	name := "cli-e2e-" + strings.ToLower(e.t.Name()) + "-" + suffix
	return regexp.MustCompile(`[^a-z0-9._-]`).ReplaceAllString(name, "-")
}

// run runs one command (with --brokers prepended) and returns its output.
func (e *e2e) run(stdin string, args ...string) cliResult {
	e.t.Helper()
	return runCLI(e.t, context.Background(), stdin, append([]string{"-b", e.addr}, args...)...)
}

// ok runs one command and fails the test unless it exits 0.
func (e *e2e) ok(stdin string, args ...string) cliResult {
	e.t.Helper()
	r := e.run(stdin, args...)
	if r.code != 0 {
		e.t.Fatalf("gregor %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fails runs one command and fails the test unless it exits 1 with a
// one-line error containing want.
func (e *e2e) fails(want string, args ...string) {
	e.t.Helper()
	r := e.run("", args...)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "gregor: ") || !strings.Contains(r.stderr, want) {
		e.t.Fatalf("gregor %s: exit %d, stderr %q; want exit 1 and %q", strings.Join(args, " "), r.code, r.stderr, want)
	}
}

// createTopic creates a topic with n partitions and deletes it at cleanup.
func (e *e2e) createTopic(suffix string, n int) string {
	e.t.Helper()
	name := e.topicName(suffix)
	e.ok("", "topic", "create", name, "-p", strconv.Itoa(n), "-r", "1")
	e.t.Cleanup(func() { e.run("", "topic", "delete", name, "--if-exists") })
	return name
}

// lines splits output into lines, without the final empty one.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// offsets parses consume output in format "%o %T\n" (or just "%o\n").
func offsets(t *testing.T, out string) (offs, stamps []int64) {
	t.Helper()
	for _, l := range lines(out) {
		fields := strings.Fields(l)
		o, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			t.Fatalf("bad offset line %q", l)
		}
		offs = append(offs, o)
		if len(fields) > 1 {
			ts, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatalf("bad timestamp line %q", l)
			}
			stamps = append(stamps, ts)
		}
	}
	return offs, stamps
}

func wantRange(t *testing.T, got []int64, from, to int64) {
	t.Helper()
	if int64(len(got)) != to-from {
		t.Fatalf("got %d offsets %v, want [%d, %d)", len(got), got, from, to)
	}
	for i, o := range got {
		if o != from+int64(i) {
			t.Fatalf("offset #%d = %d, want %d (all: %v)", i, o, from+int64(i), got)
		}
	}
}

func TestE2ETopicLifecycle(t *testing.T) {
	e := newE2E(t)
	name := e.topicName("life")
	t.Cleanup(func() { e.run("", "topic", "delete", name, "--if-exists") })

	r := e.ok("", "topic", "create", name, "-p", "3", "-r", "1", "-c", "retention.ms=123456")
	if !strings.Contains(r.stdout, fmt.Sprintf("created topic %q (3 partitions", name)) {
		t.Fatalf("create output %q", r.stdout)
	}
	e.fails("TOPIC_ALREADY_EXISTS", "topic", "create", name)
	e.ok("", "topic", "create", name, "--if-not-exists")

	other := e.topicName("validate")
	e.ok("", "topic", "create", other, "-p", "1", "--validate-only")

	list := e.ok("", "topic", "list").stdout
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+3\s+1\s+\S+$`).MatchString(list) {
		t.Fatalf("list has no row for %s with 3 partitions, RF 1:\n%s", name, list)
	}
	if strings.Contains(list, other) {
		t.Fatalf("--validate-only created %s:\n%s", other, list)
	}

	desc := e.ok("", "topic", "describe", name).stdout
	for _, want := range []string{"topic:     " + name, "partitions: 3", "PARTITION", "retention.ms", "123456"} {
		if !strings.Contains(desc, want) {
			t.Fatalf("describe lacks %q:\n%s", want, desc)
		}
	}

	e.ok("", "topic", "alter-config", name, "--set", "retention.ms=999000")
	if desc := e.ok("", "topic", "describe", name).stdout; !strings.Contains(desc, "999000") {
		t.Fatalf("after --set, describe lacks 999000:\n%s", desc)
	}
	e.ok("", "topic", "alter-config", name, "--delete", "retention.ms")
	if desc := e.ok("", "topic", "describe", name).stdout; strings.Contains(desc, "retention.ms") {
		t.Fatalf("after --delete, retention.ms is still not default:\n%s", desc)
	}
	if desc := e.ok("", "topic", "describe", name, "--all-configs").stdout; !strings.Contains(desc, "retention.ms") {
		t.Fatalf("--all-configs lacks retention.ms:\n%s", desc)
	}

	e.ok("", "topic", "add-partitions", name, "--total", "5")
	if desc := e.ok("", "topic", "describe", name).stdout; !strings.Contains(desc, "partitions: 5") {
		t.Fatalf("after add-partitions:\n%s", desc)
	}

	e.ok("", "topic", "delete", name)
	e.fails("UNKNOWN_TOPIC_OR_PARTITION", "topic", "delete", name)
	e.ok("", "topic", "delete", name, "--if-exists")
	e.fails("UNKNOWN_TOPIC_OR_PARTITION", "topic", "describe", name)
}

func TestE2EProduceConsumeKeys(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("keys", 3)

	var in strings.Builder
	want := make([]string, 0, 1000)
	for i := range 1000 {
		fmt.Fprintf(&in, "key-%d:value %d\n", i%37, i)
		want = append(want, fmt.Sprintf("key-%d=value %d|src=e2e", i%37, i))
	}
	r := e.ok(in.String(), "produce", topic, "--key-separator", ":", "--header", "src=e2e", "--compression", "zstd")
	if !strings.Contains(r.stderr, "produced 1000 records to "+topic) {
		t.Fatalf("produce summary: %q", r.stderr)
	}

	r = e.ok("", "consume", topic, "--from", "earliest", "--until-end", "--format", `%k=%v|%h|%p\n`)
	if !strings.Contains(r.stderr, "consumed 1000 records from "+topic) {
		t.Fatalf("consume summary: %q", r.stderr)
	}
	got := lines(r.stdout)
	keyPart := map[string]string{} // a key always goes to one partition
	for i, l := range got {
		parts := strings.Split(l, "|") // key=value, headers, partition
		if len(parts) != 3 {
			t.Fatalf("bad output line %q", l)
		}
		key, _, _ := strings.Cut(parts[0], "=")
		if p, ok := keyPart[key]; ok && p != parts[2] {
			t.Fatalf("key %s in partitions %s and %s", key, p, parts[2])
		}
		keyPart[key] = parts[2]
		got[i] = parts[0] + "|" + parts[1]
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("consumed records differ from produced: got %d lines, want %d", len(got), len(want))
	}

	if r := e.ok("", "consume", topic, "--from", "earliest", "-n", "10"); len(lines(r.stdout)) != 10 {
		t.Fatalf("-n 10 printed %d lines", len(lines(r.stdout)))
	}
}

func TestE2EConsumePositions(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("pos", 1)
	e.ok(strings.Repeat("x\n", 1000), "produce", topic)

	all := e.ok("", "consume", topic, "--from", "earliest", "--until-end", "--format", `%o %T\n`).stdout
	offs, stamps := offsets(t, all)
	wantRange(t, offs, 0, 1000)

	// --from @T starts at the first record stamped at or after T. The
	// producer stamps records in order, so that is the first index whose
	// stamp is >= T.
	ts := stamps[500]
	first := int64(sort.Search(len(stamps), func(i int) bool { return stamps[i] >= ts }))
	out := e.ok("", "consume", topic, "--from", "@"+strconv.FormatInt(ts, 10), "--until-end", "--format", `%o\n`).stdout
	got, _ := offsets(t, out)
	wantRange(t, got, first, 1000)

	out = e.ok("", "consume", topic, "--from", "@"+strconv.FormatInt(stamps[999]+60_000, 10), "--until-end").stdout
	if out != "" {
		t.Fatalf("--from a future timestamp printed %q", out)
	}

	got, _ = offsets(t, e.ok("", "consume", topic, "--from", "-5", "--until-end", "--format", `%o\n`).stdout)
	wantRange(t, got, 995, 1000)
	got, _ = offsets(t, e.ok("", "consume", topic, "--from", "990", "--until-end", "--format", `%o\n`).stdout)
	wantRange(t, got, 990, 1000)
	got, _ = offsets(t, e.ok("", "consume", topic, "--from", "-5000", "--until-end", "--format", `%o\n`).stdout)
	wantRange(t, got, 0, 1000)
}

func TestE2EUntilEndStops(t *testing.T) {
	e := newE2E(t)
	empty := e.createTopic("empty", 2)
	r := e.ok("", "consume", empty, "--from", "earliest", "--until-end")
	if r.stdout != "" || !strings.Contains(r.stderr, "consumed 0 records from "+empty) {
		t.Fatalf("empty topic: stdout %q stderr %q", r.stdout, r.stderr)
	}

	topic := e.createTopic("partial", 2)
	e.ok("a\nb\nc\n", "produce", topic, "--partition", "1")
	r = e.ok("", "consume", topic, "--from", "earliest", "--until-end", "--partition", "1", "--format", `%p:%v\n`)
	if r.stdout != "1:a\n1:b\n1:c\n" {
		t.Fatalf("partition 1 until end: %q", r.stdout)
	}
	// Records produced after consume started are past the end it saw: from
	// latest, --until-end stops at once.
	if r := e.ok("", "consume", topic, "--until-end"); r.stdout != "" {
		t.Fatalf("--from latest --until-end printed %q", r.stdout)
	}
	e.fails("no such partition", "consume", topic, "--partition", "7", "--until-end")
}

func TestE2EConsumeGroupCommits(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("group", 1)
	e.ok(strings.Repeat("v\n", 100), "produce", topic)
	group := e.topicName("g")

	got, _ := offsets(t, e.ok("", "consume", topic, "--group", group, "--from", "earliest", "-n", "10", "--format", `%o\n`).stdout)
	wantRange(t, got, 0, 10)
	got, _ = offsets(t, e.ok("", "consume", topic, "--group", group, "--from", "earliest", "--until-end", "--format", `%o\n`).stdout)
	wantRange(t, got, 10, 100)
}

// cancelWriter cancels a context at its first write: a user pressing Ctrl-C
// while records are printing.
type cancelWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel()
	return w.buf.Write(p)
}

func TestE2EConsumeInterrupted(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("ctrlc", 1)
	e.ok(strings.Repeat("v\n", 100), "produce", topic)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelWriter{cancel: cancel}
	var errOut bytes.Buffer
	code := run(ctx, []string{"-b", e.addr, "consume", topic, "--from", "earliest"},
		func(string) string { return "" }, strings.NewReader(""), out, &errOut)
	if code != 0 || !strings.Contains(errOut.String(), "consumed ") {
		t.Fatalf("interrupted consume: exit %d, stderr %q", code, errOut.String())
	}
}

func TestE2EProduceUnknownPartitionFails(t *testing.T) {
	e := newE2E(t)
	topic := e.createTopic("badpart", 1)
	r := e.run("x\n", "produce", topic, "--partition", "9")
	if r.code != 1 || !strings.Contains(r.stderr, "1 of 1 records failed, first error: ") {
		t.Fatalf("produce to a missing partition: exit %d, stderr %q", r.code, r.stderr)
	}
}
