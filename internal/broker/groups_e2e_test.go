package broker_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// groupProps are broker settings that keep group tests short: no initial
// rebalance delay, and session timeouts below Kafka's 6 s minimum.
var groupProps = map[string]string{
	"group.initial.rebalance.delay.ms": "0",
	"group.min.session.timeout.ms":     "500",
	"offsets.topic.num.partitions":     "5",
}

// etl tracks a consume-and-commit run: which offsets were processed, who
// owns each partition, and violations of the group's guarantees seen from
// the consumers' callbacks.
type etl struct {
	t  *testing.T
	mu sync.Mutex
	// processed[partition][offset]
	processed map[int32]map[int64]bool
	owner     map[int32]string
	errs      []string
	changed   chan struct{}
}

func newETL(t *testing.T) *etl {
	return &etl{t: t, processed: map[int32]map[int64]bool{}, owner: map[int32]string{}, changed: make(chan struct{})}
}

func (e *etl) failf(format string, a ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, a...))
}

// notify wakes waiters; e.mu must be held.
func (e *etl) notify() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *etl) assigned(member string, ps map[string][]int32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, parts := range ps {
		for _, p := range parts {
			if o, ok := e.owner[p]; ok && o != member {
				e.failf("partition %d assigned to %s while %s still owns it", p, member, o)
			}
			e.owner[p] = member
		}
	}
	e.notify()
}

func (e *etl) revoked(member string, ps map[string][]int32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, parts := range ps {
		for _, p := range parts {
			if e.owner[p] == member {
				delete(e.owner, p)
			}
		}
	}
}

// waitOwner waits until member owns at least one partition.
func (e *etl) waitOwner(ctx context.Context, member string) {
	e.t.Helper()
	for {
		e.mu.Lock()
		owns, ch := false, e.changed
		for _, o := range e.owner {
			owns = owns || o == member
		}
		e.mu.Unlock()
		if owns {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			e.t.Fatalf("%s never got a partition: %v", member, ctx.Err())
		}
	}
}

func (e *etl) process(member string, r *kgo.Record) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if o := e.owner[r.Partition]; o != member {
		e.failf("%s processed partition %d offset %d owned by %q", member, r.Partition, r.Offset, o)
	}
	if e.processed[r.Partition] == nil {
		e.processed[r.Partition] = map[int64]bool{}
	}
	e.processed[r.Partition][r.Offset] = true
	e.notify()
}

func (e *etl) count() int {
	n := 0
	for _, p := range e.processed {
		n += len(p)
	}
	return n
}

// waitProcessed waits until n distinct records were processed.
func (e *etl) waitProcessed(ctx context.Context, n int) {
	e.t.Helper()
	for {
		e.mu.Lock()
		got, ch := e.count(), e.changed
		e.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			e.t.Fatalf("processed %d of %d records: %v", got, n, ctx.Err())
		}
	}
}

// member is one group consumer polling on its own goroutine.
type member struct {
	name   string
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
}

func startMember(t *testing.T, e *etl, addr, topic, group, name string, opts ...kgo.Opt) *member {
	m := &member{name: name, done: make(chan struct{})}
	base := []kgo.Opt{
		kgo.SeedBrokers(addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
		kgo.SessionTimeout(3 * time.Second), kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.RebalanceTimeout(10 * time.Second), kgo.ClientID(name),
		// A short long-poll: a cooperative member's fetch already
		// waiting does not include partitions added meanwhile.
		kgo.FetchMaxWait(250 * time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { e.assigned(name, ps) }),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, ps map[string][]int32) {
			if err := cl.CommitUncommittedOffsets(ctx); err != nil {
				e.mu.Lock()
				e.failf("%s: commit on revoke: %v", name, err)
				e.mu.Unlock()
			}
			e.revoked(name, ps)
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { e.revoked(name, ps) }),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	m.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) { e.process(name, r) })
			if err := cl.CommitUncommittedOffsets(ctx); err != nil && ctx.Err() == nil {
				t.Logf("%s: commit: %v", name, err)
			}
		}
	}()
	return m
}

// stop leaves the group: the poll loop ends, then Close commits nothing
// more (offsets were committed after each poll and on revoke) and sends
// LeaveGroup.
func (m *member) stop() {
	m.cancel()
	<-m.done
	m.cl.Close()
}

// watchCommits samples the group's committed offsets until stop is closed
// and reports any that went backwards.
func watchCommits(adm *kadm.Client, group string, stop <-chan struct{}, e *etl) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		last := map[int32]int64{}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			os, err := adm.FetchOffsets(ctx, group)
			cancel()
			if err != nil {
				continue
			}
			os.Each(func(o kadm.OffsetResponse) {
				if o.Err != nil {
					return
				}
				if o.At < last[o.Partition] {
					e.mu.Lock()
					e.failf("committed offset of partition %d went back from %d to %d", o.Partition, last[o.Partition], o.At)
					e.mu.Unlock()
				}
				last[o.Partition] = o.At
			})
		}
	}()
	return &wg
}

func TestGroupETLEveryBalancer(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: groupProps})
	balancers := map[string]kgo.GroupBalancer{
		"range": kgo.RangeBalancer(), "roundrobin": kgo.RoundRobinBalancer(),
		"sticky": kgo.StickyBalancer(), "cooperative-sticky": kgo.CooperativeStickyBalancer(),
	}
	for name, bal := range balancers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runETL(t, b.Addr(), name, bal)
		})
	}
}

func runETL(t *testing.T, addr, name string, bal kgo.GroupBalancer) {
	topic, group := "etl-"+name, "g-"+name
	adm := kadm.NewClient(newClient(t, addr))
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
	opt := kgo.Balancers(bal)
	a := startMember(t, e, addr, topic, group, "a", opt)
	produce()
	e.waitProcessed(ctx, produced)
	bm := startMember(t, e, addr, topic, group, "b", opt)
	e.waitOwner(ctx, "b")
	produce()
	e.waitProcessed(ctx, produced)
	c := startMember(t, e, addr, topic, group, "c", opt)
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

	// Every offset processed, and the final commits at the end offsets.
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
