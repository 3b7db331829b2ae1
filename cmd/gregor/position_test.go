package main

import (
	"errors"
	"testing"
)

func TestParsePosition(t *testing.T) {
	tests := []struct {
		in   string
		want position
	}{
		{"earliest", position{kind: posEarliest}},
		{"latest", position{kind: posLatest}},
		{"0", position{kind: posOffset, n: 0}},
		{"1234", position{kind: posOffset, n: 1234}},
		{"@1700000000000", position{kind: posTimestamp, n: 1700000000000}},
		{"@0", position{kind: posTimestamp, n: 0}},
		{"-10", position{kind: posFromEnd, n: 10}},
	}
	for _, tt := range tests {
		got, err := parsePosition(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parsePosition(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParsePositionErrors(t *testing.T) {
	for _, in := range []string{"", "oldest", "-0", "--1", "-", "@", "@-5", "@x", "+5", "-+5", "1.5", "99999999999999999999"} {
		if _, err := parsePosition(in); !errors.Is(err, errBadPosition) {
			t.Errorf("parsePosition(%q) = %v, want errBadPosition", in, err)
		}
	}
}

func TestPositionResolve(t *testing.T) {
	const start, end = 100, 200
	tests := []struct {
		name   string
		pos    position
		atTime int64
		want   int64
	}{
		{"earliest", position{kind: posEarliest}, -1, start},
		{"latest", position{kind: posLatest}, -1, end},
		{"offset inside", position{kind: posOffset, n: 150}, -1, 150},
		{"offset below start", position{kind: posOffset, n: 5}, -1, start},
		{"offset past end", position{kind: posOffset, n: 500}, -1, end},
		{"timestamp found", position{kind: posTimestamp, n: 7}, 170, 170},
		{"timestamp newer than all", position{kind: posTimestamp, n: 7}, -1, end},
		{"10 before end", position{kind: posFromEnd, n: 10}, -1, 190},
		{"more than the log", position{kind: posFromEnd, n: 1000}, -1, start},
	}
	for _, tt := range tests {
		if got := tt.pos.resolve(start, end, tt.atTime); got != tt.want {
			t.Errorf("%s: resolve = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPositionKgoOffset(t *testing.T) {
	// The kgo offsets are opaque; check each kind maps to a distinct one.
	seen := map[string]bool{}
	for _, p := range []position{{kind: posEarliest}, {kind: posLatest}, {kind: posOffset, n: 3},
		{kind: posTimestamp, n: 9}, {kind: posFromEnd, n: 2}} {
		s := p.kgoOffset().String()
		if seen[s] {
			t.Errorf("%+v maps to %s, same as another kind", p, s)
		}
		seen[s] = true
	}
}

func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"earliest", "latest", "12", "@12", "-12", "-", "@", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePosition(s)
		if err != nil {
			return
		}
		if p.n < 0 {
			t.Fatalf("parsePosition(%q) gave negative n %d", s, p.n)
		}
		if o := p.resolve(10, 20, 15); o < 10 || o > 20 {
			t.Fatalf("resolve out of bounds: %d", o)
		}
	})
}
