package broker_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
	"github.com/gregor-streaming/gregor/internal/fs"
)

// acked records what the broker acknowledged: value -> (partition, offset).
type acked struct {
	mu   sync.Mutex
	recs map[string][2]int64
}

func (a *acked) add(r *kgo.Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs[string(r.Value)] = [2]int64{int64(r.Partition), r.Offset}
}

func (a *acked) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.recs)
}

// produceUntil produces acks=all records to topic until stop closes,
// recording every acknowledged one.
func produceUntil(addr, topic string, stop <-chan struct{}, a *acked) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
			kgo.RecordRetries(3), kgo.RequestRetries(3), kgo.ProduceRequestTimeout(2*time.Second),
			kgo.RetryTimeout(3*time.Second))
		if err != nil {
			return
		}
		defer cl.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r := &kgo.Record{Value: []byte(fmt.Sprintf("rec-%08d-%s", i, bytes.Repeat([]byte{'x'}, i%200)))}
			cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
				if err == nil {
					a.add(r)
				}
			})
			if i%64 == 63 {
				time.Sleep(time.Millisecond) // keep the in-flight window small
			}
		}
	}()
	return &wg
}

// verifyAcked consumes the whole topic and checks that every acknowledged
// record is there, byte for byte, at the offset it was acknowledged at.
func verifyAcked(t *testing.T, addr, topic string, a *acked) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, addr))
	ends, err := adm.ListEndOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	got := consumeN(t, addr, topic, int(total))
	at := map[[2]int64]string{}
	for _, r := range got {
		at[[2]int64{int64(r.Partition), r.Offset}] = string(r.Value)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for v, pos := range a.recs {
		if at[pos] != v {
			t.Fatalf("acknowledged record %.12s at %d/%d is lost or changed after the crash (found %.12q)", v, pos[0], pos[1], at[pos])
		}
	}
	t.Logf("%d acknowledged records all present after the crash (%d in the log)", len(a.recs), len(got))
}

// TestCrashMemFS crashes the in-memory filesystem (only fsynced bytes
// survive) under a producer, restarts on what is left, and checks every
// acknowledged record.
func TestCrashMemFS(t *testing.T) {
	mem := fs.NewMem()
	// The dying broker works through a fault layer that fails every
	// operation from the crash on, so nothing it does after the power
	// loss (closing, snapshotting) reaches the surviving filesystem.
	dying := fs.NewFault(mem)
	b, err := brokertest.TryStart(t, brokertest.Options{FS: dying, Dir: "/data", Props: map[string]string{"num.partitions": "3"}})
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "crash", 3, nil)
	a := &acked{recs: map[string][2]int64{}}
	stop := make(chan struct{})
	wg := produceUntil(b.Addr(), "crash", stop, a)
	waitFor(t, func() bool { return a.len() >= 2000 })
	dying.Inject(fs.Fault{Op: fs.OpAll})
	mem.Crash() // power loss: unsynced bytes are gone, open files dead
	close(stop)
	b.Close()
	wg.Wait()

	b2 := brokertest.Start(t, brokertest.Options{FS: mem, Dir: "/data"})
	verifyAcked(t, b2.Addr(), "crash", a)
}

// TestCrashSIGKILL kills a real broker process with SIGKILL while a
// producer runs, restarts it on the same data dir, and checks every
// acknowledged record.
func TestCrashSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a broker process")
	}
	bin := filepath.Join(t.TempDir(), "gregor")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/gregor").CombinedOutput(); err != nil {
		t.Fatalf("build gregor: %v\n%s", err, out)
	}
	dir := t.TempDir()
	cmd, addr := startProcess(t, bin, dir)
	adm := kadm.NewClient(newClient(t, addr))
	createTopic(t, adm, "killed", 2, nil)
	a := &acked{recs: map[string][2]int64{}}
	stop := make(chan struct{})
	wg := produceUntil(addr, "killed", stop, a)
	waitFor(t, func() bool { return a.len() >= 3000 })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()

	_, addr2 := startProcess(t, bin, dir)
	verifyAcked(t, addr2, "killed", a)
}

var listeningRE = regexp.MustCompile(`listening on (\S+),`)

// startProcess runs `gregor serve` on a free port and returns its address.
func startProcess(t *testing.T, bin, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir)
	cmd.Stderr = os.Stderr
	if os.Getenv("GREGOR_TEST_LOG") == "" {
		cmd.Stderr = nil
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("gregor serve printed no address: %v", err)
	}
	m := listeningRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("unexpected first line %q", line)
	}
	return cmd, m[1]
}

// waitFor polls cond; the condition is progress made by a producer, which
// has no event to wait on.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 60s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
