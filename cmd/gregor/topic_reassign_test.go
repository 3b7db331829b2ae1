package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker"
	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// startTestCluster starts n in-process brokers (ids 1..n) sharing one
// metadata quorum and waits until each sees all of them alive.
func startTestCluster(t *testing.T, n int) map[int32]*broker.Broker {
	t.Helper()
	var lns []net.Listener
	var voters []string
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		voters = append(voters, fmt.Sprintf("%d@%s", i+1, ln.Addr()))
	}
	for _, ln := range lns {
		ln.Close()
	}
	nodes := map[int32]*broker.Broker{}
	for i := range n {
		id := int32(i + 1)
		nodes[id] = brokertest.Start(t, brokertest.Options{Props: map[string]string{
			"node.id":                      fmt.Sprint(id),
			"controller.quorum.voters":     strings.Join(voters, ","),
			"broker.heartbeat.interval.ms": "100",
			"broker.session.timeout.ms":    "1500",
		}})
	}
	for id, b := range nodes {
		for len(b.Meta().Image().LiveBrokerIDs()) != n {
			select {
			case <-b.Meta().Changed():
			case <-time.After(30 * time.Second):
				t.Fatalf("broker %d never saw %d live brokers", id, n)
			}
		}
	}
	return nodes
}

// TestE2ETopicReassign: move a partition with --wait (progress lines,
// then done), list moves (none, then one to a stopped broker), cancel
// it, and the errors of a second cancel and of bad flags.
func TestE2ETopicReassign(t *testing.T) {
	nodes := startTestCluster(t, 3)
	e := &e2e{t: t, addr: nodes[2].Addr() + "," + nodes[3].Addr()}
	topic := e.topicName("moved")
	cl, err := kgo.NewClient(kgo.SeedBrokers(nodes[2].Addr()), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, -1, -1
	a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
	a.Replicas = []int32{1}
	rt.ReplicaAssignment = append(rt.ReplicaAssignment, a)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create %s: %v %v", topic, err, kerr.ErrorForCode(resp.Topics[0].ErrorCode))
	}
	var recs []*kgo.Record
	for i := range 100 {
		recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "r%d", i)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	out := e.ok("", "topic", "reassign", topic, "--partition", "0", "--replicas", "2,3", "--wait", "--interval", "20ms").stdout
	t.Logf("reassign --wait printed:\n%s", out)
	ls := lines(out)
	if len(ls) < 3 || ls[0] != fmt.Sprintf("reassigning %s-0 to [2 3]", topic) ||
		ls[len(ls)-1] != fmt.Sprintf("done: %s-0 is on [2 3]", topic) || !strings.Contains(ls[len(ls)-2], "leader 2") {
		t.Fatalf("reassign --wait printed:\n%s", out)
	}
	if got := e.ok("", "topic", "reassign", "--list").stdout; got != "no reassignments in progress\n" {
		t.Fatalf("list after the move: %q", got)
	}

	if err := nodes[1].Close(); err != nil {
		t.Fatal(err)
	}
	e.ok("", "topic", "reassign", topic, "-p", "0", "--replicas", "2,3,1")
	list := e.ok("", "topic", "reassign", "--list", topic).stdout
	if ls := lines(list); len(ls) != 2 || strings.Join(strings.Fields(ls[1]), " ") != topic+" 0 [2 3 1] [1] []" {
		t.Fatalf("list while moving to a stopped broker:\n%s", list)
	}
	if got := e.ok("", "topic", "reassign", topic, "-p", "0", "--cancel").stdout; got != fmt.Sprintf("cancelled the reassignment of %s-0\n", topic) {
		t.Fatalf("cancel printed %q", got)
	}
	e.fails("NO_REASSIGNMENT_IN_PROGRESS", "topic", "reassign", topic, "-p", "0", "--cancel")
	e.fails("INVALID_REPLICA_ASSIGNMENT", "topic", "reassign", topic, "-p", "0", "--replicas", "2,9")

	for _, args := range [][]string{
		{"topic", "reassign", topic, "--replicas", "2"},
		{"topic", "reassign", topic, "-p", "0"},
		{"topic", "reassign", topic, "-p", "0", "--replicas", "2,x"},
		{"topic", "reassign", topic, "-p", "0", "--replicas", "2,2"},
		{"topic", "reassign", topic, "-p", "0", "--replicas", "2", "--cancel"},
		{"topic", "reassign", "--list", "-p", "0"},
	} {
		if r := e.run("", args...); r.code != 2 {
			t.Errorf("gregor %s: exit %d, want 2 (usage)\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}
