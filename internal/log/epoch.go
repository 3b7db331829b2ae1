package log

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const epochCheckpointName = "leader-epoch-checkpoint"

// epochEntry says that leader epoch Epoch wrote its first batch at
// StartOffset.
type epochEntry struct {
	Epoch       int32
	StartOffset int64
}

// epochCache is the leader epoch cache (Kafka's LeaderEpochFileCache):
// entries in increasing epoch and start offset order. Guarded by Log.mu.
type epochCache struct {
	entries []epochEntry
}

func (c *epochCache) latest() int32 {
	if len(c.entries) == 0 {
		return -1
	}
	return c.entries[len(c.entries)-1].Epoch
}

// assign records that epoch starts at off. As Kafka, it is a no-op if the
// latest entry is the same epoch at an offset <= off; otherwise entries
// with an epoch >= epoch or a start offset >= off are dropped first. It
// reports whether the cache changed.
func (c *epochCache) assign(epoch int32, off int64) bool {
	if n := len(c.entries); n > 0 {
		last := c.entries[n-1]
		if last.Epoch == epoch && last.StartOffset <= off {
			return false
		}
	}
	i := len(c.entries)
	for i > 0 && (c.entries[i-1].Epoch >= epoch || c.entries[i-1].StartOffset >= off) {
		i--
	}
	c.entries = append(c.entries[:i], epochEntry{Epoch: epoch, StartOffset: off})
	return true
}

// truncateFromEnd drops entries starting at or after off.
func (c *epochCache) truncateFromEnd(off int64) bool {
	i := len(c.entries)
	for i > 0 && c.entries[i-1].StartOffset >= off {
		i--
	}
	changed := i != len(c.entries)
	c.entries = c.entries[:i]
	return changed
}

// truncateFromStart drops entries starting at or before off, keeping the
// last of them moved to start at off.
func (c *epochCache) truncateFromStart(off int64) bool {
	i := 0
	for i < len(c.entries) && c.entries[i].StartOffset <= off {
		i++
	}
	if i == 0 {
		return false
	}
	kept := epochEntry{Epoch: c.entries[i-1].Epoch, StartOffset: off}
	changed := i > 1 || c.entries[0] != kept
	c.entries = append([]epochEntry{kept}, c.entries[i:]...)
	return changed
}

// endOffsetFor implements Kafka's LeaderEpochFileCache.endOffsetFor: the
// largest epoch <= epoch and the start offset of the next higher epoch, or
// the log end offset leo for the latest epoch; (-1, -1) when unknown.
func (c *epochCache) endOffsetFor(epoch int32, leo int64) (int32, int64) {
	if epoch < 0 || len(c.entries) == 0 {
		return -1, -1
	}
	if epoch == c.latest() {
		return epoch, leo
	}
	hi := -1
	for i, e := range c.entries {
		if e.Epoch > epoch {
			hi = i
			break
		}
	}
	if hi < 0 {
		return -1, -1 // above every known epoch
	}
	if hi == 0 {
		return epoch, c.entries[0].StartOffset
	}
	return c.entries[hi-1].Epoch, c.entries[hi].StartOffset
}

// encode writes Kafka's checkpoint text: version, count, "epoch offset".
func (c *epochCache) encode() []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "0\n%d\n", len(c.entries))
	for _, e := range c.entries {
		fmt.Fprintf(&sb, "%d %d\n", e.Epoch, e.StartOffset)
	}
	return []byte(sb.String())
}

var errBadCheckpoint = errors.New("bad checkpoint file")

func decodeEpochCheckpoint(b []byte) (epochCache, error) {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) < 2 || strings.TrimSpace(lines[0]) != "0" {
		return epochCache{}, fmt.Errorf("%w: missing version 0", errBadCheckpoint)
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[1]))
	if err != nil || n < 0 || n != len(lines)-2 {
		return epochCache{}, fmt.Errorf("%w: count line %q does not match %d entries", errBadCheckpoint, lines[1], len(lines)-2)
	}
	var c epochCache
	for _, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) != 2 {
			return epochCache{}, fmt.Errorf("%w: line %q", errBadCheckpoint, line)
		}
		ep, err1 := strconv.ParseInt(f[0], 10, 32)
		off, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || ep < 0 || off < 0 {
			return epochCache{}, fmt.Errorf("%w: line %q", errBadCheckpoint, line)
		}
		e := epochEntry{Epoch: int32(ep), StartOffset: off}
		if k := len(c.entries); k > 0 && (e.Epoch <= c.entries[k-1].Epoch || e.StartOffset < c.entries[k-1].StartOffset) {
			return epochCache{}, fmt.Errorf("%w: entries not increasing at %q", errBadCheckpoint, line)
		}
		c.entries = append(c.entries, e)
	}
	return c, nil
}
