package main

import (
	"context"
	"fmt"
	"time"
)

// runPeer runs every workload once on peer p: (a), (b), (c), idle and peak
// RSS and CPU on one broker, then (e) on a fresh one.
func runPeer(ctx context.Context, p peer, bins binaries, work string, sz sizes, res *results, log logf) error {
	r, err := start(ctx, p, bins, work)
	if err != nil {
		return err
	}
	defer r.stop()
	idle, err := r.stats()
	if err != nil {
		return err
	}
	res.add(mIdleRSS, p.name, idle.rss)
	pr := pairRunner{ctx: ctx, bins: bins, r: r, res: res, log: log}
	// A failed workload leaves its cells empty and is reported under the
	// table; the others still run.
	pr.pair("a", "t16", 16, 1024, sz.records, mProduce16, mConsume16, mCPU16)
	pr.pair("b", "t100", 100, 1024, sz.records, mProduce100, mConsume100, "")
	pr.pair("b", "small", 16, 100, sz.smallCount, mProduceSmall, mConsumeSmall, "")
	for _, e := range []struct {
		rate float64
		m    [2]string
	}{{1000, [2]string{mE2E1kP50, mE2E1kP99}}, {10000, [2]string{mE2E10kP50, mE2E10kP99}}} {
		j := job{mode: "e2e", topic: fmt.Sprintf("e2e%.0f", e.rate), partitions: 16, recordSize: 1024, rate: e.rate, duration: sz.e2eDuration, warmup: sz.e2eWarmup}
		g, err := j.run(ctx, bins, p, r.addr)
		if err == nil && g.Latency == nil {
			err = fmt.Errorf("e2e on %s: no latency in the summary", p.name)
		}
		if err != nil {
			res.fail(p.name, err, log)
			continue
		}
		res.add(e.m[0], p.name, g.Latency.P50)
		res.add(e.m[1], p.name, g.Latency.P99)
		res.add(e.m[1]+" p99.9", p.name, g.Latency.P999)
		log("%s: e2e %.0f/s: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms", p.name, e.rate, g.Latency.P50, g.Latency.P99, g.Latency.P999)
	}
	peak, err := r.stats()
	if err != nil {
		return err
	}
	res.add(mPeakRSS, p.name, peak.hwm)
	r.stop()

	// (e) many partitions, on a fresh broker.
	r2, err := start(ctx, p, bins, work)
	if err != nil {
		return err
	}
	defer r2.stop()
	pr.r = r2
	pr.pair("e", "wide", sz.bigParts, 1024, sz.records, mProduceWide, mConsumeWide, "")
	wide, err := r2.stats()
	if err != nil {
		return err
	}
	res.add(mWideRSS, p.name, wide.hwm)
	return nil
}

// pairRunner produces then consumes one topic on a running broker.
type pairRunner struct {
	ctx  context.Context
	bins binaries
	r    *running
	res  *results
	log  logf
}

// pair runs one produce-then-consume workload; a failure is recorded, not
// returned.
func (pr *pairRunner) pair(workload, topic string, parts, size int, count int64, prodM, consM, cpuM string) {
	if err := pr.pairOnce(workload, topic, parts, size, count, prodM, consM, cpuM); err != nil {
		pr.res.fail(pr.r.peer.name, err, pr.log)
	}
}

// pairOnce produces count records of size bytes into a new topic of parts
// partitions, consumes them back, and records MB/s of both and, if cpuM is
// set, the broker's CPU-seconds per GB moved (produced plus consumed).
func (pr *pairRunner) pairOnce(workload, topic string, parts, size int, count int64, prodM, consM, cpuM string) error {
	p := pr.r.peer
	before, err := pr.r.stats()
	if err != nil {
		return err
	}
	began := time.Now()
	g, err := job{mode: "produce", topic: topic, partitions: parts, recordSize: size, count: count}.run(pr.ctx, pr.bins, p, pr.r.addr)
	if err != nil {
		return err
	}
	if g.Records != count {
		return fmt.Errorf("produce %s on %s: %d records acknowledged, want %d", topic, p.name, g.Records, count)
	}
	c, err := job{mode: "consume", topic: topic, partitions: parts, recordSize: size}.run(pr.ctx, pr.bins, p, pr.r.addr)
	if err != nil {
		return err
	}
	if c.Records != count {
		return fmt.Errorf("consume %s on %s: %d records read back, want %d", topic, p.name, c.Records, count)
	}
	after, err := pr.r.stats()
	if err != nil {
		return err
	}
	pr.res.add(prodM, p.name, g.MBPerSec)
	pr.res.add(consM, p.name, c.MBPerSec)
	pr.res.add(prodM+" rec/s", p.name, g.RecordsPerSec)
	pr.res.add(consM+" rec/s", p.name, c.RecordsPerSec)
	gb := float64(g.Bytes+c.Bytes) / 1e9
	if cpuM != "" && gb > 0 {
		pr.res.add(cpuM, p.name, (after.cpu-before.cpu)/gb)
		pr.res.add(mClientCPU16, p.name, (g.clientCPU+c.clientCPU)/gb)
	}
	pr.log("%s (%s): produce %.1f MB/s, consume %.1f MB/s, broker CPU %.2fs, took %s",
		p.name, workload+" "+topic, g.MBPerSec, c.MBPerSec, after.cpu-before.cpu, time.Since(began).Round(time.Millisecond))
	return nil
}
