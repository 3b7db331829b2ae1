package quorum

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// freeBase finds a port base whose six cluster ports (base, base+1,
// base+100, ...) are free right now.
func freeBase(t *testing.T) int {
	for range 50 {
		base := 20000 + rand.IntN(20000)
		ok := true
		for n := range 3 {
			for _, p := range []int{base + 100*n, base + 100*n + 1} {
				ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
				if err != nil {
					ok = false
					break
				}
				ln.Close()
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// TestProcessCluster runs scripts/cluster.sh with the built binary: three
// processes form a quorum, a topic created on one node is listed by the
// others, the controller is SIGKILLed and the survivors go on, and the
// killed node restarts and catches up. Skipped with -short.
func TestProcessCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes; skipped with -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs bash")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gregor")
	if out, err := exec.Command("go", "build", "-o", bin, filepath.Join(root, "cmd", "gregor")).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	base := freeBase(t)
	env := append(os.Environ(), "GREGOR_BIN="+bin, "GREGOR_CLUSTER_DIR="+filepath.Join(dir, "cluster"),
		fmt.Sprintf("GREGOR_CLUSTER_BASE_PORT=%d", base))
	script := func(args ...string) {
		t.Helper()
		cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts", "cluster.sh")}, args...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cluster.sh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "cluster.sh"), "stop")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("cluster.sh stop: %v\n%s", err, out)
		}
	})
	script("start")
	addr := func(n int) string { return fmt.Sprintf("127.0.0.1:%d", base+100*(n-1)) }
	admin := func(n int) *kadm.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr(n)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return kadm.NewClient(cl)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitTopic := func(adm *kadm.Client, topic string, brokers int) {
		t.Helper()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			md, err := adm.Metadata(ctx, topic)
			if err == nil && len(md.Brokers) == brokers && md.Topics[topic].Err == nil && len(md.Topics[topic].Partitions) > 0 {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("topic %s with %d brokers never showed up: %v", topic, brokers, err)
			case <-tick.C:
			}
		}
	}
	create := func(adm *kadm.Client, topic string, rf int16) {
		t.Helper()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			r, err := adm.CreateTopic(ctx, 3, rf, nil, topic)
			if err == nil && r.Err == nil {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("create %s: %v %v", topic, err, r.Err)
			case <-tick.C: // the cluster may still be registering brokers
			}
		}
	}
	create(admin(2), "multi", 3)
	waitTopic(admin(3), "multi", 3)
	waitTopic(admin(1), "multi", 3)

	md, err := admin(1).BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctl := int(md.Controller)
	script("kill", fmt.Sprint(ctl))
	other := ctl%3 + 1
	create(admin(other), "after-kill", 2) // waits through the election
	script("start", fmt.Sprint(ctl))
	waitTopic(admin(ctl), "after-kill", 3)
}
