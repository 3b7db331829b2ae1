package broker_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
	"github.com/gregor-streaming/gregor/internal/fs"
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

// TestGroup848Protocol checks the KIP-848 error cases on the wire:
// protocol mixing, member epochs in OffsetCommit, leave, describe.
func TestGroup848Protocol(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: props848()})
	cl := newClient(t, b.Addr())
	adm := kadm.NewClient(cl)
	ctx := ctxT(t)
	createTopic(t, adm, "p848", 3, nil)
	hb := func(group, member string, epoch int32, join bool) *kmsg.ConsumerGroupHeartbeatResponse {
		t.Helper()
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch = group, member, epoch
		req.RebalanceTimeoutMillis = -1
		if join {
			req.RebalanceTimeoutMillis, req.SubscribedTopicNames = 5000, []string{"p848"}
			req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	wantCode := func(what string, got int16, want *kerr.Error) {
		t.Helper()
		if got != want.Code {
			t.Fatalf("%s: %v, want %v", what, kerr.ErrorForCode(got), want)
		}
	}

	r := hb("g848p", "member-1", 0, true)
	wantCode("join", r.ErrorCode, &kerr.Error{Code: 0})
	if r.MemberEpoch != 1 || r.Assignment == nil || len(r.Assignment.Topics) != 1 || len(r.Assignment.Topics[0].Partitions) != 3 {
		t.Fatalf("join: %+v", r)
	}
	wantCode("heartbeat from an unknown member", hb("g848p", "member-x", 1, false).ErrorCode, kerr.UnknownMemberID)
	wantCode("epoch from the future", hb("g848p", "member-1", 9, false).ErrorCode, kerr.FencedMemberEpoch)
	wantCode("heartbeat to a missing group", hb("g848-none", "member-1", 1, false).ErrorCode, kerr.UnknownMemberID)

	// A classic member cannot join a consumer group with members.
	join := kmsg.NewPtrJoinGroupRequest()
	join.Group, join.ProtocolType, join.SessionTimeoutMillis, join.RebalanceTimeoutMillis = "g848p", "consumer", 6000, 6000
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0}}}
	jr, err := join.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	wantCode("classic JoinGroup to a consumer group", jr.ErrorCode, kerr.InconsistentGroupProtocol)

	// OffsetCommit v9 carries the member epoch.
	commit := func(epoch int32) int16 {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Group, req.MemberID, req.Generation = "g848p", "member-1", epoch
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = "p848"
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset = 0, 1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	wantCode("commit with a stale epoch", commit(0), kerr.StaleMemberEpoch)
	wantCode("commit with the member epoch", commit(1), &kerr.Error{Code: 0})

	// DescribeGroups does not describe consumer groups (Kafka: not a
	// classic group); ListGroups lists it with its type.
	dg := kmsg.NewPtrDescribeGroupsRequest()
	dg.Groups = []string{"g848p"}
	dr, err := dg.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	wantCode("DescribeGroups", dr.Groups[0].ErrorCode, kerr.GroupIDNotFound)
	lg := kmsg.NewPtrListGroupsRequest()
	lg.TypesFilter = []string{"consumer"}
	lr, err := lg.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Groups) != 1 || lr.Groups[0].Group != "g848p" || lr.Groups[0].GroupState != "Stable" || lr.Groups[0].GroupType != "consumer" {
		t.Fatalf("ListGroups: %+v", lr.Groups)
	}

	// Leave, then the member is unknown and the group empty.
	if r := hb("g848p", "member-1", -1, false); r.ErrorCode != 0 || r.MemberEpoch != -1 {
		t.Fatalf("leave: %+v", r)
	}
	wantCode("heartbeat after leaving", hb("g848p", "member-1", 1, false).ErrorCode, kerr.UnknownMemberID)
	assertDescribeState(t, cl, "g848p", "Empty")
	// An empty consumer group accepts a simple commit and may become a
	// classic group again.
	wantCode("simple commit to an empty consumer group", commit(-1), &kerr.Error{Code: 0})
}

func assertDescribeState(t *testing.T, cl *kgo.Client, group, state string) {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{group}
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if g := resp.Groups[0]; g.ErrorCode != 0 || g.State != state {
		t.Fatalf("ConsumerGroupDescribe %s: %v state %q, want %q", group, kerr.ErrorForCode(g.ErrorCode), g.State, state)
	}
}

