package broker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.MetadataMinAge(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func createTopic(t *testing.T, adm *kadm.Client, name string, partitions int32, configs map[string]*string) {
	t.Helper()
	resp, err := adm.CreateTopic(ctxT(t), partitions, 1, configs, name)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v %v", name, err, resp.Err)
	}
}

// consumeN reads n records from the start of topic.
func consumeN(t *testing.T, addr, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl := newClient(t, addr, append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	ctx := ctxT(t)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(out), n, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
		out = append(out, fs.Records()...)
	}
	return out
}

func TestProduceConsumeEveryCodec(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			topic := "codec-" + name
			adm := kadm.NewClient(newClient(t, b.Addr()))
			createTopic(t, adm, topic, 3, nil)
			p := newClient(t, b.Addr(), kgo.ProducerBatchCompression(codec), kgo.DefaultProduceTopic(topic))
			const n = 500
			var want []*kgo.Record
			for i := 0; i < n; i++ {
				r := &kgo.Record{
					Key:     []byte(fmt.Sprintf("key-%d", i%17)),
					Value:   bytes.Repeat([]byte{byte(i)}, i%300),
					Headers: []kgo.RecordHeader{{Key: "h", Value: []byte(fmt.Sprint(i))}},
				}
				if i%50 == 0 {
					r.Value = nil // a null value (tombstone) round-trips as null
				}
				want = append(want, r)
			}
			if err := p.ProduceSync(ctxT(t), want...).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			got := consumeN(t, b.Addr(), topic, n)
			byHeader := map[string]*kgo.Record{}
			for _, r := range got {
				byHeader[string(r.Headers[0].Value)] = r
			}
			for i, w := range want {
				g := byHeader[fmt.Sprint(i)]
				if g == nil {
					t.Fatalf("record %d missing", i)
				}
				if !bytes.Equal(g.Key, w.Key) || !bytes.Equal(g.Value, w.Value) || (w.Value == nil) != (g.Value == nil) {
					t.Fatalf("record %d: got key %q value %d bytes (nil %v), want key %q value %d bytes (nil %v)", i, g.Key, len(g.Value), g.Value == nil, w.Key, len(w.Value), w.Value == nil)
				}
				if g.Offset != w.Offset || g.Partition != w.Partition {
					t.Fatalf("record %d: at %d/%d, produced at %d/%d", i, g.Partition, g.Offset, w.Partition, w.Offset)
				}
			}
		})
	}
}

func TestLargeRecordAndMessageTooLarge(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "big", 1, nil)
	// Uncompressed, so the batch really is as large as the record.
	p := newClient(t, b.Addr(), kgo.DefaultProduceTopic("big"), kgo.ProducerBatchMaxBytes(4<<20),
		kgo.MaxBufferedBytes(16<<20), kgo.ProducerBatchCompression(kgo.NoCompression()))
	big := bytes.Repeat([]byte("x"), 1000*1000)
	if err := p.ProduceSync(ctxT(t), &kgo.Record{Value: big}).FirstErr(); err != nil {
		t.Fatalf("1 MB record: %v", err)
	}
	got := consumeN(t, b.Addr(), "big", 1, kgo.FetchMaxBytes(1<<20), kgo.FetchMaxPartitionBytes(1<<10))
	if !bytes.Equal(got[0].Value, big) {
		t.Fatalf("1 MB record came back as %d bytes", len(got[0].Value))
	}
	// Above max.message.bytes (1048588 by default).
	err := p.ProduceSync(ctxT(t), &kgo.Record{Value: bytes.Repeat([]byte("y"), 2<<20)}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("2 MB record: got %v, want MESSAGE_TOO_LARGE", err)
	}
}

func TestAutoCreateOnProduce(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: map[string]string{"num.partitions": "4"}})
	p := newClient(t, b.Addr(), kgo.DefaultProduceTopic("auto-made"), kgo.AllowAutoTopicCreation())
	if err := p.ProduceSync(ctxT(t), &kgo.Record{Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("produce to a new topic: %v", err)
	}
	adm := kadm.NewClient(newClient(t, b.Addr()))
	td, err := adm.ListTopics(ctxT(t), "auto-made")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(td["auto-made"].Partitions); got != 4 {
		t.Fatalf("auto-created topic has %d partitions, want num.partitions=4", got)
	}
}

