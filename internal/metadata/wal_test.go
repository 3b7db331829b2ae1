package metadata

import (
	"errors"
	"slices"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
)

func ent(term, index uint64, data string) *raftpb.Entry {
	return &raftpb.Entry{Term: new(term), Index: new(index), Type: raftpb.EntryNormal.Enum(), Data: []byte(data)}
}

func hardState(term, vote, commit uint64) *raftpb.HardState {
	return &raftpb.HardState{Term: new(term), Vote: new(vote), Commit: new(commit)}
}

func walBytes(recs ...any) []byte {
	var b []byte
	for _, r := range recs {
		switch r := r.(type) {
		case *raftpb.Entry:
			b = appendEntryFrame(b, r)
		case *raftpb.HardState:
			b = appendHardStateFrame(b, r)
		}
	}
	return b
}

func TestWALRoundTripAndTornTail(t *testing.T) {
	full := walBytes(ent(1, 2, ""), ent(1, 3, `{"x":1}`), hardState(1, 1, 3))
	recs, valid := decodeWAL(full)
	if valid != len(full) || len(recs) != 3 {
		t.Fatalf("decoded %d records, %d of %d bytes", len(recs), valid, len(full))
	}
	if e := recs[1].entry; e.GetIndex() != 3 || string(e.Data) != `{"x":1}` || recs[2].hs.GetCommit() != 3 {
		t.Fatalf("records %+v", recs)
	}
	firstTwo := len(walBytes(ent(1, 2, ""), ent(1, 3, `{"x":1}`)))
	flipped := slices.Clone(full)
	flipped[firstTwo+10] ^= 0xff
	for _, tc := range []struct {
		name      string
		b         []byte
		wantValid int
	}{
		{"empty", nil, 0},
		{"cut in header", full[:4], 0},
		{"cut in last payload", full[:len(full)-1], firstTwo},
		{"bit flip in last frame", flipped, firstTwo},
		{"zero padding after", append(slices.Clone(full), make([]byte, 16)...), len(full)},
		{"huge length", append(slices.Clone(full), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0), len(full)},
		{"valid crc, unknown kind", append(slices.Clone(full), appendFrame(nil, []byte{9})...), len(full)},
		{"valid crc, short entry", append(slices.Clone(full), appendFrame(nil, []byte{kindEntry, 1})...), len(full)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, valid := decodeWAL(tc.b); valid != tc.wantValid {
				t.Fatalf("valid prefix %d, want %d", valid, tc.wantValid)
			}
		})
	}
}

func TestReplayWAL(t *testing.T) {
	tests := []struct {
		name      string
		recs      []any
		snapIndex uint64
		wantIdx   []uint64
		wantTerms []uint64
		wantHS    uint64 // commit, 0 = no hard state
		wantErr   error
	}{
		{name: "plain", recs: []any{ent(1, 2, ""), ent(1, 3, ""), hardState(1, 1, 3)}, snapIndex: 1, wantIdx: []uint64{2, 3}, wantTerms: []uint64{1, 1}, wantHS: 3},
		{name: "overwritten tail", recs: []any{ent(1, 2, ""), ent(1, 3, ""), ent(1, 4, ""), ent(2, 3, "")}, snapIndex: 1, wantIdx: []uint64{2, 3}, wantTerms: []uint64{1, 2}},
		{name: "rewritten from before start", recs: []any{ent(1, 5, ""), ent(2, 4, "")}, snapIndex: 3, wantIdx: []uint64{4}, wantTerms: []uint64{2}},
		{name: "covered by snapshot", recs: []any{ent(1, 2, ""), ent(1, 3, ""), ent(1, 4, "")}, snapIndex: 3, wantIdx: []uint64{4}, wantTerms: []uint64{1}},
		{name: "last hard state wins", recs: []any{hardState(1, 1, 1), ent(1, 2, ""), hardState(1, 1, 2)}, snapIndex: 1, wantIdx: []uint64{2}, wantTerms: []uint64{1}, wantHS: 2},
		{name: "gap inside", recs: []any{ent(1, 2, ""), ent(1, 4, "")}, snapIndex: 1, wantErr: ErrCorruption},
		{name: "gap after snapshot", recs: []any{ent(1, 5, "")}, snapIndex: 2, wantErr: ErrCorruption},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, _ := decodeWAL(walBytes(tc.recs...))
			hs, ents, err := replayWAL(recs, tc.snapIndex)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			var idx, terms []uint64
			for _, e := range ents {
				idx, terms = append(idx, e.GetIndex()), append(terms, e.GetTerm())
			}
			if !slices.Equal(idx, tc.wantIdx) || !slices.Equal(terms, tc.wantTerms) || hs.GetCommit() != tc.wantHS {
				t.Fatalf("entries %v terms %v commit %d", idx, terms, hs.GetCommit())
			}
		})
	}
}

func TestSnapshotFileCodec(t *testing.T) {
	img := emptyImage()
	img.ClusterID = "c"
	data, err := encodeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encodeSnapshotFile(&snapshotFile{NodeID: 3, Index: 9, Term: 2, Voters: []uint64{3}, Image: data})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := decodeSnapshotFile(b)
	if err != nil || sf.NodeID != 3 || sf.Index != 9 || sf.raftSnapshot().GetMetadata().GetTerm() != 2 {
		t.Fatalf("decode = %+v, %v", sf, err)
	}
	for name, bad := range map[string][]byte{
		"truncated": b[:len(b)-1],
		"trailing":  append(slices.Clone(b), 0),
		"magic":     append([]byte("XXXXXXXX"), b[8:]...),
	} {
		if _, err := decodeSnapshotFile(bad); !errors.Is(err, ErrCorruption) {
			t.Errorf("%s: %v, want ErrCorruption", name, err)
		}
	}
}

// FuzzWAL: decoding arbitrary WAL bytes never panics, the valid prefix
// re-encodes to itself, and replay either errors or yields a gapless log.
func FuzzWAL(f *testing.F) {
	f.Add(walBytes(ent(1, 2, ""), ent(1, 3, `{"v":1}`), hardState(1, 1, 3)))
	f.Add(walBytes(ent(1, 2, "x"), ent(2, 2, "y")))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, valid := decodeWAL(b)
		if valid > len(b) {
			t.Fatalf("valid %d > len %d", valid, len(b))
		}
		var again []byte
		for _, r := range recs {
			if r.entry != nil {
				again = appendEntryFrame(again, r.entry)
			} else {
				again = appendHardStateFrame(again, r.hs)
			}
		}
		if string(again) != string(b[:valid]) {
			t.Fatal("valid prefix does not re-encode to itself")
		}
		_, ents, err := replayWAL(recs, 0)
		if err != nil {
			return
		}
		for i := 1; i < len(ents); i++ {
			if ents[i].GetIndex() != ents[i-1].GetIndex()+1 {
				t.Fatalf("gap after replay: %d then %d", ents[i-1].GetIndex(), ents[i].GetIndex())
			}
		}
	})
}

// FuzzSnapshotFile: decoding arbitrary snapshot bytes never panics.
func FuzzSnapshotFile(f *testing.F) {
	img := emptyImage()
	img.ClusterID = "c"
	data, err := encodeImage(img)
	if err != nil {
		f.Fatal(err)
	}
	b, err := encodeSnapshotFile(&snapshotFile{NodeID: 1, Index: 1, Term: 1, Voters: []uint64{1}, Image: data})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := decodeSnapshotFile(b)
		if err != nil {
			return
		}
		if img, err := decodeImage(sf.Image); err == nil && len(img.Topics) != len(img.TopicsByID) {
			t.Fatal("topic maps out of step")
		}
	})
}
