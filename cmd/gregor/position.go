package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// errBadPosition is returned by parsePosition for a --from it cannot read.
var errBadPosition = errors.New("want earliest, latest, OFFSET, @TIMESTAMP_MS or -N")

// posKind says how a consume start position is given.
type posKind int

const (
	posEarliest  posKind = iota // the log start offset
	posLatest                   // the end offset: only new records
	posOffset                   // an absolute offset
	posTimestamp                // the first record with timestamp >= n (ms)
	posFromEnd                  // n records before the end offset
)

// position is a parsed --from value.
type position struct {
	kind posKind
	n    int64 // the offset, timestamp or count, per kind
}

// parsePosition parses --from: "earliest", "latest", "OFFSET" (>= 0),
// "@TIMESTAMP_MS" (>= 0) or "-N" (N > 0, N records before the end).
func parsePosition(s string) (position, error) {
	switch {
	case s == "earliest":
		return position{kind: posEarliest}, nil
	case s == "latest":
		return position{kind: posLatest}, nil
	case strings.HasPrefix(s, "@"):
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil || n < 0 {
			return position{}, fmt.Errorf("%q: %w", s, errBadPosition)
		}
		return position{kind: posTimestamp, n: n}, nil
	case strings.HasPrefix(s, "-"):
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil || n <= 0 || strings.HasPrefix(s[1:], "+") {
			return position{}, fmt.Errorf("%q: %w", s, errBadPosition)
		}
		return position{kind: posFromEnd, n: n}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(s, "+") {
		return position{}, fmt.Errorf("%q: %w", s, errBadPosition)
	}
	return position{kind: posOffset, n: n}, nil
}

// resolve returns the offset to start one partition at, given that
// partition's log start and end offsets and, for posTimestamp, the offset the
// broker found for the timestamp (-1 if no record is that new). The result is
// always within [start, end]: an offset past either bound is clamped to it.
func (p position) resolve(start, end, atTime int64) int64 {
	var o int64
	switch p.kind {
	case posEarliest:
		o = start
	case posLatest:
		o = end
	case posOffset:
		o = p.n
	case posTimestamp:
		o = atTime
		if o < 0 {
			o = end
		}
	case posFromEnd:
		o = end - p.n
	}
	return min(max(o, start), end)
}

// kgoOffset is the position as a kgo reset offset, used with --group for
// partitions the group has no committed offset for.
func (p position) kgoOffset() kgo.Offset {
	switch p.kind {
	case posEarliest:
		return kgo.NewOffset().AtStart()
	case posOffset:
		return kgo.NewOffset().At(p.n)
	case posTimestamp:
		return kgo.NewOffset().AfterMilli(p.n)
	case posFromEnd:
		return kgo.NewOffset().AtEnd().Relative(-p.n)
	}
	return kgo.NewOffset().AtEnd()
}