func TestAutoCreateDisabledAndInvalidName(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: map[string]string{"auto.create.topics.enable": "false"}})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	md, err := adm.Metadata(ctxT(t), "not-there", "bad/name")
	if err != nil {
		t.Fatal(err)
	}
	if err := md.Topics["not-there"].Err; !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("missing topic: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
	if err := md.Topics["bad/name"].Err; !errors.Is(err, kerr.InvalidTopicException) {
		t.Fatalf("bad name: %v, want INVALID_TOPIC_EXCEPTION", err)
	}
}

func TestListOffsetsByTimestamp(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "times", 1, nil)
	p := newClient(t, b.Addr(), kgo.DefaultProduceTopic("times"), kgo.ProducerLinger(0))
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := 0; i < 10; i++ {
		r := &kgo.Record{Value: []byte{byte(i)}, Timestamp: base.Add(time.Duration(i) * time.Minute)}
		if err := p.ProduceSync(ctxT(t), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{
		{base.Add(-time.Minute), 0},
		{base, 0},
		{base.Add(90 * time.Second), 2},
		{base.Add(9 * time.Minute), 9},
		{base.Add(time.Hour), 10}, // none: the broker says -1, kadm reports the end offset
	} {
		offs, err := adm.ListOffsetsAfterMilli(ctxT(t), tc.at.UnixMilli(), "times")
		if err != nil {
			t.Fatal(err)
		}
		o, _ := offs.Lookup("times", 0)
		if o.Err != nil || o.Offset != tc.want {
			t.Fatalf("offset after %v: got %d (%v), want %d", tc.at.Sub(base), o.Offset, o.Err, tc.want)
		}
	}
	// On the wire, a timestamp after every record is offset -1, timestamp
	// -1 and no error.
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = "times"
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = base.Add(time.Hour).UnixMilli()
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	raw, err := req.RequestWith(ctxT(t), newClient(t, b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Topics[0].Partitions[0]; got.ErrorCode != 0 || got.Offset != -1 || got.Timestamp != -1 {
		t.Fatalf("ListOffsets after the last record: offset %d timestamp %d error %d, want -1 -1 0", got.Offset, got.Timestamp, got.ErrorCode)
	}
	ends, err := adm.ListEndOffsets(ctxT(t), "times")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("times", 0); o.Offset != 10 {
		t.Fatalf("end offset %d, want 10", o.Offset)
	}
	maxTS, err := adm.ListMaxTimestampOffsets(ctxT(t), "times")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := maxTS.Lookup("times", 0); o.Offset != 9 {
		t.Fatalf("max timestamp offset %d (%v), want 9", o.Offset, o.Err)
	}
}

func TestConsumeFromPositions(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "pos", 1, nil)
	p := newClient(t, b.Addr(), kgo.DefaultProduceTopic("pos"))
	for i := 0; i < 100; i++ {
		p.Produce(ctxT(t), &kgo.Record{Value: []byte(fmt.Sprint(i))}, nil)
	}
	if err := p.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, b.Addr(), "pos", 10, kgo.ConsumeResetOffset(kgo.NewOffset().At(90)))
	if got[0].Offset != 90 || string(got[0].Value) != "90" {
		t.Fatalf("from offset 90: first record at %d is %q", got[0].Offset, got[0].Value)
	}
	// From latest: only records produced after the consumer started.
	c := newClient(t, b.Addr(), kgo.ConsumeTopics("pos"), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	go func() {
		// Produce once the consumer has its position: it lists the end
		// offset before fetching, and a record produced a little
		// later is after it either way.
		time.Sleep(300 * time.Millisecond)
		p.ProduceSync(context.Background(), &kgo.Record{Value: []byte("late")})
	}()
	fs := c.PollFetches(ctxT(t))
	if recs := fs.Records(); len(recs) == 0 || string(recs[0].Value) != "late" {
		t.Fatalf("from latest: got %v", recs)
	}
}

func TestDeleteRecordsAndCreatePartitions(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "trim", 1, nil)
	p := newClient(t, b.Addr(), kgo.DefaultProduceTopic("trim"))
	for i := 0; i < 50; i++ {
		if err := p.ProduceSync(ctxT(t), &kgo.Record{Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "trim", Partition: 0, At: 20})
	resp, err := adm.DeleteRecords(ctxT(t), offs)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := resp.Lookup("trim", 0); r.Err != nil || r.LowWatermark != 20 {
		t.Fatalf("delete records: low watermark %d, err %v", r.LowWatermark, r.Err)
	}
	starts, err := adm.ListStartOffsets(ctxT(t), "trim")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := starts.Lookup("trim", 0); o.Offset != 20 {
		t.Fatalf("start offset %d after DeleteRecords, want 20", o.Offset)
	}
	got := consumeN(t, b.Addr(), "trim", 30)
	if got[0].Offset != 20 {
		t.Fatalf("first consumed offset %d, want 20", got[0].Offset)
	}

	cp, err := adm.CreatePartitions(ctxT(t), 2, "trim")
	if err != nil || cp["trim"].Err != nil {
		t.Fatalf("create partitions: %v %v", err, cp["trim"].Err)
	}
	td, err := adm.ListTopics(ctxT(t), "trim")
	if err != nil || len(td["trim"].Partitions) != 3 {
		t.Fatalf("after adding 2 partitions: %v partitions, %v", len(td["trim"].Partitions), err)
	}
	if err := p.ProduceSync(ctxT(t), &kgo.Record{Value: []byte("new"), Partition: 2}).FirstErr(); err != nil {
		t.Fatalf("produce to the new partition: %v", err)
	}
}

func TestConfigsRoundTrip(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	ms := "3600000"
	createTopic(t, adm, "cfg", 1, map[string]*string{"retention.ms": &ms})
	rc, err := adm.DescribeTopicConfigs(ctxT(t), "cfg")
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := rc.On("cfg", nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]kadm.Config{}
	for _, c := range cfgs.Configs {
		seen[c.Key] = c
	}
	if c := seen["retention.ms"]; c.MaybeValue() != "3600000" || c.Source != 1 {
		t.Fatalf("retention.ms = %q source %v, want 3600000 from the topic", c.MaybeValue(), c.Source)
	}
	if c, ok := seen["segment.bytes"]; !ok || c.MaybeValue() != "1073741824" {
		t.Fatalf("segment.bytes default missing or wrong: %+v", c)
	}
	_, err = adm.AlterTopicConfigs(ctxT(t), []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr("7200000")},
		{Op: kadm.SetConfig, Name: "max.message.bytes", Value: kadm.StringPtr("2000")},
	}, "cfg")
	if err != nil {
		t.Fatal(err)
	}
	rc, _ = adm.DescribeTopicConfigs(ctxT(t), "cfg")
	cfgs, _ = rc.On("cfg", nil)
	for _, c := range cfgs.Configs {
		if c.Key == "retention.ms" && c.MaybeValue() != "7200000" {
			t.Fatalf("after alter: retention.ms = %q", c.MaybeValue())
		}
	}
	// The new max.message.bytes applies to produce at once.
	p := newClient(t, b.Addr(), kgo.DefaultProduceTopic("cfg"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	err = p.ProduceSync(ctxT(t), &kgo.Record{Value: bytes.Repeat([]byte("z"), 5000)}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("5000-byte record with max.message.bytes=2000: %v", err)
	}
	// An invalid value is refused with INVALID_CONFIG.
	resps, err := adm.AlterTopicConfigs(ctxT(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr("soon")}}, "cfg")
	if err == nil {
		err = resps[0].Err
	}
	if !errors.Is(err, kerr.InvalidConfig) {
		t.Fatalf("invalid retention.ms: %v, want INVALID_CONFIG", err)
	}
	if _, err := adm.CreateTopic(ctxT(t), 1, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}, "compacted"); err == nil {
		t.Log("note: compaction accepted")
	}
}

