package broker_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker"
)

// freeAddrs returns n loopback addresses that were free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var lns []net.Listener
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// startCluster starts three combined brokers in this process, each a
// voter of one metadata quorum, and waits until every node sees all
// three registered and alive.
func startCluster(t *testing.T) map[int32]*broker.Broker {
	t.Helper()
	return startReplCluster(t, 3).nodes
}

// waitUntil polls cond until it holds, for at most 30s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// TestClusterTopicOnEveryNode: a topic created through one node shows up
// in Metadata on every node, all of which name the same controller, and
// DescribeQuorum reports three voters.
func TestClusterTopicOnEveryNode(t *testing.T) {
	nodes := startCluster(t)
	adm := kadm.NewClient(newClient(t, nodes[2].Addr()))
	resp, err := adm.CreateTopic(ctxT(t), 6, 3, nil, "everywhere")
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	var controller int32 = -1
	for id, b := range nodes {
		cl := newClient(t, b.Addr())
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr("everywhere")
		req.Topics = append(req.Topics, rt)
		var m *kmsg.MetadataResponse
		waitUntil(t, fmt.Sprintf("the topic in node %d's Metadata", id), func() bool {
			var err error
			m, err = req.RequestWith(ctxT(t), cl)
			return err == nil && len(m.Topics) == 1 && m.Topics[0].ErrorCode == 0 && len(m.Topics[0].Partitions) == 6
		})
		if len(m.Brokers) != 3 {
			t.Fatalf("node %d lists %d brokers", id, len(m.Brokers))
		}
		if controller == -1 {
			controller = m.ControllerID
		}
		if m.ControllerID != controller || controller < 1 {
			t.Fatalf("node %d names controller %d, another node %d", id, m.ControllerID, controller)
		}
		for _, p := range m.Topics[0].Partitions {
			if len(p.Replicas) != 3 {
				t.Fatalf("partition %d has replicas %v", p.Partition, p.Replicas)
			}
		}
	}

	dq := kmsg.NewPtrDescribeQuorumRequest()
	dt := kmsg.NewDescribeQuorumRequestTopic()
	dt.Topic = "__cluster_metadata"
	dt.Partitions = []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}
	dq.Topics = append(dq.Topics, dt)
	qr, err := dq.RequestWith(ctxT(t), newClient(t, nodes[1].Addr()))
	if err != nil || qr.ErrorCode != 0 {
		t.Fatalf("DescribeQuorum: %v %v", err, kerr.ErrorForCode(qr.ErrorCode))
	}
	p := qr.Topics[0].Partitions[0]
	if p.LeaderID != controller || len(p.CurrentVoters) != 3 || p.HighWatermark <= 0 {
		t.Fatalf("DescribeQuorum partition %+v", p)
	}
}

// TestClusterControlledShutdownAndFailover: a stopped node leaves the
// others' Metadata at once (controlled shutdown), and when the
// controller itself stops, the others elect a new one and keep creating
// topics.
func TestClusterControlledShutdownAndFailover(t *testing.T) {
	nodes := startCluster(t)
	ctl := nodes[1].Meta().Image().Controller
	if err := nodes[ctl].Close(); err != nil {
		t.Fatal(err)
	}
	var rest []*broker.Broker
	for id, b := range nodes {
		if id != ctl {
			rest = append(rest, b)
		}
	}
	waitUntil(t, "a new controller and the old one fenced", func() bool {
		for _, b := range rest {
			img := b.Meta().Image()
			if img.Controller < 0 || img.Controller == ctl || img.Brokers[ctl].Alive() {
				return false
			}
		}
		return true
	})
	adm := kadm.NewClient(newClient(t, rest[0].Addr()))
	resp, err := adm.CreateTopic(ctxT(t), 2, 2, nil, "after-failover")
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic after failover: %v %v", err, resp.Err)
	}
	waitUntil(t, "the topic on the other survivor", func() bool {
		return rest[1].Meta().Image().Topic("after-failover") != nil
	})
	md, err := kadm.NewClient(newClient(t, rest[1].Addr())).BrokerMetadata(ctxT(t))
	if err != nil || len(md.Brokers) != 2 {
		t.Fatalf("metadata after shutdown: %v, %d brokers", err, len(md.Brokers))
	}
}
