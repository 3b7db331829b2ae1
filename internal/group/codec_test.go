package group

import (
	"testing"
	"time"
)

func TestPartitionForMatchesKafka(t *testing.T) {
	// Java: "hello".hashCode() == 99162322; "polygenelubricants" hashes
	// to Integer.MIN_VALUE, which Kafka's Utils.abs maps to 0.
	cases := []struct {
		group string
		n     int32
		want  int32
	}{
		{"hello", 50, 99162322 % 50},
		{"polygenelubricants", 50, 0},
		{"", 50, 0},
		{"g-€", 7, abs(31*(31*int64('g')+'-')+0x20AC) % 7},
	}
	for _, c := range cases {
		if got := PartitionFor(c.group, c.n); got != c.want {
			t.Errorf("PartitionFor(%q, %d) = %d, want %d", c.group, c.n, got, c.want)
		}
	}
}

func abs(v int64) int32 {
	h := int32(v)
	if h < 0 {
		h = -h
	}
	return h
}

func TestRecordsRoundTrip(t *testing.T) {
	o := Offset{Offset: 42, LeaderEpoch: 3, Metadata: "md", CommitTime: time.UnixMilli(1234)}
	d, err := decodeRecord(offsetKey("g", "t", 5), offsetValue(o))
	if err != nil || !d.isOffset || d.group != "g" || d.topic != "t" || d.partition != 5 || *d.offset != o {
		t.Fatalf("offset record: %+v %v", d, err)
	}
	if d, err := decodeRecord(offsetKey("g", "t", 5), nil); err != nil || d.offset != nil {
		t.Fatalf("offset tombstone: %+v %v", d, err)
	}

	h := newHarness(t, testLimits)
	w, _ := h.join("", "inst", consumerProtocols)
	id := h.joins[w].MemberID
	h.sync(id, 1, map[string][]byte{id: []byte("assigned")})
	d, err = decodeRecord(groupKey("g"), groupValue(h.g))
	if err != nil || d.isOffset || d.meta == nil {
		t.Fatalf("group record: %+v %v", d, err)
	}
	g := restoreClassic("g", testLimits, d.meta, t0)
	if g.State() != Stable || g.Generation() != 1 || g.Leader() != id || g.Protocol() != "range" {
		t.Fatalf("restored: %s gen %d leader %s protocol %s", g.State(), g.Generation(), g.Leader(), g.Protocol())
	}
	m := g.Members()[0]
	if m.InstanceID != "inst" || string(m.Assignment) != "assigned" || string(m.metadataFor("range")) != "r" || m.SessionTimeout != 10*time.Second {
		t.Fatalf("restored member: %+v", m)
	}
	if code := g.Heartbeat(t0, id, "inst", 1); code != 0 {
		t.Fatalf("heartbeat to a restored group: %d", code)
	}
}

func TestDecodeRecordRejectsGarbage(t *testing.T) {
	for _, key := range [][]byte{nil, {0}, {0, 9, 1}, {0, 1, 0, 5, 'a'}, {0, 2, 0xff, 0xff}} {
		if _, err := decodeRecord(key, []byte{1}); err == nil {
			t.Errorf("key %x decoded", key)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(offsetKey("g", "t", 1), offsetValue(Offset{Offset: 1}))
	f.Add(groupKey("g"), []byte{0, 3, 0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r'})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		d, err := decodeRecord(key, value)
		if err != nil {
			return
		}
		if d.meta != nil {
			restoreClassic(d.group, testLimits, d.meta, t0)
		}
	})
}
