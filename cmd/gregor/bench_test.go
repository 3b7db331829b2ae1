package main

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := &histogram{}
	var exact []int64
	for range 100000 {
		// A long tail: microseconds to seconds.
		v := int64(rng.ExpFloat64() * float64(rng.IntN(3)+1) * 1e6)
		exact = append(exact, v)
		h.record(time.Duration(v))
	}
	slices.Sort(exact)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := exact[int(q*float64(len(exact)))-1]
		got := int64(h.quantile(q))
		if got < want || float64(got-want) > 0.016*float64(want)+1 {
			t.Errorf("q%.3f: got %d, want %d within +1.6%%", q, got, want)
		}
	}
	if s := h.summary(); s.Count != 100000 || s.Max != float64(exact[len(exact)-1])/1e6 {
		t.Errorf("summary %+v", s)
	}
}

func TestHistogramBuckets(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1 << 20, 1<<40 + 12345, 1<<62 + 1, 1<<63 - 1} {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("value %d: bucket %d out of range", v, i)
		}
		if up := histUpper(i); up < v || (i > 0 && histUpper(i-1) >= v) {
			t.Errorf("value %d: bucket %d spans (%d, %d]", v, i, histUpper(i-1), up)
		}
	}
	if (&histogram{}).quantile(0.5) != 0 {
		t.Error("empty histogram: quantile not 0")
	}
}

// benchJSON runs one bench command with --json and decodes its summary.
func (e *e2e) benchJSON(args ...string) benchResult {
	e.t.Helper()
	r := e.ok("", append(append([]string{"bench"}, args...), "--json")...)
	var res benchResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		e.t.Fatalf("bench %s: summary %q: %v", strings.Join(args, " "), r.stdout, err)
	}
	return res
}

func TestBenchProduceConsume(t *testing.T) {
	e := newE2E(t)
	topic := e.topicName("pc")
	t.Cleanup(func() { e.run("", "topic", "delete", topic, "--if-exists") })
	p := e.benchJSON("produce", "--topic", topic, "--partitions", "3", "--count", "3000", "--record-size", "100", "--producers", "2")
	if p.Records != 3000 || p.Bytes != 300000 || p.Partitions != 3 || p.Latency == nil || p.Latency.Count != 3000 {
		t.Fatalf("produce summary %+v", p)
	}
	c := e.benchJSON("consume", "--topic", topic, "--consumers", "2")
	if c.Records != 3000 || c.Bytes != 300000 || c.Partitions != 3 {
		t.Fatalf("consume summary %+v", c)
	}
	// --count stops early; a second produce appends to the same topic.
	e.benchJSON("produce", "--topic", topic, "--count", "100", "--rate", "1000", "--acks", "1", "--idempotent=false", "--compression", "zstd")
	if c := e.benchJSON("consume", "--topic", topic, "--count", "500"); c.Records < 500 || c.Records > 3100 {
		t.Fatalf("consume --count 500: %+v", c)
	}
}

func TestBenchE2E(t *testing.T) {
	e := newE2E(t)
	topic := e.topicName("e2e")
	t.Cleanup(func() { e.run("", "topic", "delete", topic, "--if-exists") })
	r := e.benchJSON("e2e", "--topic", topic, "--partitions", "2", "--rate", "2000", "--count", "1000", "--warmup", "0s", "--record-size", "64")
	if r.Records != 1000 || r.Latency == nil || r.Latency.Count != 1000 {
		t.Fatalf("e2e summary %+v", r)
	}
	if l := r.Latency; l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
		t.Fatalf("latency percentiles out of order: %+v", l)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "produce"},
		{"bench", "produce", "--count", "1", "--acks", "1"},
		{"bench", "produce", "--count", "1", "--producers", "0"},
		{"bench", "e2e", "--rate", "0"},
		{"bench", "e2e", "--rate", "10", "--record-size", "4"},
		{"bench", "consume", "--consumers", "0"},
		{"bench", "produce", "--count", "1", "--partitioner", "murmur"},
		{"bench", "frob"},
	} {
		if r := runCLI(t, t.Context(), "", args...); r.code != 2 {
			t.Errorf("%s: exit %d (%s), want 2", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}
