package fault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Node is one `gregor serve` process and the proxies in front of it.
type Node struct {
	ID      int
	Dir     string // data directory
	LogPath string // the process's stdout and stderr, appended across restarts
	kafka   string // real Kafka listener
	ctl     string // real controller listener
	KafkaPx *Proxy // advertised listener
	CtlPx   *Proxy // voter address
	cmd     *exec.Cmd
	exited  chan struct{}
	paused  bool
	starts  int
}

// Cluster is three combined broker+controller processes on loopback.
type Cluster struct {
	bin   string
	props []string // --override name=value for every node
	Nodes []*Node

	mu struct {
		sync.Mutex
		pids map[int]int // pid → node id, of running processes
	}
}

// ClusterConfig configures StartCluster.
type ClusterConfig struct {
	Binary string   // the gregor binary
	Dir    string   // parent of the nodes' data directories and logs
	N      int      // nodes (3)
	Props  []string // extra name=value properties for every node
}

// StartCluster starts cfg.N nodes and waits until every node sees every
// broker live.
func StartCluster(ctx context.Context, cfg ClusterConfig) (*Cluster, error) {
	c := &Cluster{bin: cfg.Binary, props: cfg.Props}
	c.mu.pids = map[int]int{}
	addrs, err := freeAddrs(2 * cfg.N)
	if err != nil {
		return nil, err
	}
	for i := range cfg.N {
		n := &Node{ID: i + 1, Dir: filepath.Join(cfg.Dir, fmt.Sprintf("node%d", i+1)),
			kafka: addrs[2*i], ctl: addrs[2*i+1]}
		n.LogPath = n.Dir + ".log"
		if n.KafkaPx, err = NewProxy(n.kafka, c.sourceOf); err != nil {
			return nil, errors.Join(err, c.Close())
		}
		c.Nodes = append(c.Nodes, n)
		if n.CtlPx, err = NewProxy(n.ctl, c.sourceOf); err != nil {
			return nil, errors.Join(err, c.Close())
		}
	}
	for _, n := range c.Nodes {
		if err := c.Start(n); err != nil {
			return nil, errors.Join(err, c.Close())
		}
	}
	if err := c.WaitLive(ctx, cfg.N); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}

func freeAddrs(n int) ([]string, error) {
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		out = append(out, ln.Addr().String())
		defer ln.Close()
	}
	return out, nil
}

func (c *Cluster) voters() string {
	var v []string
	for _, n := range c.Nodes {
		v = append(v, fmt.Sprintf("%d@%s", n.ID, n.CtlPx.Addr()))
	}
	return strings.Join(v, ",")
}

// Bootstrap is the client bootstrap list (the advertised proxies).
func (c *Cluster) Bootstrap() []string {
	var out []string
	for _, n := range c.Nodes {
		out = append(out, n.KafkaPx.Addr())
	}
	return out
}

