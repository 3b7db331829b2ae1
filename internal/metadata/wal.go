package metadata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"go.etcd.io/raft/v3/raftpb"
)

// The WAL and the snapshot file share one framing:
//
//	frame   = length uint32 BE | crc uint32 BE | payload (length bytes)
//	crc     = CRC-32C (Castagnoli) of payload
//
// A WAL is a sequence of frames whose payload starts with a kind byte:
//
//	kindEntry     = 1: term u64 | index u64 | entry type u8 | data
//	kindHardState = 2: term u64 | vote u64 | commit u64
//
// (all integers big-endian). At recovery the WAL is read up to the first
// frame that is short, too long or fails its CRC, and cut there: that is
// the torn tail of a write that was never acknowledged.

const (
	frameHeader = 8
	// maxFrame bounds a frame's payload, so a corrupt length cannot make
	// recovery allocate gigabytes; such a frame ends the valid prefix.
	maxFrame = 64 << 20

	kindEntry     = 1
	kindHardState = 2

	entryHeader  = 1 + 8 + 8 + 1
	hardStateLen = 1 + 8 + 8 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadFrame marks a WAL frame whose CRC holds but whose payload does not
// parse; it is treated like a torn tail.
var errBadFrame = errors.New("metadata: malformed wal frame")

// appendFrame appends a frame holding payload to buf.
func appendFrame(buf, payload []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(payload)))
	buf = binary.BigEndian.AppendUint32(buf, crc32.Checksum(payload, castagnoli))
	return append(buf, payload...)
}

// readFrame parses the frame at the start of b; ok is false when b does
// not start with a whole frame whose CRC checks.
func readFrame(b []byte) (payload []byte, n int, ok bool) {
	if len(b) < frameHeader {
		return nil, 0, false
	}
	size := binary.BigEndian.Uint32(b)
	if size > maxFrame || uint64(len(b)-frameHeader) < uint64(size) {
		return nil, 0, false
	}
	payload = b[frameHeader : frameHeader+int(size)]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(b[4:]) {
		return nil, 0, false
	}
	return payload, frameHeader + int(size), true
}

// appendEntryFrame appends the frame of a Raft entry.
func appendEntryFrame(buf []byte, e *raftpb.Entry) []byte {
	p := make([]byte, 0, entryHeader+len(e.Data))
	p = append(p, kindEntry)
	p = binary.BigEndian.AppendUint64(p, e.GetTerm())
	p = binary.BigEndian.AppendUint64(p, e.GetIndex())
	p = append(p, byte(e.GetType()))
	p = append(p, e.Data...)
	return appendFrame(buf, p)
}

// appendHardStateFrame appends the frame of a hard state.
func appendHardStateFrame(buf []byte, hs *raftpb.HardState) []byte {
	p := make([]byte, 0, hardStateLen)
	p = append(p, kindHardState)
	p = binary.BigEndian.AppendUint64(p, hs.GetTerm())
	p = binary.BigEndian.AppendUint64(p, hs.GetVote())
	p = binary.BigEndian.AppendUint64(p, hs.GetCommit())
	return appendFrame(buf, p)
}

// walRecord is one decoded WAL frame: an entry or a hard state.
type walRecord struct {
	entry *raftpb.Entry
	hs    *raftpb.HardState
}

func decodeWALPayload(p []byte) (walRecord, error) {
	if len(p) == 0 {
		return walRecord{}, fmt.Errorf("%w: empty payload", errBadFrame)
	}
	switch p[0] {
	case kindEntry:
		if len(p) < entryHeader {
			return walRecord{}, fmt.Errorf("%w: short entry", errBadFrame)
		}
		typ := raftpb.EntryType(p[17])
		if _, known := raftpb.EntryType_name[int32(typ)]; !known {
			return walRecord{}, fmt.Errorf("%w: entry type %d", errBadFrame, typ)
		}
		e := &raftpb.Entry{
			Term:  new(binary.BigEndian.Uint64(p[1:])),
			Index: new(binary.BigEndian.Uint64(p[9:])),
			Type:  typ.Enum(),
			Data:  append([]byte(nil), p[entryHeader:]...),
		}
		return walRecord{entry: e}, nil
	case kindHardState:
		if len(p) != hardStateLen {
			return walRecord{}, fmt.Errorf("%w: hard state of %d bytes", errBadFrame, len(p))
		}
		hs := &raftpb.HardState{
			Term:   new(binary.BigEndian.Uint64(p[1:])),
			Vote:   new(binary.BigEndian.Uint64(p[9:])),
			Commit: new(binary.BigEndian.Uint64(p[17:])),
		}
		return walRecord{hs: hs}, nil
	default:
		return walRecord{}, fmt.Errorf("%w: kind %d", errBadFrame, p[0])
	}
}

// decodeWAL returns the records of the longest valid prefix of b and that
// prefix's length; the bytes after it are a torn tail.
func decodeWAL(b []byte) ([]walRecord, int) {
	var recs []walRecord
	off := 0
	for off < len(b) {
		payload, n, ok := readFrame(b[off:])
		if !ok {
			break
		}
		rec, err := decodeWALPayload(payload)
		if err != nil {
			break
		}
		recs = append(recs, rec)
		off += n
	}
	return recs, off
}

// replayWAL folds WAL records into the last hard state and the log they
// describe: an entry at index i replaces every entry from i on (Raft
// overwrote an uncommitted tail). Entries at or below snapIndex are
// dropped (a snapshot covers them). The result must follow snapIndex
// without a gap, else ErrCorruption.
func replayWAL(recs []walRecord, snapIndex uint64) (*raftpb.HardState, []*raftpb.Entry, error) {
	var hs *raftpb.HardState
	var ents []*raftpb.Entry
	for _, r := range recs {
		if r.hs != nil {
			hs = r.hs
			continue
		}
		e := r.entry
		if len(ents) > 0 {
			first := ents[0].GetIndex()
			switch {
			case e.GetIndex() < first:
				ents = ents[:0]
			case e.GetIndex() <= ents[len(ents)-1].GetIndex()+1:
				ents = ents[:e.GetIndex()-first]
			default:
				return nil, nil, fmt.Errorf("%w: wal entry %d after %d", ErrCorruption, e.GetIndex(), ents[len(ents)-1].GetIndex())
			}
		}
		ents = append(ents, e)
	}
	i := 0
	for i < len(ents) && ents[i].GetIndex() <= snapIndex {
		i++
	}
	ents = ents[i:]
	if len(ents) > 0 && ents[0].GetIndex() != snapIndex+1 {
		return nil, nil, fmt.Errorf("%w: wal starts at entry %d, snapshot ends at %d", ErrCorruption, ents[0].GetIndex(), snapIndex)
	}
	return hs, ents, nil
}
