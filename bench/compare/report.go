package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Metric names: the rows of the table, in this order.
const (
	mProduce16    = "(a) produce 16 partitions, 1 KiB (MB/s)"
	mConsume16    = "(a) consume 16 partitions, 1 KiB (MB/s)"
	mProduce100   = "(b) produce 100 partitions, 1 KiB (MB/s)"
	mConsume100   = "(b) consume 100 partitions, 1 KiB (MB/s)"
	mProduceSmall = "(b) produce 16 partitions, 100 B (MB/s)"
	mConsumeSmall = "(b) consume 16 partitions, 100 B (MB/s)"
	mE2E1kP50     = "(c) e2e 1k msg/s p50 (ms)"
	mE2E1kP99     = "(c) e2e 1k msg/s p99 (ms)"
	mE2E10kP50    = "(c) e2e 10k msg/s p50 (ms)"
	mE2E10kP99    = "(c) e2e 10k msg/s p99 (ms)"
	mCPU16        = "(d) broker CPU-s per GB, (a) produce+consume"
	mClientCPU16  = "(d) generator CPU-s per GB, (a) produce+consume"
	mIdleRSS      = "(d) idle RSS (MiB)"
	mPeakRSS      = "(d) peak RSS after (a)-(c) (MiB)"
	mProduceWide  = "(e) produce many partitions, 1 KiB (MB/s)"
	mConsumeWide  = "(e) consume many partitions, 1 KiB (MB/s)"
	mWideRSS      = "(e) peak RSS, many partitions (MiB)"
	mLoopback     = "machine: loopback TCP stream (MB/s)"
	mFsyncSeq     = "machine: sequential write, fdatasync per MiB (MB/s)"
	mFsyncLat     = "machine: 4 KiB append + fdatasync, median (ms)"
)

var tableRows = []string{
	mProduce16, mConsume16, mProduce100, mConsume100, mProduceSmall, mProduceSmall + " rec/s", mConsumeSmall, mConsumeSmall + " rec/s",
	mE2E1kP50, mE2E1kP99, mE2E1kP99 + " p99.9", mE2E10kP50, mE2E10kP99, mE2E10kP99 + " p99.9",
	mCPU16, mClientCPU16, mIdleRSS, mPeakRSS, mProduceWide, mConsumeWide, mWideRSS,
}

// results holds every figure of a run: metric → peer → one value per round.
type results struct {
	Values   map[string]map[string][]float64 `json:"values"`
	loads    []string
	failures []string
	notes    []string
	machine  string
	took     time.Duration
	quick    bool
}

func newResults() *results { return &results{Values: map[string]map[string][]float64{}} }

func (r *results) add(metric, peer string, v float64) {
	if r.Values[metric] == nil {
		r.Values[metric] = map[string][]float64{}
	}
	r.Values[metric][peer] = append(r.Values[metric][peer], v)
}

// fail records a failed workload.
func (r *results) fail(peer string, err error, log logf) {
	log("FAILED on %s: %v", peer, err)
	r.failures = append(r.failures, fmt.Sprintf("%s: %v", peer, err))
}

// stat is the median and range of one cell.
type stat struct {
	med, lo, hi float64
	n           int
}