// TestGroup848ClassicGroupRefusesConsumerMembers: a classic group with
// members answers GROUP_ID_NOT_FOUND to a KIP-848 join (Kafka's answer
// when the online upgrade is not available).
func TestGroup848ClassicGroupRefusesConsumerMembers(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: groupProps})
	cl := newClient(t, b.Addr())
	createTopic(t, kadm.NewClient(cl), "c848", 1, nil)
	e := newETL(t)
	m := startMember(t, e, b.Addr(), "c848", "classic-g", "a")
	defer m.stop()
	e.waitOwner(ctxT(t), "a")
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberID, req.RebalanceTimeoutMillis = "classic-g", "m", 5000
	req.SubscribedTopicNames, req.Topics = []string{"c848"}, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("848 join to a classic group: %v", kerr.ErrorForCode(resp.ErrorCode))
	}
}

// TestGroup848Regex consumes with a regex subscription resolved by the
// broker; a topic created later that matches is assigned too.
func TestGroup848Regex(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: props848()})
	cl := newClient(t, b.Addr())
	adm := kadm.NewClient(cl)
	ctx := ctxT(t)
	createTopic(t, adm, "re848-a", 2, nil)
	createTopic(t, adm, "other848", 1, nil)
	prod := newClient(t, b.Addr())
	produce := func(topic string, n int) {
		for i := 0; i < n; i++ {
			if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(strconv.Itoa(i))}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produce("re848-a", 10)
	produce("other848", 5)
	cons := newClient(t, b.Addr(), kgo.ConsumerGroup("g848-re"), kgo.ConsumeRegex(), kgo.ConsumeTopics("re848-.*"),
		kgo.Balancers(kgo.RangeBalancer()), kgo.ServerSideBalancer(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.HeartbeatInterval(100*time.Millisecond))
	got := map[string]int{}
	consume := func(want map[string]int) {
		for {
			done := true
			for topic, n := range want {
				done = done && got[topic] >= n
			}
			if done {
				return
			}
			fs := cons.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("consumed %v, want %v", got, want)
			}
			fs.EachRecord(func(r *kgo.Record) { got[r.Topic]++ })
		}
	}
	consume(map[string]int{"re848-a": 10})
	createTopic(t, adm, "re848-b", 1, nil)
	produce("re848-b", 3)
	consume(map[string]int{"re848-a": 10, "re848-b": 3})
	if got["other848"] != 0 {
		t.Fatalf("consumed a topic the regex does not match: %v", got)
	}
	assertDescribeState(t, cl, "g848-re", "Stable")
}

