package fault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/record"
)

// ReadAll consumes every partition of topics from the start to the end
// offsets ends (as listed after healing) and returns, per partition, the
// value at each offset.
func ReadAll(ctx context.Context, bootstrap []string, ends kadm.ListedOffsets) (map[TP]map[int64]string, error) {
	parts := map[string]map[int32]kgo.Offset{}
	left := map[TP]int64{}
	out := map[TP]map[int64]string{}
	var ferr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			ferr = errors.Join(ferr, fmt.Errorf("end offset of %s/%d: %w", o.Topic, o.Partition, o.Err))
			return
		}
		tp := TP{o.Topic, o.Partition}
		out[tp] = map[int64]string{}
		if o.Offset == 0 {
			return
		}
		if parts[o.Topic] == nil {
			parts[o.Topic] = map[int32]kgo.Offset{}
		}
		parts[o.Topic][o.Partition] = kgo.NewOffset().AtStart()
		left[tp] = o.Offset
	})
	if ferr != nil || len(left) == 0 {
		return out, ferr
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...), kgo.ConsumePartitions(parts),
		kgo.ClientID("fault-checker"))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return out, fmt.Errorf("read back (%d partitions unfinished): %w", len(left), ctx.Err())
		}
		fs.EachError(func(t string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("fetch %s/%d: %w", t, p, err))
		})
		fs.EachRecord(func(r *kgo.Record) {
			tp := TP{r.Topic, r.Partition}
			out[tp][r.Offset] = string(r.Value)
			if end, ok := left[tp]; ok && r.Offset+1 >= end {
				delete(left, tp)
			}
		})
	}
	// Retriable fetch errors during recovery are expected; only a
	// partition never finished is a failure (returned above).
	return out, nil
}

// ReadReplica reads the segment files of one replica of tp under a
// stopped node's data directory: the value at each offset.
func ReadReplica(dataDir string, tp TP) (map[int64]string, error) {
	dir := filepath.Join(dataDir, fmt.Sprintf("%s-%d", tp.Topic, tp.Partition))
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no segments in %s: %w", dir, os.ErrNotExist)
	}
	sort.Strings(files) // zero-padded base offsets: name order is offset order
	out := map[int64]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		batches, err := record.Split(b)
		if err != nil && !errors.Is(err, record.ErrTruncated) {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, batch := range batches {
			h, err := record.ParseHeader(batch)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if h.IsControl() {
				continue
			}
			recs, err := record.Records(batch)
			if err != nil {
				return nil, fmt.Errorf("%s at offset %d: %w", f, h.BaseOffset, err)
			}
			for _, r := range recs {
				out[r.Offset] = string(r.Value)
			}
		}
	}
	return out, nil
}

// Report is the checker's verdict.
type Report struct {
	Seed           int64
	Duration       time.Duration
	Faults         map[string]int
	Sent, Failed   int64
	Acked          int
	ReadBack       int
	TailRead       int // offsets read by the consumer tailing during the faults
	ReplicaOffsets int // (replica, offset) pairs compared below the HW
	Lost           int // acknowledged, not read back
	Moved          int // acknowledged at an offset that holds another value
	Duplicates     int // a value at more than one offset
	Conflicts      int // an offset holding different values in two reads/replicas
	ReplicaDiffers int // (replica, offset) below the HW missing or different from the consumer's read
	HWBack         int
	HWPolls        int
	Unresolved     bool // the producers did not drain after healing
	Details        []string
}

// Anomalies counts everything that must be zero.
func (r *Report) Anomalies() int {
	return r.Lost + r.Moved + r.Duplicates + r.Conflicts + r.ReplicaDiffers + r.HWBack
}

func (r *Report) detail(format string, args ...any) {
	if len(r.Details) < 50 {
		r.Details = append(r.Details, fmt.Sprintf(format, args...))
	}
}