// Start starts node n's process (it must not be running).
func (c *Cluster) Start(n *Node) error {
	if err := os.MkdirAll(n.Dir, 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child holds its own descriptor
	n.starts++
	fmt.Fprintf(logf, "=== fault harness: start %d of node %d at %s\n", n.starts, n.ID, time.Now().Format(time.RFC3339Nano))
	args := []string{"serve", "--node-id", fmt.Sprint(n.ID), "--controller-voters", c.voters(),
		"--controller-listen", n.ctl, "--listen", n.kafka, "--advertise", n.KafkaPx.Addr(),
		"--data-dir", n.Dir + "/data", "--log-level", "info"}
	for _, p := range c.props {
		args = append(args, "--override", p)
	}
	if err := errors.Join(n.KafkaPx.Up(), n.CtlPx.Up()); err != nil {
		return err
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The broker reads GREGOR_* variables as properties; ours is not one.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GREGOR_FAULT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start node %d: %w", n.ID, err)
	}
	n.cmd, n.exited, n.paused = cmd, make(chan struct{}), false
	c.mu.Lock()
	c.mu.pids[cmd.Process.Pid] = n.ID
	c.mu.Unlock()
	go func(exited chan struct{}) {
		_ = cmd.Wait() // the exit status of a killed node is expected to be an error
		c.mu.Lock()
		delete(c.mu.pids, cmd.Process.Pid)
		c.mu.Unlock()
		// Closing the listener of a dead node's proxy cannot fail in a
		// way that matters here; a failed Up reports itself at Start.
		_ = n.KafkaPx.Down()
		_ = n.CtlPx.Down()
		close(exited)
	}(n.exited)
	return nil
}

// Running reports whether n's process runs (paused counts as running).
func (n *Node) Running() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// Signal sends sig to n and, for SIGKILL and SIGTERM, waits for the exit
// (a paused process is continued first so it can act on SIGTERM).
func (c *Cluster) Signal(n *Node, sig syscall.Signal, wait time.Duration) error {
	if !n.Running() {
		return fmt.Errorf("node %d is not running", n.ID)
	}
	if sig == syscall.SIGTERM && n.paused {
		if err := c.Signal(n, syscall.SIGCONT, 0); err != nil {
			return err
		}
	}
	if err := n.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %v to node %d: %w", sig, n.ID, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		n.paused = true
		return nil
	case syscall.SIGCONT:
		n.paused = false
		return nil
	}
	select {
	case <-n.exited:
		n.paused = false
		return nil
	case <-time.After(wait):
		return fmt.Errorf("node %d did not exit within %v of %v", n.ID, wait, sig)
	}
}

// sourceOf names the node whose process owns the client end remote.
func (c *Cluster) sourceOf(remote *net.TCPAddr) int {
	inode, err := socketInode(remote)
	if err != nil {
		return 0 // closed already, or not ours: treated as a client
	}
	c.mu.Lock()
	pids := make(map[int]int, len(c.mu.pids))
	for p, id := range c.mu.pids {
		pids[p] = id
	}
	c.mu.Unlock()
	for pid, id := range pids {
		if ownsSocket(pid, inode) {
			return id
		}
	}
	return 0
}

// Isolate cuts node id off from the other nodes, both ways, on both the
// Kafka and the controller paths; clients still reach every node.
func (c *Cluster) Isolate(id int) {
	for _, n := range c.Nodes {
		if n.ID == id {
			var others []int
			for _, o := range c.Nodes {
				if o.ID != id {
					others = append(others, o.ID)
				}
			}
			n.KafkaPx.Block(others...)
			n.CtlPx.Block(others...)
		} else {
			n.KafkaPx.Block(id)
			n.CtlPx.Block(id)
		}
	}
}

// HealNetwork removes every cut.
func (c *Cluster) HealNetwork() {
	for _, n := range c.Nodes {
		n.KafkaPx.Heal()
		n.CtlPx.Heal()
	}
}

// Node returns node id.
func (c *Cluster) Node(id int) *Node { return c.Nodes[id-1] }

// WaitLive waits until every running node's metadata lists want live
// brokers.
func (c *Cluster) WaitLive(ctx context.Context, want int) error {
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		err := poll(ctx, fmt.Sprintf("node %d sees %d brokers", n.ID, want), func() (bool, error) {
			cl, err := kgo.NewClient(kgo.SeedBrokers(n.KafkaPx.Addr()))
			if err != nil {
				return false, err
			}
			defer cl.Close()
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			m, err := kadm.NewClient(cl).BrokerMetadata(rctx)
			if err != nil {
				return false, nil // still starting
			}
			return len(m.Brokers) == want && m.Controller >= 0, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Close kills every node and closes the proxies.
func (c *Cluster) Close() error {
	var errs []error
	for _, n := range c.Nodes {
		if n.Running() {
			if err := c.Signal(n, syscall.SIGKILL, 10*time.Second); err != nil {
				errs = append(errs, err)
			}
		}
		if n.KafkaPx != nil {
			errs = append(errs, n.KafkaPx.Close())
		}
		if n.CtlPx != nil {
			errs = append(errs, n.CtlPx.Close())
		}
	}
	return errors.Join(errs...)
}

// poll calls cond every 50 ms until it is true, it fails, or ctx ends.
func poll(ctx context.Context, what string, cond func() (bool, error)) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}
