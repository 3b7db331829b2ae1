package fault

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	faultDuration = flag.Duration("fault.duration", 0, "run the fault harness for this long (e.g. 10m); 0: the short run, only with GREGOR_FAULT=1")
	faultRate     = flag.Int("fault.rate", 1000, "records per second per producer (two producers)")
	faultDir      = flag.String("fault.dir", "", "keep the nodes' data and logs in this directory (default: a temporary one, removed)")
	faultOverlap  = flag.Float64("fault.overlap", 0.25, "probability that a step adds a second fault on another node halfway through the hold")
	faultHWPoll   = flag.Duration("fault.hwpoll", 100*time.Millisecond, "interval of the high-watermark poller (ListOffsets)")
	faultKinds    = flag.String("fault.kinds", "", "comma-separated fault kinds to draw from (default: all): kill-partition-leader,kill-controller,pause,isolate,restart")
	faultSeed     = flag.Uint64("fault.seed", 0, "seed of the fault schedule (0: derived from the clock, printed)")
)

// shortRun is the duration of faults in the short run.
const shortRun = 45 * time.Second

var topics = []string{"fault-a", "fault-b"}

// TestFault runs the harness: a 3-node cluster, producers, a seeded fault
// schedule, healing, and the checker. See docs/reliability.md.
func TestFault(t *testing.T) {
	dur := *faultDuration
	if dur == 0 {
		if os.Getenv("GREGOR_FAULT") != "1" {
			t.Skip("fault harness: set GREGOR_FAULT=1 (short run) or -fault.duration=10m; see docs/reliability.md")
		}
		dur = shortRun
	}
	seed := *faultSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	repro := fmt.Sprintf("-fault.seed=%d -fault.duration=%v", seed, dur)
	flag.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "fault.") && f.Name != "fault.seed" && f.Name != "fault.duration" {
			repro += fmt.Sprintf(" -%s=%s", f.Name, f.Value)
		}
	})
	t.Logf("fault harness: seed %d, faults for %v (reproduce with go test ./test/fault/ -run TestFault -v %s)", seed, dur, repro)
	start := time.Now()
	rep := runHarness(t, seed, dur)
	rep.Duration = time.Since(start)
	var buf bytes.Buffer
	rep.Print(&buf)
	t.Logf("results:\n%s", buf.String())
	if rep.Anomalies() != 0 || rep.Unresolved {
		t.Fatalf("fault harness found %d anomalies (seed %d)", rep.Anomalies(), seed)
	}
}

func buildGregor(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gregor")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/gregor-streaming/gregor/cmd/gregor")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build gregor: %v\n%s", err, out)
	}
	return bin
}

func runHarness(t *testing.T, seed uint64, dur time.Duration) *Report {
	ctx, cancel := context.WithTimeout(context.Background(), dur+5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	if *faultDir != "" {
		dir = filepath.Join(*faultDir, fmt.Sprintf("seed-%d", seed))
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	c, err := StartCluster(ctx, ClusterConfig{Binary: buildGregor(t), Dir: dir, N: 3, Props: []string{
		"broker.heartbeat.interval.ms=100",
		"broker.session.timeout.ms=1500",
		"replica.lag.time.max.ms=3000",
	}})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			if err := c.Close(); err != nil {
				t.Errorf("close cluster: %v", err)
			}
		}
		if t.Failed() {
			dumpLogs(t, c)
		}
	})
	createTopics(ctx, t, c)
	rep := &Report{Seed: int64(seed)}
	w, err := StartWorkload(c.Bootstrap(), topics, 2, *faultRate, *faultHWPoll)
	if err != nil {
		t.Fatal(err)
	}
	s := &Schedule{C: c, Topics: topics, Rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		Hold: [2]time.Duration{500 * time.Millisecond, 6 * time.Second}, Overlap: *faultOverlap, Quiet: [2]time.Duration{time.Second, 3 * time.Second},
		Recover: 60 * time.Second, Logf: func(format string, args ...any) {
			t.Logf("%s "+format, append([]any{time.Now().Format("15:04:05.000")}, args...)...)
		}}
	if s.Kinds, err = ParseKinds(*faultKinds); err != nil {
		t.Fatal(err)
	}
	rep.Faults, err = s.Run(ctx, time.Now().Add(dur))
	if err != nil {
		t.Errorf("fault schedule: %v", err)
	}
	if err := s.Heal(); err != nil {
		t.Fatalf("final heal: %v", err)
	}
	hctx, hcancel := context.WithTimeout(ctx, 60*time.Second)
	defer hcancel()
	if err := s.WaitInSync(hctx); err != nil {
		t.Errorf("cluster did not heal: %v", err)
	}
	if err := w.Stop(hctx); err != nil {
		rep.Unresolved = true
		t.Errorf("producers did not drain after healing: %v", err)
	}
	res := w.Results()
	hw, read := readBack(ctx, t, c)
	// Stop every node (controlled shutdown) and compare the replicas'
	// segment files below the high watermark.
	for _, n := range c.Nodes {
		if err := c.Signal(n, syscall.SIGTERM, 30*time.Second); err != nil {
			t.Errorf("stop node %d: %v", n.ID, err)
		}
	}
	replicas := map[TP]map[int]map[int64]string{}
	for tp := range hw {
		replicas[tp] = map[int]map[int64]string{}
		for _, n := range c.Nodes {
			log, err := ReadReplica(n.Dir+"/data", tp)
			if err != nil {
				t.Errorf("read node %d's replica of %s: %v", n.ID, tp, err)
				continue
			}
			replicas[tp][n.ID] = log
		}
	}
	if err := c.Close(); err != nil {
		t.Errorf("close cluster: %v", err)
	}
	closed = true
	Check(rep, res, read, replicas, hw)
	return rep
}

func createTopics(ctx context.Context, t *testing.T, c *Cluster) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	mis := "2"
	res, err := kadm.NewClient(cl).CreateTopics(ctx, 3, 3, map[string]*string{"min.insync.replicas": &mis}, topics...)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatalf("create topics: %v", err)
	}
}

// readBack lists the end offsets (the high watermarks, the cluster being
// healed and idle) and consumes every partition up to them.
func readBack(ctx context.Context, t *testing.T, c *Cluster) (map[TP]int64, map[TP]map[int64]string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(rctx, topics...)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	hw := map[TP]int64{}
	ends.Each(func(o kadm.ListedOffset) { hw[TP{o.Topic, o.Partition}] = o.Offset })
	read, err := ReadAll(rctx, c.Bootstrap(), ends)
	if err != nil {
		t.Errorf("read back: %v", err)
	}
	return hw, read
}

func dumpLogs(t *testing.T, c *Cluster) {
	for _, n := range c.Nodes {
		b, err := os.ReadFile(n.LogPath)
		if err != nil {
			t.Logf("node %d log: %v", n.ID, err)
			continue
		}
		const tail = 8000
		if len(b) > tail {
			b = b[len(b)-tail:]
		}
		t.Logf("node %d log (last %d bytes of %s):\n%s", n.ID, len(b), n.LogPath, b)
	}
	t.Logf("fault harness: node logs are in %s (kept only with -fault.dir)", filepath.Dir(c.Nodes[0].LogPath))
}