// Check compares the acknowledged records with the consumer's read and
// each replica's log (replicas[tp][node] = offset → value) below hw.
func Check(r *Report, res Results, read map[TP]map[int64]string, replicas map[TP]map[int]map[int64]string, hw map[TP]int64) {
	r.Sent, r.Failed, r.Acked = res.Sent, res.Failed, len(res.Acked)
	r.HWPolls = res.HWPolls
	r.HWBack = len(res.HWBack)
	for _, e := range res.Errors {
		r.detail("produce error (not an anomaly: never acknowledged): %s", e)
	}
	for _, b := range res.HWBack {
		r.detail("high watermark of %s went back from %d (leader epoch %d) to %d (leader epoch %d) at %s",
			b.TP, b.From, b.FromEpoch, b.To, b.ToEpoch, b.At.Format("15:04:05.000"))
	}
	where := map[string][]Ack{}
	for tp, offs := range read {
		r.ReadBack += len(offs)
		for off, v := range offs {
			where[v] = append(where[v], Ack{tp, off})
		}
	}
	for v, at := range where {
		if len(at) > 1 {
			r.Duplicates += len(at) - 1
			r.detail("value %s read at %v", v, at)
		}
	}
	r.Duplicates += res.Reacked
	for v, a := range res.Acked {
		got, ok := read[a.TP][a.Offset]
		switch {
		case !ok && len(where[v]) == 0:
			r.Lost++
			r.detail("lost: %s acknowledged at %s@%d", v, a.TP, a.Offset)
		case got != v:
			r.Moved++
			r.detail("acknowledged %s at %s@%d, which holds %q (value read at %v)", v, a.TP, a.Offset, got, where[v])
		}
	}
	r.Conflicts += len(res.SeenTwo)
	for _, d := range res.SeenTwo {
		r.detail("tailing consumer: %s", d)
	}
	for tp, offs := range res.Seen {
		r.TailRead += len(offs)
		for off, v := range offs {
			if got, ok := read[tp][off]; !ok || got != v {
				r.Conflicts++
				r.detail("%s@%d: read as %q during the run, %q (present %v) after healing", tp, off, v, got, ok)
			}
		}
	}
	checkReplicas(r, read, replicas, hw)
}

func checkReplicas(r *Report, read map[TP]map[int64]string, replicas map[TP]map[int]map[int64]string, hw map[TP]int64) {
	for tp, nodes := range replicas {
		for node, log := range nodes {
			for off := int64(0); off < hw[tp]; off++ {
				r.ReplicaOffsets++
				want, wok := read[tp][off]
				got, gok := log[off]
				switch {
				case !gok && wok:
					r.ReplicaDiffers++
					r.detail("replica on node %d of %s lacks offset %d (below HW %d)", node, tp, off, hw[tp])
				case gok && wok && got != want:
					r.Conflicts++
					r.detail("%s@%d: consumer read %q, node %d's log holds %q", tp, off, want, node, got)
				}
			}
		}
	}
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "seed\t%d\t\n", r.Seed)
	fmt.Fprintf(tw, "duration\t%v\t\n", r.Duration.Round(time.Second))
	var kinds []string
	for k := range r.Faults {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(tw, "fault %s\t%d\t\n", k, r.Faults[k])
	}
	for _, row := range []struct {
		name string
		n    int64
	}{
		{"records sent", r.Sent}, {"produce errors (not acknowledged)", r.Failed},
		{"acknowledged", int64(r.Acked)}, {"read back", int64(r.ReadBack)}, {"read during the faults", int64(r.TailRead)},
		{"replica offsets compared (segment files)", int64(r.ReplicaOffsets)},
		{"high watermark polls", int64(r.HWPolls)},
		{"ANOMALY acknowledged lost", int64(r.Lost)},
		{"ANOMALY acknowledged offset holds another value", int64(r.Moved)},
		{"ANOMALY duplicates", int64(r.Duplicates)},
		{"ANOMALY offset with two values (reads/replicas)", int64(r.Conflicts)},
		{"ANOMALY replica log differs below HW", int64(r.ReplicaDiffers)},
		{"ANOMALY high watermark went back", int64(r.HWBack)},
	} {
		fmt.Fprintf(tw, "%s\t%d\t\n", row.name, row.n)
	}
	if r.Unresolved {
		fmt.Fprintf(tw, "producers drained after healing\tNO\t\n")
	}
	_ = tw.Flush() // w is the test log or a buffer
	if len(r.Details) > 0 {
		fmt.Fprintf(w, "details (first %d):\n  %s\n", len(r.Details), strings.Join(r.Details, "\n  "))
	}
}
