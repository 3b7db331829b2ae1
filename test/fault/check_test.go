package fault

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestCheckCounts feeds the checker one instance of each anomaly and
// checks each is counted once (and a clean history counts none).
func TestCheckCounts(t *testing.T) {
	a0, a1 := TP{"t", 0}, TP{"t", 1}
	clean := func() (Results, map[TP]map[int64]string, map[TP]map[int]map[int64]string, map[TP]int64) {
		res := Results{Acked: map[string]Ack{"x": {a0, 0}, "y": {a0, 1}, "z": {a1, 0}},
			Seen: map[TP]map[int64]string{a0: {0: "x"}}}
		read := map[TP]map[int64]string{a0: {0: "x", 1: "y"}, a1: {0: "z"}}
		reps := map[TP]map[int]map[int64]string{
			a0: {1: {0: "x", 1: "y"}, 2: {0: "x", 1: "y", 2: "beyond the HW"}},
			a1: {1: {0: "z"}, 2: {0: "z"}},
		}
		return res, read, reps, map[TP]int64{a0: 2, a1: 1}
	}
	for _, tc := range []struct {
		name  string
		spoil func(Results, map[TP]map[int64]string, map[TP]map[int]map[int64]string) Results
		field func(*Report) int
	}{
		{"clean", func(r Results, _ map[TP]map[int64]string, _ map[TP]map[int]map[int64]string) Results { return r },
			func(*Report) int { return 0 }},
		{"lost", func(r Results, read map[TP]map[int64]string, reps map[TP]map[int]map[int64]string) Results {
			r.Acked["w"] = Ack{a1, 1}
			return r
		}, func(r *Report) int { return r.Lost }},
		{"moved", func(r Results, read map[TP]map[int64]string, _ map[TP]map[int]map[int64]string) Results {
			r.Acked["z"] = Ack{a1, 5}
			read[a1][5] = "other"
			return r
		}, func(r *Report) int { return r.Moved }},
		{"duplicate", func(r Results, read map[TP]map[int64]string, _ map[TP]map[int]map[int64]string) Results {
			read[a1][1] = "z"
			return r
		}, func(r *Report) int { return r.Duplicates }},
		{"replica conflict", func(r Results, _ map[TP]map[int64]string, reps map[TP]map[int]map[int64]string) Results {
			reps[a0][2][1] = "other"
			return r
		}, func(r *Report) int { return r.Conflicts }},
		{"read then gone", func(r Results, _ map[TP]map[int64]string, _ map[TP]map[int]map[int64]string) Results {
			r.Seen[a1] = map[int64]string{3: "vanished"}
			return r
		}, func(r *Report) int { return r.Conflicts }},
		{"replica lacks", func(r Results, _ map[TP]map[int64]string, reps map[TP]map[int]map[int64]string) Results {
			delete(reps[a1][2], 0)
			return r
		}, func(r *Report) int { return r.ReplicaDiffers }},
		{"hw back", func(r Results, _ map[TP]map[int64]string, _ map[TP]map[int]map[int64]string) Results {
			r.HWBack = []HWRegression{{a0, 5, 3, 1, 2, time.Now()}}
			return r
		}, func(r *Report) int { return r.HWBack }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, read, reps, hw := clean()
			res = tc.spoil(res, read, reps)
			var rep Report
			Check(&rep, res, read, reps, hw)
			want := 1
			if tc.name == "clean" {
				want = 0
			}
			if tc.field(&rep) != want || rep.Anomalies() != want {
				var b bytes.Buffer
				rep.Print(&b)
				t.Fatalf("want %d anomaly, got:\n%s", want, b.String())
			}
			var b bytes.Buffer
			rep.Print(&b)
			if !strings.Contains(b.String(), "ANOMALY acknowledged lost") {
				t.Fatalf("table lacks rows:\n%s", b.String())
			}
		})
	}
}