func (r *results) stat(metric, peer string) (stat, bool) {
	vs := slices.Clone(r.Values[metric][peer])
	if len(vs) == 0 {
		return stat{}, false
	}
	slices.Sort(vs)
	med := vs[len(vs)/2]
	if len(vs)%2 == 0 {
		med = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
	}
	return stat{med: med, lo: vs[0], hi: vs[len(vs)-1], n: len(vs)}, true
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func (s stat) String() string {
	if s.n == 1 {
		return num(s.med)
	}
	return fmt.Sprintf("**%s** (%s–%s)", num(s.med), num(s.lo), num(s.hi))
}

// rowLabel names a derived row: a records/s twin of a MB/s metric, or the
// p99.9 twin of a p99 one.
func rowLabel(m string) string {
	m = strings.Replace(m, "(MB/s) rec/s", "(records/s)", 1)
	return strings.Replace(m, "p99 (ms) p99.9", "p99.9 (ms)", 1)
}

// markdown renders the table, the machine's limits, the target ratios and
// the conditions of the run.
func (r *results) markdown(ps []peer) string {
	var b strings.Builder
	b.WriteString("| metric |")
	for _, p := range ps {
		fmt.Fprintf(&b, " %s |", p.name)
	}
	b.WriteString("\n| --- |" + strings.Repeat(" --- |", len(ps)) + "\n")
	for _, m := range tableRows {
		fmt.Fprintf(&b, "| %s |", rowLabel(m))
		for _, p := range ps {
			if s, ok := r.stat(m, p.name); ok {
				fmt.Fprintf(&b, " %s |", s)
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n| machine limit | median (min–max) |\n| --- | --- |\n")
	for _, m := range []string{mLoopback, mFsyncSeq, mFsyncLat} {
		if s, ok := r.stat(m, machine); ok {
			fmt.Fprintf(&b, "| %s | %s |\n", strings.TrimPrefix(m, "machine: "), s)
		}
	}
	b.WriteString(r.targets())
	for _, n := range r.notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	if len(r.failures) > 0 {
		b.WriteString("\nFailed workloads (their cells are empty or have fewer rounds):\n\n")
		for _, f := range r.failures {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(f, "\n", " "))
		}
	}
	fmt.Fprintf(&b, "\nMedian of %d round(s), min–max in parentheses; load average at the start of each round: %s. %s. Run took %s.\n",
		len(r.loads), strings.Join(r.loads, "; "), r.machine, r.took.Round(time.Second))
	return b.String()
}

// targets lists the targets with this run's figures.
func (r *results) targets() string {
	med := func(m, p string) float64 { s, _ := r.stat(m, p); return s.med }
	ratio := func(m, p string) string {
		d := med(m, p)
		if d == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", med(m, "gregor")/d)
	}
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	var b strings.Builder
	b.WriteString("\n| target (gregor, fsync on) | this run | |\n| --- | --- | --- |\n")
	row := func(name, val string, ok bool) {
		verdict := check(ok)
		if val == "–" || val == "0.00" || val == "0.00 ms" || val == "0.00 MiB" || val == "0%" {
			verdict = "not measured"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, val, verdict)
	}
	rr := func(m, p string) float64 {
		if d := med(m, p); d > 0 {
			return med(m, "gregor") / d
		}
		return 0
	}
	row("produce ≥ 1.0× kfake", ratio(mProduce16, "kfake"), rr(mProduce16, "kfake") >= 1)
	row("consume ≥ 1.5× kfake", ratio(mConsume16, "kfake"), rr(mConsume16, "kfake") >= 1.5)
	row("produce ≥ 3× NATS JetStream file", ratio(mProduce16, "nats-js-file"), rr(mProduce16, "nats-js-file") >= 3)
	row("consume ≥ 3× NATS JetStream file", ratio(mConsume16, "nats-js-file"), rr(mConsume16, "nats-js-file") >= 3)
	cpu := med(mCPU16, "gregor")
	row("broker CPU ≤ 0.9 CPU-s/GB", num(cpu), cpu > 0 && cpu <= 0.9)
	p99 := med(mE2E10kP99, "gregor")
	row("e2e p99 ≤ 5 ms at 10k msg/s", num(p99)+" ms", p99 > 0 && p99 <= 5)
	wide, narrow := med(mProduceWide, "gregor"), med(mProduce16, "gregor")
	wideRatio := 0.0
	if narrow > 0 {
		wideRatio = wide / narrow
	}
	row("many partitions within 30% of 16-partition produce", fmt.Sprintf("%.0f%%", wideRatio*100), wideRatio >= 0.7)
	idle := med(mIdleRSS, "gregor")
	row("idle RSS ≤ 50 MiB", num(idle)+" MiB", idle > 0 && idle <= 50)
	return b.String()
}

// write saves results.md, results.json and plot.png in dir.
func (r *results) write(dir string, ps []peer, table string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(table), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(struct {
		Machine  string                          `json:"machine"`
		Loads    []string                        `json:"load_averages"`
		Notes    []string                        `json:"notes"`
		Failures []string                        `json:"failures"`
		Values   map[string]map[string][]float64 `json:"values"`
	}{r.machine, r.loads, r.notes, r.failures, r.Values}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), js, 0o644); err != nil {
		return err
	}
	return r.plot(filepath.Join(dir, "plot.png"), ps)
}
