// Command compare is the side-by-side benchmark harness: it builds Gregor,
// the kfake and NATS peers and the NATS generator, then alternates rounds
// between the peers on the same machine, measures the machine's own limits
// in each round, and prints a table of medians with min–max. It writes the
// table (results.md), the raw figures (results.json) and a plot (plot.png)
// to --out.
//
//	cd bench && go run ./compare            # 3 rounds, ~10 minutes on 2 cores
//	cd bench && go run ./compare --quick    # 1 small round, a smoke test
//
// Peers: gregor (fsync before acknowledging, the default), gregor-osflush
// (flush left to the OS), kfake (franz-go's in-memory fake Kafka, an upper
// bound for protocol overhead) and nats-js-file (NATS JetStream, file
// storage, its defaults). Each broker is a separate process; its CPU time
// and peak RSS come from /proc.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	quick  bool
	rounds int
	out    string
	only   string
	work   string
	gregor string
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "one small round (seconds): a smoke test of the harness")
	flag.IntVar(&o.rounds, "rounds", 0, "rounds (default 3, or 1 with --quick)")
	flag.StringVar(&o.out, "out", "", "directory for results.md, results.json and plot.png (default: ../docs/benchmarks, none with --quick)")
	flag.StringVar(&o.only, "peers", "", "comma-separated peers to run (default all)")
	flag.StringVar(&o.work, "work", "", "directory for binaries and broker data (default a temporary one, on the disk under test)")
	flag.StringVar(&o.gregor, "gregor", "", "serve with this gregor binary instead of the one built from ../cmd/gregor (e.g. an older build, for before/after figures); the generator is always the new build")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// logf prints a progress line on stderr.
type logf func(format string, a ...any)

func run(ctx context.Context, o options, stdout, stderr *os.File) error {
	log := logf(func(format string, a ...any) { fmt.Fprintf(stderr, "compare: "+format+"\n", a...) })
	sz := full
	if o.quick {
		sz = quick
	} else if o.out == "" {
		o.out = filepath.Join("..", "docs", "benchmarks")
	}
	if o.rounds > 0 {
		sz.rounds = o.rounds
	}
	work := o.work
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "gregor-compare-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	nofile, err := raiseFileLimit(uint64(4*sz.bigParts + 4096))
	if err != nil {
		return fmt.Errorf("raising the open file limit: %w", err)
	}
	log("open file limit %d", nofile)
	res := newResults()
	// Gregor keeps three files open per partition (log, offset index,
	// time index); stay within the limit rather than fail.
	if fit := (int(nofile) - 2048) / 3 / 1000 * 1000; fit < sz.bigParts {
		res.notes = append(res.notes, fmt.Sprintf("(e) ran with %d partitions, not %d: the open file limit here is %d (hard limit; raise it with ulimit -n) and Gregor keeps 3 files open per partition", fit, sz.bigParts, nofile))
		sz.bigParts = fit
	} else {
		res.notes = append(res.notes, fmt.Sprintf("(e) ran with %d partitions", sz.bigParts))
	}
	bins, err := build(ctx, work, o.gregor, log)
	if err != nil {
		return err
	}
	ps := selectPeers(o.only)
	if len(ps) == 0 {
		return fmt.Errorf("--peers %q names no peer", o.only)
	}
	began := time.Now()
	for round := range sz.rounds {
		load := loadAverage()
		res.loads = append(res.loads, load)
		log("round %d/%d, load average %s", round+1, sz.rounds, load)
		if err := measureMachine(ctx, work, res); err != nil {
			return fmt.Errorf("machine limits: %w", err)
		}
		// Rotate the order each round so no peer always runs first.
		for i := range ps {
			p := ps[(i+round)%len(ps)]
			if err := runPeer(ctx, p, bins, work, sz, res, log); err != nil {
				return err
			}
		}
	}
	res.machine = describeMachine()
	res.took = time.Since(began)
	res.quick = o.quick
	table := res.markdown(ps)
	fmt.Fprint(stdout, table)
	if o.out != "" {
		return res.write(o.out, ps, table)
	}
	return nil
}

func selectPeers(only string) []peer {
	all := peers()
	if only == "" {
		return all
	}
	var out []peer
	for _, p := range all {
		for _, name := range strings.Split(only, ",") {
			if strings.TrimSpace(name) == p.name {
				out = append(out, p)
			}
		}
	}
	return out
}

// build compiles the four programs into work/bin. It runs from the bench
// module; gregor is built from the main module one directory up.
func build(ctx context.Context, work, gregor string, log logf) (binaries, error) {
	dir := filepath.Join(work, "bin")
	b := binaries{
		gregor:     filepath.Join(dir, "gregor"),
		kfake:      filepath.Join(dir, "kfakepeer"),
		natsServer: filepath.Join(dir, "natspeer"),
		natsBench:  filepath.Join(dir, "natsbench"),
	}
	root, err := benchModuleDir()
	if err != nil {
		return b, err
	}
	steps := [][]string{
		{"-C", filepath.Join(root, ".."), "-o", b.gregor, "./cmd/gregor"},
		{"-C", root, "-o", b.kfake, "./kfakepeer"},
		{"-C", root, "-o", b.natsServer, "./natspeer"},
		{"-C", root, "-o", b.natsBench, "./natsbench"},
	}
	b.broker = b.gregor
	if gregor != "" {
		b.broker = gregor
	}
	for _, s := range steps {
		log("go build %s", strings.Join(s, " "))
		cmd := exec.CommandContext(ctx, "go", append([]string{"build"}, s...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	return b, nil
}

// benchModuleDir finds the bench module's directory: this source file's
// directory's parent when run with go run or go test.
func benchModuleDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if ok {
		if _, err := os.Stat(filepath.Join(filepath.Dir(file), "..", "go.mod")); err == nil {
			return filepath.Clean(filepath.Join(filepath.Dir(file), "..")), nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "kfakepeer")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run compare from the bench module (cd bench && go run ./compare)")
		}
	}
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
