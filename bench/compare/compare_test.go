package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuick runs the whole harness in --quick mode: it builds the four
// programs, starts every peer, runs every workload once at a small size
// and renders the table and the plot. It takes about a minute (most of it
// building nats-server), so -short skips it.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every peer; skipped with -short")
	}
	out := t.TempDir()
	stdout, err := os.Create(filepath.Join(out, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	if err := run(t.Context(), options{quick: true, out: out}, stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
	table, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range peers() {
		if !strings.Contains(string(table), "| "+p.name+" |") {
			t.Errorf("table has no column for %s:\n%s", p.name, table)
		}
	}
	for _, m := range tableRows {
		if !strings.Contains(string(table), rowLabel(m)) {
			t.Errorf("table has no row %q", rowLabel(m))
		}
	}
	if strings.Contains(string(table), " – |") {
		t.Errorf("table has empty cells:\n%s", table)
	}
	if fi, err := os.Stat(filepath.Join(out, "plot.png")); err != nil || fi.Size() < 1000 {
		t.Errorf("plot.png: %v", err)
	}
}

func TestStat(t *testing.T) {
	r := newResults()
	for _, v := range []float64{3, 1, 2, 10} {
		r.add("m", "p", v)
	}
	s, ok := r.stat("m", "p")
	if !ok || s.med != 2.5 || s.lo != 1 || s.hi != 10 || s.n != 4 {
		t.Fatalf("stat %+v", s)
	}
	if got := s.String(); got != "**2.50** (1.00–10.0)" {
		t.Fatalf("cell %q", got)
	}
	if _, ok := r.stat("m", "other"); ok {
		t.Fatal("stat of a missing peer")
	}
}
