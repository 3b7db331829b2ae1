package partition

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/record"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func brokerConfig(t *testing.T, props map[string]string) *config.Broker {
	t.Helper()
	props["log.dirs"] = "/data"
	cfg, _, err := config.Load("", nil, props)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func image(topics ...*metadata.Topic) *metadata.Image {
	img := &metadata.Image{Topics: map[string]*metadata.Topic{}, TopicsByID: map[[16]byte]*metadata.Topic{}}
	for _, t := range topics {
		img.Topics[t.Name] = t
		img.TopicsByID[t.ID] = t
	}
	return img
}

func topic(name string, id byte, partitions int, configs map[string]string) *metadata.Topic {
	t := &metadata.Topic{Name: name, ID: [16]byte{id}, Configs: configs}
	for i := 0; i < partitions; i++ {
		t.Partitions = append(t.Partitions, metadata.Partition{Index: int32(i), Replicas: []int32{1}, ISR: []int32{1}, Leader: 1})
	}
	return t
}

func batch(t *testing.T, n int) []byte {
	t.Helper()
	var recs []record.Record
	for i := 0; i < n; i++ {
		recs = append(recs, record.Record{Offset: int64(i), Timestamp: time.Now().UnixMilli(), Value: []byte("v")})
	}
	b, err := record.Build(record.BatchSpec{}, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHighWatermarkWaitsForFsyncByDefault(t *testing.T) {
	m := NewManager(fs.NewMem(), "/data", 1, quiet)
	defer m.Close()
	if err := m.Apply(image(topic("t", 1, 1, nil)), brokerConfig(t, map[string]string{})); err != nil {
		t.Fatal(err)
	}
	p := m.Get("t", 0)
	changed := p.Changed()
	res, err := p.Append(batch(t, 3), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if hw := p.Offsets().HighWatermark; hw != 0 {
		t.Fatalf("high watermark %d before fsync, want 0: consumers would see data a crash can lose", hw)
	}
	if err := p.WaitDurable(res.LastOffset + 1); err != nil {
		t.Fatal(err)
	}
	if hw := p.Offsets().HighWatermark; hw != 3 {
		t.Fatalf("high watermark %d after fsync, want 3", hw)
	}
	select {
	case <-changed:
	default:
		t.Fatal("waiting fetches were not woken when the high watermark moved")
	}
}

func TestRelaxedFlushMessages(t *testing.T) {
	m := NewManager(fs.NewMem(), "/data", 1, quiet)
	defer m.Close()
	img := image(topic("t", 1, 1, map[string]string{"flush.messages": "5"}))
	if err := m.Apply(img, brokerConfig(t, map[string]string{})); err != nil {
		t.Fatal(err)
	}
	p := m.Get("t", 0)
	if _, err := p.Append(batch(t, 2), time.Now()); err != nil {
		t.Fatal(err)
	}
	if o := p.Offsets(); o.HighWatermark != 2 || p.Log().DurableOffset() != 0 {
		t.Fatalf("flush.messages=5 after 2 records: hw %d durable %d, want 2 and 0", o.HighWatermark, p.Log().DurableOffset())
	}
	if _, err := p.Append(batch(t, 3), time.Now()); err != nil {
		t.Fatal(err)
	}
	if d := p.Log().DurableOffset(); d != 5 {
		t.Fatalf("flush.messages=5 after 5 records: durable %d, want 5", d)
	}
}

func TestApplyDeletesAndRecreates(t *testing.T) {
	mem := fs.NewMem()
	m := NewManager(mem, "/data", 1, quiet)
	defer m.Close()
	cfg := brokerConfig(t, map[string]string{})
	if err := m.Apply(image(topic("t", 1, 2, nil)), cfg); err != nil {
		t.Fatal(err)
	}
	p := m.Get("t", 1)
	res, _ := p.Append(batch(t, 4), time.Now())
	p.WaitDurable(res.LastOffset + 1)
	// Same name, new id: the old data must not come back.
	if err := m.Apply(image(topic("t", 2, 1, nil)), cfg); err != nil {
		t.Fatal(err)
	}
	if m.Get("t", 1) != nil {
		t.Fatal("partition 1 of the old topic is still hosted")
	}
	if o := m.Get("t", 0).Offsets(); o.LogEnd != 0 {
		t.Fatalf("recreated topic starts at %d, want 0", o.LogEnd)
	}
	if err := m.Apply(image(), cfg); err != nil {
		t.Fatal(err)
	}
	if names, _ := mem.ReadDir("/data"); len(names) != 0 {
		t.Fatalf("deleted topic left %v", names)
	}
}

func TestLeaderEpochFencing(t *testing.T) {
	m := NewManager(fs.NewMem(), "/data", 1, quiet)
	defer m.Close()
	tp := topic("t", 1, 1, nil)
	tp.Partitions[0].LeaderEpoch = 3
	if err := m.Apply(image(tp), brokerConfig(t, map[string]string{})); err != nil {
		t.Fatal(err)
	}
	p := m.Get("t", 0)
	for _, tc := range []struct {
		epoch int32
		want  error
	}{{-1, nil}, {3, nil}, {2, ErrFencedLeaderEpoch}, {4, ErrUnknownLeaderEpoch}} {
		if err := p.CheckLeaderEpoch(tc.epoch); err != tc.want {
			t.Errorf("epoch %d: %v, want %v", tc.epoch, err, tc.want)
		}
	}
	if e, off := p.Log().EndOffsetForEpoch(3); e != 3 || off != 0 {
		t.Fatalf("epoch cache: epoch %d end %d, want 3 and 0", e, off)
	}
}

func TestParseDirName(t *testing.T) {
	for name, want := range map[string]TopicPartition{
		"a-0": {"a", 0}, "my-topic-12": {"my-topic", 12}, "x.y_z-3": {"x.y_z", 3},
	} {
		if got, ok := parseDirName(name); !ok || got != want {
			t.Errorf("%s: %v %v", name, got, ok)
		}
	}
	for _, bad := range []string{"meta", "-1", "a-b", "a-+1"} {
		if _, ok := parseDirName(bad); ok {
			t.Errorf("%s parsed as a partition dir", bad)
		}
	}
}