// TestGroup848Restart restarts the broker under two KIP-848 consumers:
// the group's state (group epoch, targets, members with their epochs and
// assignments) is replayed from __consumer_offsets, so the members carry
// on heartbeating with their member ids and epochs: no rebalance, no
// partition lost or assigned again, and every record after the restart
// is processed.
func TestGroup848Restart(t *testing.T) {
	dir := t.TempDir()
	b, err := brokertest.TryStart(t, brokertest.Options{Dir: dir, Props: props848()})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	cl := newClient(t, addr)
	adm := kadm.NewClient(cl)
	createTopic(t, adm, "restart848", 4, nil)
	prod := newClient(t, addr, kgo.DefaultProduceTopic("restart848"))
	ctx := ctxT(t)
	produceValues(t, ctx, prod, 300)
	e := newETL(t)
	var callbacks atomic.Int32 // partitions assigned or lost after the group settled
	var settled atomic.Bool
	count := func(name string, opts ...kgo.Opt) []kgo.Opt {
		return append(opts,
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
				// A callback with no partition (kgo may deliver one
				// when a heartbeat restates the same assignment)
				// moves nothing.
				if settled.Load() && numPartitions(ps) > 0 {
					callbacks.Add(1)
					t.Logf("member %s assigned %v after the group settled", name, ps)
				}
				e.assigned(name, ps)
			}),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
				if numPartitions(ps) > 0 {
					callbacks.Add(1)
					t.Logf("member %s lost %v", name, ps)
				}
				e.revoked(name, ps)
			}))
	}
	opts := []kgo.Opt{kgo.Balancers(kgo.RangeBalancer()), kgo.ServerSideBalancer()}
	m1 := startMember(t, e, addr, "restart848", "g848-restart", "a", count("a", opts...)...)
	m2 := startMember(t, e, addr, "restart848", "g848-restart", "b", count("b", opts...)...)
	e.waitProcessed(ctx, 300)
	waitCommitted(t, ctx, adm, "g848-restart", 300)
	before := waitStable848(t, ctx, cl, "g848-restart", 2)
	// The broker reports the group stable when the members' epochs
	// match; the clients' callbacks for that assignment may still be on
	// their way. Wait for them before counting.
	e.waitOwner(ctx, "a")
	e.waitOwner(ctx, "b")
	e.waitOwnedPartitions(ctx, 4)
	settled.Store(true)

	b.Close()
	props := props848()
	props["listeners"] = "PLAINTEXT://" + addr
	brokertest.Start(t, brokertest.Options{Dir: dir, Props: props})
	after := describe848(t, ctx, cl, "g848-restart")
	if after.epoch != before.epoch || !reflect.DeepEqual(after.members, before.members) {
		t.Fatalf("after the restart: group epoch %d, members %v; before: %d, %v", after.epoch, after.members, before.epoch, before.members)
	}
	produceValues(t, ctx, prod, 90)
	e.waitProcessed(ctx, 390)
	waitCommitted(t, ctx, adm, "g848-restart", 390)
	if now := describe848(t, ctx, cl, "g848-restart"); now.epoch != before.epoch || !reflect.DeepEqual(now.members, before.members) {
		t.Fatalf("members rejoined after the restart: group epoch %d, members %v; before: %d, %v", now.epoch, now.members, before.epoch, before.members)
	}
	if n := callbacks.Load(); n != 0 {
		t.Fatalf("%d partition assignments or losses across the restart, want none", n)
	}
	m1.stop()
	m2.stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.errs {
		t.Error(s)
	}
}

// group848 is what ConsumerGroupDescribe says of a group: its epoch and
// each member's epoch and assigned partitions.
type group848 struct {
	epoch   int32
	state   string
	members map[string]string // member id → "epoch [partitions]"
}

func describe848(t *testing.T, ctx context.Context, cl *kgo.Client, group string) group848 {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{group}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	g := resp.Groups[0]
	if err := kerr.ErrorForCode(g.ErrorCode); err != nil {
		t.Fatalf("ConsumerGroupDescribe %s: %v", group, err)
	}
	out := group848{epoch: g.Epoch, state: g.State, members: map[string]string{}}
	for _, m := range g.Members {
		var ps []int32
		for _, tp := range m.Assignment.TopicPartitions {
			ps = append(ps, tp.Partitions...)
		}
		slices.Sort(ps)
		out.members[m.MemberID] = fmt.Sprintf("%d %v", m.MemberEpoch, ps)
	}
	return out
}