func TestDeleteTopicAndRecreate(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "gone", 1, nil)
	p := newClient(t, b.Addr(), kgo.DefaultProduceTopic("gone"))
	if err := p.ProduceSync(ctxT(t), &kgo.Record{Value: []byte("old")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.DeleteTopic(ctxT(t), "gone"); err != nil {
		t.Fatal(err)
	}
	createTopic(t, adm, "gone", 1, nil)
	ends, err := adm.ListEndOffsets(ctxT(t), "gone")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("gone", 0); o.Offset != 0 {
		t.Fatalf("recreated topic has end offset %d, want 0", o.Offset)
	}
	if _, err := adm.DeleteTopic(ctxT(t), "never-was"); !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("deleting an unknown topic: %v", err)
	}
}

func TestRestartKeepsTopicsConfigsAndRecords(t *testing.T) {
	dir := t.TempDir()
	b, err := brokertest.TryStart(t, brokertest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(newClient(t, b.Addr()))
	ms := "123456"
	createTopic(t, adm, "keep", 2, map[string]*string{"retention.ms": &ms})
	p := newClient(t, b.Addr(), kgo.DefaultProduceTopic("keep"))
	for i := 0; i < 20; i++ {
		if err := p.ProduceSync(ctxT(t), &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(strings.Repeat("v", i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	b.Close()

	b2 := brokertest.Start(t, brokertest.Options{Dir: dir})
	got := consumeN(t, b2.Addr(), "keep", 20)
	if len(got) != 20 {
		t.Fatalf("after restart: %d records", len(got))
	}
	adm2 := kadm.NewClient(newClient(t, b2.Addr()))
	rc, err := adm2.DescribeTopicConfigs(ctxT(t), "keep")
	if err != nil {
		t.Fatal(err)
	}
	cfgs, _ := rc.On("keep", nil)
	found := false
	for _, c := range cfgs.Configs {
		if c.Key == "retention.ms" && c.MaybeValue() == "123456" {
			found = true
		}
	}
	if !found {
		t.Fatal("retention.ms override lost across restart")
	}
}

func TestBrokerConfigsDynamic(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	adm := kadm.NewClient(newClient(t, b.Addr()))
	createTopic(t, adm, "inherits", 1, nil)
	// A cluster-wide dynamic default reaches topics without an override.
	_, err := adm.AlterBrokerConfigs(ctxT(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.retention.ms", Value: kadm.StringPtr("60000")}})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := adm.DescribeTopicConfigs(ctxT(t), "inherits")
	if err != nil {
		t.Fatal(err)
	}
	cfgs, _ := rc.On("inherits", nil)
	for _, c := range cfgs.Configs {
		if c.Key == "retention.ms" && (c.MaybeValue() != "60000" || c.Source != 3) {
			t.Fatalf("retention.ms = %q from source %v, want 60000 from DYNAMIC_DEFAULT_BROKER_CONFIG", c.MaybeValue(), c.Source)
		}
	}
	// The broker describes itself, defaults included; a read-only config
	// cannot be changed at run time.
	bc, err := adm.DescribeBrokerConfigs(ctxT(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	brokerCfgs, _ := bc.On("1", nil)
	if len(brokerCfgs.Configs) < 20 {
		t.Fatalf("broker 1 describes %d configs", len(brokerCfgs.Configs))
	}
	resps, err := adm.AlterBrokerConfigs(ctxT(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "node.id", Value: kadm.StringPtr("7")}}, 1)
	if err == nil {
		err = resps[0].Err
	}
	if err == nil {
		t.Fatal("changing node.id at run time was accepted")
	}
}

func TestSecondBrokerOnSameDirFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	brokertest.Start(t, brokertest.Options{Dir: dir})
	_, err := brokertest.TryStart(t, brokertest.Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use by another broker") {
		t.Fatalf("second broker on the same data dir: %v, want an error naming the lock", err)
	}
}
