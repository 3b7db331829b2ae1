package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// sizes are the workload sizes of one mode of the harness.
type sizes struct {
	rounds      int
	records     int64 // 1 KiB records of workloads a, b (100 partitions), e
	smallCount  int64 // 100-byte records of workload b
	e2eDuration time.Duration
	e2eWarmup   time.Duration
	bigParts    int // partitions of workload e
}

var (
	full  = sizes{rounds: 3, records: 500_000, smallCount: 2_000_000, e2eDuration: 10 * time.Second, e2eWarmup: time.Second, bigParts: 10_000}
	quick = sizes{rounds: 1, records: 20_000, smallCount: 50_000, e2eDuration: time.Second, e2eWarmup: 200 * time.Millisecond, bigParts: 500}
)

// genResult is the JSON summary both generators print.
type genResult struct {
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"`
	Seconds       float64 `json:"seconds"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
	Latency       *struct {
		P50  float64 `json:"p50_ms"`
		P99  float64 `json:"p99_ms"`
		P999 float64 `json:"p99_9_ms"`
		Max  float64 `json:"max_ms"`
	} `json:"latency"`
	// clientCPU is the generator process's CPU time (s), from the OS.
	clientCPU float64
}

// job is one generator run against a broker.
type job struct {
	mode       string // produce, consume, e2e
	topic      string
	partitions int
	recordSize int
	count      int64
	rate       float64
	duration   time.Duration
	warmup     time.Duration
}

// command returns the generator command line for the peer at addr.
func (j job) command(bins binaries, p peer, addr string) []string {
	if p.kafka {
		a := []string{bins.gregor, "-b", addr, "bench", j.mode, "--json", "--topic", j.topic, "--partitions", strconv.Itoa(j.partitions)}
		if j.mode != "consume" {
			a = append(a, "--record-size", strconv.Itoa(j.recordSize))
		}
		if j.count > 0 && j.mode == "produce" {
			a = append(a, "--count", strconv.FormatInt(j.count, 10))
		}
		if j.mode == "e2e" {
			a = append(a, "--rate", fmt.Sprint(j.rate), "--duration", j.duration.String(), "--warmup", j.warmup.String())
		}
		return a
	}
	a := []string{bins.natsBench, "-url", "nats://" + addr, "-stream", strings.ToUpper(strings.ReplaceAll(j.topic, "-", "_")),
		"-partitions", strconv.Itoa(j.partitions), "-record-size", strconv.Itoa(j.recordSize)}
	if j.mode == "produce" {
		a = append(a, "-count", strconv.FormatInt(j.count, 10))
	}
	if j.mode == "e2e" {
		a = append(a, "-rate", fmt.Sprint(j.rate), "-duration", j.duration.String(), "-warmup", j.warmup.String())
	}
	return append(a, j.mode)
}

// run runs the generator and decodes its summary.
func (j job) run(ctx context.Context, bins binaries, p peer, addr string) (genResult, error) {
	var res genResult
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	args := j.command(bins, p, addr)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("%s %s on %s: %v: %s", j.mode, j.topic, p.name, err, lastLine(errOut.String()))
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, fmt.Errorf("%s %s on %s: summary %q: %v", j.mode, j.topic, p.name, out.String(), err)
	}
	res.clientCPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return res, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