// waitStable848 waits until the group is Stable with n members.
func waitStable848(t *testing.T, ctx context.Context, cl *kgo.Client, group string, n int) group848 {
	t.Helper()
	for {
		g := describe848(t, ctx, cl, group)
		if g.state == "Stable" && len(g.members) == n {
			return g
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s never stable with %d members: %+v", group, n, g)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestGroup848FailedWriteRollsBack: when the records of a heartbeat's
// change cannot be written, the heartbeat answers
// COORDINATOR_NOT_AVAILABLE and the group stays as last stored (the
// joining member is not in it, the group epoch did not move); the members
// already in it carry on.
func TestGroup848FailedWriteRollsBack(t *testing.T) {
	ffs := fs.NewFault(fs.OS{})
	b := brokertest.Start(t, brokertest.Options{FS: ffs, Dir: t.TempDir(), Props: props848()})
	cl := newClient(t, b.Addr(), kgo.RequestRetries(0))
	ctx := ctxT(t)
	createTopic(t, kadm.NewClient(cl), "fail848", 2, nil)
	hb := func(member string, epoch int32) *kmsg.ConsumerGroupHeartbeatResponse {
		t.Helper()
		return heartbeat848(t, ctx, cl, "g848-fail", "fail848", member, epoch)
	}
	if r := hb("member-1", 0); r.ErrorCode != 0 || r.MemberEpoch != 1 {
		t.Fatalf("join: %v %+v", kerr.ErrorForCode(r.ErrorCode), r)
	}
	before := describe848(t, ctx, cl, "g848-fail")
	rule := ffs.Inject(fs.Fault{Op: fs.OpWrite | fs.OpSync, Path: func(p string) bool { return strings.Contains(p, "__consumer_offsets") }})
	if r := hb("member-2", 0); r.ErrorCode != kerr.CoordinatorNotAvailable.Code {
		t.Fatalf("join with a failing disk: %v, want COORDINATOR_NOT_AVAILABLE", kerr.ErrorForCode(r.ErrorCode))
	}
	if rule.Fired() == 0 {
		t.Fatal("the fault never fired")
	}
	if after := describe848(t, ctx, cl, "g848-fail"); after.epoch != before.epoch || !reflect.DeepEqual(after.members, before.members) {
		t.Fatalf("after the failed join: epoch %d members %v; before %d %v", after.epoch, after.members, before.epoch, before.members)
	}
	if r := hb("member-1", 1); r.ErrorCode != 0 || r.MemberEpoch != 1 {
		t.Fatalf("heartbeat of the member already in: %v %+v", kerr.ErrorForCode(r.ErrorCode), r)
	}
}

// heartbeat848 sends one ConsumerGroupHeartbeat: a join subscribing to
// topic at epoch 0, else a keepalive (or a leave at -1).
func heartbeat848(t *testing.T, ctx context.Context, cl *kgo.Client, group, topic, member string, epoch int32) *kmsg.ConsumerGroupHeartbeatResponse {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = group, member, epoch, -1
	if epoch == 0 {
		req.RebalanceTimeoutMillis, req.SubscribedTopicNames = 5000, []string{topic}
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestGroup848EmptyAndDeletedAcrossRestarts: a consumer group whose last
// member left comes back empty (with its epoch) after a restart; once
// deleted (tombstones), it does not come back.
func TestGroup848EmptyAndDeletedAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	props := props848()
	b, err := brokertest.TryStart(t, brokertest.Options{Dir: dir, Props: props})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	props["listeners"] = "PLAINTEXT://" + addr
	cl := newClient(t, addr)
	ctx := ctxT(t)
	createTopic(t, kadm.NewClient(cl), "empty848", 2, nil)
	if r := heartbeat848(t, ctx, cl, "g848-empty", "empty848", "m1", 0); r.ErrorCode != 0 {
		t.Fatalf("join: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	if r := heartbeat848(t, ctx, cl, "g848-empty", "empty848", "m1", -1); r.ErrorCode != 0 {
		t.Fatalf("leave: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	before := describe848(t, ctx, cl, "g848-empty")
	restart := func() {
		b.Close()
		b = brokertest.Start(t, brokertest.Options{Dir: dir, Props: props})
	}
	restart()
	if after := describe848(t, ctx, cl, "g848-empty"); after.state != "Empty" || after.epoch != before.epoch || len(after.members) != 0 {
		t.Fatalf("after a restart: %+v, before %+v", after, before)
	}
	deleted, err := kadm.NewClient(cl).DeleteGroup(ctx, "g848-empty")
	if err != nil || deleted.Err != nil {
		t.Fatalf("delete: %v %v", err, deleted.Err)
	}
	restart()
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{"g848-empty"}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.Groups[0].ErrorCode; code != kerr.GroupIDNotFound.Code {
		t.Fatalf("deleted group after a restart: %v, want GROUP_ID_NOT_FOUND", kerr.ErrorForCode(code))
	}
}

func numPartitions(ps map[string][]int32) int {
	n := 0
	for _, p := range ps {
		n += len(p)
	}
	return n
}

// waitOwnedPartitions waits until n partitions have an owner.
func (e *etl) waitOwnedPartitions(ctx context.Context, n int) {
	e.t.Helper()
	for {
		e.mu.Lock()
		owned, ch := len(e.owner), e.changed
		e.mu.Unlock()
		if owned >= n {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			e.t.Fatalf("%d of %d partitions owned: %v", owned, n, ctx.Err())
		}
	}
}
