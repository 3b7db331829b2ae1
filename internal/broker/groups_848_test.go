package broker_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// props848 are groupProps plus a short KIP-848 heartbeat interval and
// session timeout.
func props848() map[string]string {
	p := map[string]string{
		"group.consumer.heartbeat.interval.ms": "100",
		"group.consumer.session.timeout.ms":    "3000",
	}
	for k, v := range groupProps {
		p[k] = v
	}
	return p
}

// TestGroup848ETL runs the consume-and-commit story with franz-go's
// KIP-848 consumer (kgo.ServerSideBalancer) for both server-side
// assignors: members join and leave mid-stream; every record is
// processed, commits never go backwards, no partition is owned by two
// members at once (checked from the consumers' callbacks).
func TestGroup848ETL(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: props848()})
	balancers := map[string]kgo.GroupBalancer{"range": kgo.RangeBalancer(), "uniform": kgo.StickyBalancer()}
	for name, bal := range balancers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runETL848(t, b.Addr(), name, bal)
		})
	}
}

func runETL848(t *testing.T, addr, name string, bal kgo.GroupBalancer) {
	topic, group := "etl848-"+name, "g848-"+name
	cl := newClient(t, addr)
	adm := kadm.NewClient(cl)
	const parts, perPhase = 6, 400
	createTopic(t, adm, topic, parts, nil)
	prod := newClient(t, addr, kgo.DefaultProduceTopic(topic))
	e := newETL(t)
	stopWatch := make(chan struct{})
	watch := watchCommits(adm, group, stopWatch, e)
	ctx := ctxT(t)
	produced := 0
	produce := func() {
		var rs []*kgo.Record
		for i := 0; i < perPhase; i++ {
			rs = append(rs, &kgo.Record{Key: []byte(strconv.Itoa(produced)), Value: []byte(strconv.Itoa(produced))})
			produced++
		}
		if err := prod.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	opts := []kgo.Opt{kgo.Balancers(bal), kgo.ServerSideBalancer()}
	a := startMember(t, e, addr, topic, group, "a", opts...)
	produce()
	e.waitProcessed(ctx, produced)
	assertConsumerGroup(t, cl, group, name)
	bm := startMember(t, e, addr, topic, group, "b", opts...)
	e.waitOwner(ctx, "b")
	produce()
	e.waitProcessed(ctx, produced)
	c := startMember(t, e, addr, topic, group, "c", opts...)
	e.waitOwner(ctx, "c")
	produce()
	e.waitProcessed(ctx, produced)
	a.stop()
	produce()
	e.waitProcessed(ctx, produced)
	bm.stop()
	c.stop()
	close(stopWatch)
	watch.Wait()

	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ends.Each(func(o kadm.ListedOffset) {
		for off := int64(0); off < o.Offset; off++ {
			if !e.processed[o.Partition][off] {
				t.Errorf("partition %d offset %d never processed", o.Partition, off)
				break
			}
		}
		if c, ok := committed.Lookup(topic, o.Partition); !ok || c.At != o.Offset {
			t.Errorf("partition %d: committed %v, end offset %d", o.Partition, c.At, o.Offset)
		}
	})
	for _, s := range e.errs {
		t.Error(s)
	}
}

// assertConsumerGroup checks that the group really runs the consumer
// protocol (kgo silently falls back to the classic one otherwise) with
// the assignor asked for.
func assertConsumerGroup(t *testing.T, cl *kgo.Client, group, assignor string) {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{group}
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	g := resp.Groups[0]
	if err := kerr.ErrorForCode(g.ErrorCode); err != nil {
		t.Fatalf("ConsumerGroupDescribe %s: %v", group, err)
	}
	if g.AssignorName != assignor || len(g.Members) == 0 || g.Members[0].MemberType != 1 {
		t.Fatalf("group %s: assignor %q, %d members, want %q with consumer members", group, g.AssignorName, len(g.Members), assignor)
	}
	listed, err := kadm.NewClient(cl).ListGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := listed[group]; !ok || l.ProtocolType != "consumer" {
		t.Fatalf("ListGroups: %+v", listed[group])
	}
}
