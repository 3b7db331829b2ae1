package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

const machine = "machine"

// measureMachine records this round's limits of the machine: loopback TCP
// stream throughput, sequential write with an fsync after every MiB, and
// the latency of a small append plus fdatasync (what one group commit
// costs at least).
func measureMachine(ctx context.Context, work string, res *results) error {
	tcp, err := loopbackMBps(ctx, time.Second)
	if err != nil {
		return err
	}
	res.add(mLoopback, machine, tcp)
	seq, lat, err := fsyncWrite(filepath.Join(work, "fsync-probe"), time.Second)
	if err != nil {
		return err
	}
	res.add(mFsyncSeq, machine, seq)
	res.add(mFsyncLat, machine, lat)
	return nil
}

// loopbackMBps streams 256 KiB writes over one loopback TCP connection
// for d and returns the MB/s the reader received.
func loopbackMBps(ctx context.Context, d time.Duration) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		n, _ := io.CopyBuffer(io.Discard, c, make([]byte, 256<<10)) // ends at the sender's close
		got <- n
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 256<<10)
	began := time.Now()
	for time.Since(began) < d && ctx.Err() == nil {
		if _, err := c.Write(buf); err != nil {
			c.Close()
			return 0, err
		}
	}
	c.Close()
	n := <-got
	if n < 0 {
		return 0, errors.New("loopback accept failed")
	}
	return float64(n) / time.Since(began).Seconds() / 1e6, nil
}

// fsyncWrite appends 1 MiB blocks, each followed by fdatasync, for d and
// returns MB/s; then it measures the median latency of 4 KiB appends each
// followed by fdatasync, in ms.
func fsyncWrite(path string, d time.Duration) (mbps, latMs float64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	block := make([]byte, 1<<20)
	var n int64
	began := time.Now()
	for time.Since(began) < d {
		if _, err := f.Write(block); err != nil {
			return 0, 0, err
		}
		if err := datasync(f); err != nil {
			return 0, 0, err
		}
		n += int64(len(block))
	}
	mbps = float64(n) / time.Since(began).Seconds() / 1e6
	small := block[:4096]
	var lats []time.Duration
	for range 200 {
		t := time.Now()
		if _, err := f.Write(small); err != nil {
			return 0, 0, err
		}
		if err := datasync(f); err != nil {
			return 0, 0, err
		}
		lats = append(lats, time.Since(t))
	}
	slices.Sort(lats)
	return mbps, float64(lats[len(lats)/2]) / 1e6, nil
}

// describeMachine is one line: CPUs, model, memory, kernel, Go.
func describeMachine() string {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			mem = fmt.Sprintf("%.0f GiB", kb/(1<<20))
		}
	}
	kernel := "?"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%d CPUs (%s), %s RAM, Linux %s, %s", runtime.NumCPU(), model, mem, kernel, runtime.Version())
}
