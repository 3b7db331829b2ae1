package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// peer is one broker under test: how to start it and which generator
// drives it.
type peer struct {
	name string
	// kafka peers are driven by `gregor bench`, the others by natsbench.
	kafka bool
	// args returns the command line of the broker for a port and a fresh
	// data directory.
	args func(bins binaries, port int, dir string) []string
	// ready is a substring of the stdout line that says the broker
	// accepts clients.
	ready string
}

// binaries are the programs the harness builds before the first round.
// broker is the gregor that serves (gregor by default, --gregor to compare
// an older build); gregor always runs the generator.
type binaries struct{ gregor, broker, kfake, natsServer, natsBench string }

func peers() []peer {
	gregor := func(extra ...string) func(binaries, int, string) []string {
		return func(b binaries, port int, dir string) []string {
			return append([]string{b.broker, "serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dir, "--log-level", "warn"}, extra...)
		}
	}
	return []peer{
		{name: "gregor", kafka: true, args: gregor(), ready: "listening on"},
		{name: "gregor-osflush", kafka: true, args: gregor("--override", "log.flush.interval.messages=9223372036854775807"), ready: "listening on"},
		{name: "kfake", kafka: true, ready: "ready", args: func(b binaries, port int, _ string) []string {
			return []string{b.kfake, "-port", strconv.Itoa(port)}
		}},
		{name: "nats-js-file", ready: "ready", args: func(b binaries, port int, dir string) []string {
			return []string{b.natsServer, "-port", strconv.Itoa(port), "-dir", dir}
		}},
	}
}

// running is a started broker process.
type running struct {
	peer peer
	cmd  *exec.Cmd
	addr string
	dir  string
	out  *strings.Builder // stderr, for the error message if it dies
}

// freePort asks the kernel for a free port (the broker binds it a moment
// later; nothing else on a benchmark machine races for it).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs the peer's broker on a fresh directory under work and waits
// for its ready line.
func start(ctx context.Context, p peer, bins binaries, work string) (*running, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(work, p.name+"-")
	if err != nil {
		return nil, err
	}
	args := p.args(bins, port, dir)
	cmd := exec.Command(args[0], args[1:]...)
	r := &running{peer: p, cmd: cmd, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, out: &strings.Builder{}}
	cmd.Stderr = r.out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), p.ready) {
				ready <- nil
				_, _ = io.Copy(io.Discard, stdout) // keep the pipe drained
				return
			}
		}
		ready <- fmt.Errorf("%s exited before it was ready: %s", p.name, r.out.String())
	}()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	select {
	case err = <-ready:
	case <-timer.C:
		err = fmt.Errorf("%s not ready after a minute", p.name)
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

// stop terminates the broker, waits for it and removes its data.
func (r *running) stop() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = r.cmd.Process.Kill()
			<-done
		}
	}
	_ = os.RemoveAll(r.dir)
}

// procStats reads the broker's CPU time (user+system, seconds) and its
// current and peak resident set (MiB) from /proc.
type procStats struct {
	cpu      float64
	rss, hwm float64
}

// clkTck is USER_HZ, the unit of utime and stime in /proc/<pid>/stat;
// it is 100 on every Linux platform Go supports.
const clkTck = 100

func (r *running) stats() (procStats, error) {
	var s procStats
	pid := r.cmd.Process.Pid
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return s, err
	}
	// Fields after the command name (which may hold spaces) in parens.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return s, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseFloat(f[11], 64) // field 14, utime
	st, err2 := strconv.ParseFloat(f[12], 64) // field 15, stime
	if err := errors.Join(err1, err2); err != nil {
		return s, err
	}
	s.cpu = (ut + st) / clkTck
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch {
		case err != nil:
		case k == "VmRSS":
			s.rss = kb / 1024
		case k == "VmHWM":
			s.hwm = kb / 1024
		}
	}
	return s, nil
}
