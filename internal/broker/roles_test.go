package broker_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker"
	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// rolesCluster is an in-process cluster whose nodes have chosen roles.
type rolesCluster struct {
	t      *testing.T
	voters string // controller.quorum.voters
	nodes  map[int32]*broker.Broker
	dirs   map[int32]string
}

// newRolesCluster makes the voters string for nVoters controllers.
func newRolesCluster(t *testing.T, nVoters int) *rolesCluster {
	var vs []string
	for i, a := range freeAddrs(t, nVoters) {
		vs = append(vs, fmt.Sprintf("%d@%s", i+1, a))
	}
	return &rolesCluster{t: t, voters: strings.Join(vs, ","), nodes: map[int32]*broker.Broker{}, dirs: map[int32]string{}}
}

// start starts node id with process.roles=roles (its old data dir if it
// ran before).
func (c *rolesCluster) start(id int32, roles string) *broker.Broker {
	c.t.Helper()
	if c.dirs[id] == "" {
		c.dirs[id] = c.t.TempDir()
	}
	b := brokertest.Start(c.t, brokertest.Options{Dir: c.dirs[id], Props: map[string]string{
		"node.id":                      fmt.Sprint(id),
		"process.roles":                roles,
		"controller.quorum.voters":     c.voters,
		"broker.heartbeat.interval.ms": "100",
		"broker.session.timeout.ms":    "1500",
	}})
	c.nodes[id] = b
	return b
}

func (c *rolesCluster) stop(id int32) {
	c.t.Helper()
	if err := c.nodes[id].Close(); err != nil {
		c.t.Fatalf("close node %d: %v", id, err)
	}
	delete(c.nodes, id)
}

// waitLive waits until every running node's image has exactly these
// live brokers.
func (c *rolesCluster) waitLive(want ...int32) {
	c.t.Helper()
	waitUntil(c.t, fmt.Sprintf("live brokers %v on every node", want), func() bool {
		for _, b := range c.nodes {
			if !slices.Equal(b.Meta().Image().LiveBrokerIDs(), want) {
				return false
			}
		}
		return true
	})
}

// describeQuorum asks a broker's cluster for the quorum's state.
func describeQuorum(t *testing.T, cl *kgo.Client) kmsg.DescribeQuorumResponseTopicPartition {
	t.Helper()
	dq := kmsg.NewPtrDescribeQuorumRequest()
	dt := kmsg.NewDescribeQuorumRequestTopic()
	dt.Topic = "__cluster_metadata"
	dt.Partitions = []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}
	dq.Topics = append(dq.Topics, dt)
	qr, err := dq.RequestWith(ctxT(t), cl)
	if err != nil || qr.ErrorCode != 0 {
		t.Fatalf("DescribeQuorum: %v %v", err, kerr.ErrorForCode(qr.ErrorCode))
	}
	return qr.Topics[0].Partitions[0]
}

func replicaIDs(rs []kmsg.DescribeQuorumResponseTopicPartitionReplicaState) []int32 {
	out := []int32{}
	for _, r := range rs {
		out = append(out, r.ReplicaID)
	}
	slices.Sort(out)
	return out
}

// TestRolesBrokerOnlyNode: three combined nodes and one broker-only node
// (a Raft learner). The broker-only node registers, gets replicas of a
// replication-factor-4 topic, serves produce and fetch for them, shows up
// as an observer in DescribeQuorum, and after a restart catches up with
// a topic created while it was down.
func TestRolesBrokerOnlyNode(t *testing.T) {
	c := newRolesCluster(t, 3)
	for id := int32(1); id <= 3; id++ {
		c.start(id, "broker,controller")
	}
	b4 := c.start(4, "broker")
	c.waitLive(1, 2, 3, 4)
	if b4.Meta().IsLeader() {
		t.Fatal("the broker-only node leads the quorum")
	}

	cl := newClient(t, b4.Addr(), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DefaultProduceTopic("wide"),
		kgo.ConsumeTopics("wide"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctxT(t), 2, 4, nil, "wide")
	if err != nil || resp.Err != nil {
		t.Fatalf("create RF=4 topic through the broker-only node: %v %v", err, resp.Err)
	}
	waitUntil(t, "the topic on the broker-only node", func() bool { return b4.Meta().Image().Topic("wide") != nil })
	for _, p := range b4.Meta().Image().Topic("wide").Partitions {
		if !slices.Contains(p.Replicas, 4) {
			t.Fatalf("partition %d replicas %v leave out the broker-only node", p.Index, p.Replicas)
		}
	}
	const n = 20
	for i := range n {
		if err := cl.ProduceSync(ctxT(t), &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprint("v", i))}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	got := 0
	for got < n {
		fs := cl.PollFetches(ctxT(t))
		if err := fs.Err(); err != nil {
			t.Fatalf("fetch: %v", err)
		}
		got += fs.NumRecords()
	}
	waitUntil(t, "the broker-only node in every ISR", func() bool {
		for _, p := range b4.Meta().Image().Topic("wide").Partitions {
			if !slices.Contains(p.ISR, 4) {
				return false
			}
		}
		return true
	})

	q := describeQuorum(t, newClient(t, c.nodes[1].Addr()))
	if v, o := replicaIDs(q.CurrentVoters), replicaIDs(q.Observers); !slices.Equal(v, []int32{1, 2, 3}) || !slices.Equal(o, []int32{4}) {
		t.Fatalf("DescribeQuorum voters %v observers %v, want [1 2 3] and [4]", v, o)
	}

	c.stop(4)
	c.waitLive(1, 2, 3)
	if resp, err := kadm.NewClient(newClient(t, c.nodes[1].Addr())).CreateTopic(ctxT(t), 1, 3, nil, "while-down"); err != nil || resp.Err != nil {
		t.Fatalf("create while the broker-only node is down: %v %v", err, resp.Err)
	}
	b4 = c.start(4, "broker")
	c.waitLive(1, 2, 3, 4)
	waitUntil(t, "the restarted broker-only node to catch up", func() bool {
		return b4.Meta().Image().Topic("while-down") != nil
	})
}

// TestRolesControllerOnlyNode: two combined nodes and one
// controller-only voter. The controller-only node votes but has no Kafka
// listener, never registers as a broker (so it is never in Metadata and
// never gets replicas), and clients always get a reachable controller id.
func TestRolesControllerOnlyNode(t *testing.T) {
	c := newRolesCluster(t, 3)
	c.start(1, "broker,controller")
	c.start(2, "broker,controller")
	b3 := c.start(3, "controller")
	if b3.Addr() != "" {
		t.Fatalf("controller-only node listens for clients on %s", b3.Addr())
	}
	c.waitLive(1, 2)

	cl := newClient(t, c.nodes[2].Addr())
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctxT(t), 6, 2, nil, "two-brokers")
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	waitUntil(t, "the topic on the controller-only node", func() bool { return b3.Meta().Image().Topic("two-brokers") != nil })
	for _, p := range b3.Meta().Image().Topic("two-brokers").Partitions {
		if slices.Contains(p.Replicas, 3) {
			t.Fatalf("partition %d has a replica on the controller-only node: %v", p.Index, p.Replicas)
		}
	}
	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, b := range md.Brokers {
		ids = append(ids, b.NodeID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []int32{1, 2}) || (md.ControllerID != 1 && md.ControllerID != 2) {
		t.Fatalf("Metadata brokers %v controller %d", ids, md.ControllerID)
	}
	q := describeQuorum(t, cl)
	if v := replicaIDs(q.CurrentVoters); !slices.Equal(v, []int32{1, 2, 3}) {
		t.Fatalf("DescribeQuorum voters %v", v)
	}
}

// TestRolesVoterChanges: AddRaftVoter and RemoveRaftVoter through the
// Kafka API. A controller-only node whose id is not in
// controller.quorum.voters joins as an observer, is made a voter, and is
// removed again.
func TestRolesVoterChanges(t *testing.T) {
	c := newRolesCluster(t, 3)
	for id := int32(1); id <= 3; id++ {
		c.start(id, "broker,controller")
	}
	c.start(4, "controller")
	c.waitLive(1, 2, 3)
	cl := newClient(t, c.nodes[1].Addr())
	waitUntil(t, "node 4 as an observer", func() bool {
		return slices.Equal(replicaIDs(describeQuorum(t, cl).Observers), []int32{4})
	})

	add := kmsg.NewPtrAddRaftVoterRequest()
	add.VoterID = 4
	ar, err := add.RequestWith(ctxT(t), cl)
	if err != nil || ar.ErrorCode != 0 {
		t.Fatalf("AddRaftVoter: %v %v", err, kerr.ErrorForCode(ar.ErrorCode))
	}
	q := describeQuorum(t, cl)
	if v, o := replicaIDs(q.CurrentVoters), replicaIDs(q.Observers); !slices.Equal(v, []int32{1, 2, 3, 4}) || len(o) != 0 {
		t.Fatalf("after AddRaftVoter: voters %v observers %v", v, o)
	}
	if ar, err := add.RequestWith(ctxT(t), cl); err != nil || ar.ErrorCode != kerr.DuplicateVoter.Code {
		t.Fatalf("AddRaftVoter again: %v %v", err, kerr.ErrorForCode(ar.ErrorCode))
	}

	rm := kmsg.NewPtrRemoveRaftVoterRequest()
	rm.VoterID = 4
	rr, err := rm.RequestWith(ctxT(t), cl)
	if err != nil || rr.ErrorCode != 0 {
		t.Fatalf("RemoveRaftVoter: %v %v", err, kerr.ErrorForCode(rr.ErrorCode))
	}
	q = describeQuorum(t, cl)
	if v := replicaIDs(q.CurrentVoters); !slices.Equal(v, []int32{1, 2, 3}) {
		t.Fatalf("after RemoveRaftVoter: voters %v", v)
	}
	rm.VoterID = 9
	if rr, err := rm.RequestWith(ctxT(t), cl); err != nil || rr.ErrorCode != kerr.VoterNotFound.Code {
		t.Fatalf("RemoveRaftVoter(9): %v %v", err, kerr.ErrorForCode(rr.ErrorCode))
	}
	// The quorum still commits.
	if resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), 1, 3, nil, "after-changes"); err != nil || resp.Err != nil {
		t.Fatalf("create after the changes: %v %v", err, resp.Err)
	}
}

// TestRolesLoneControllerWithBrokers: one controller-only voter and two
// broker-only nodes. The Raft leader is always the controller, which
// clients cannot reach, so Metadata names a broker as the controller,
// admin requests work through it, and DescribeQuorum is answered by a
// broker with its own view.
func TestRolesLoneControllerWithBrokers(t *testing.T) {
	c := newRolesCluster(t, 1)
	c.start(1, "controller")
	b2 := c.start(2, "broker")
	c.start(3, "broker")
	c.waitLive(2, 3)
	waitUntil(t, "the brokers to know the controller", func() bool {
		return b2.Meta().Image().Controller == 1 && c.nodes[3].Meta().Image().Controller == 1
	})
	cl := newClient(t, b2.Addr())
	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if md.ControllerID != 2 {
		t.Fatalf("Metadata from broker 2 names controller %d, want itself", md.ControllerID)
	}
	if resp, err := kadm.NewClient(cl).CreateTopic(ctxT(t), 3, 2, nil, "via-broker"); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	q := describeQuorum(t, cl)
	if q.LeaderID != 1 || !slices.Equal(replicaIDs(q.CurrentVoters), []int32{1}) || !slices.Equal(replicaIDs(q.Observers), []int32{2, 3}) {
		t.Fatalf("DescribeQuorum leader %d voters %v observers %v", q.LeaderID, replicaIDs(q.CurrentVoters), replicaIDs(q.Observers))
	}
}

// TestRolesGrowFromOneNode: a node that ran as a quorum of one (a random
// cluster id) is restarted with a controller listener, and a broker-only
// node given that cluster id joins it and gets a replica of its topic.
func TestRolesGrowFromOneNode(t *testing.T) {
	c := newRolesCluster(t, 1)
	dir := t.TempDir()
	solo := brokertest.Start(t, brokertest.Options{Dir: dir, Props: map[string]string{"node.id": "1"}})
	clusterID := solo.Meta().Image().ClusterID
	if resp, err := kadm.NewClient(newClient(t, solo.Addr())).CreateTopic(ctxT(t), 1, 1, nil, "early"); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	if err := solo.Close(); err != nil {
		t.Fatal(err)
	}
	ctlAddr := strings.TrimPrefix(c.voters, "1@")
	c.dirs[1] = dir
	b1 := brokertest.Start(t, brokertest.Options{Dir: dir, Props: map[string]string{
		"node.id": "1", "controller.quorum.voters": c.voters,
		"listeners":                    "PLAINTEXT://127.0.0.1:0,CONTROLLER://" + ctlAddr,
		"controller.listener.names":    "CONTROLLER",
		"broker.heartbeat.interval.ms": "100", "broker.session.timeout.ms": "1500",
	}})
	c.nodes[1] = b1
	if got := b1.Meta().Image().ClusterID; got != clusterID {
		t.Fatalf("cluster id changed from %s to %s", clusterID, got)
	}
	b2 := brokertest.Start(t, brokertest.Options{Props: map[string]string{
		"node.id": "2", "process.roles": "broker", "controller.quorum.voters": c.voters, "cluster.id": clusterID,
		"broker.heartbeat.interval.ms": "100", "broker.session.timeout.ms": "1500",
	}})
	c.nodes[2] = b2
	c.waitLive(1, 2)
	waitUntil(t, "the early topic on the new broker", func() bool { return b2.Meta().Image().Topic("early") != nil })
	adm := kadm.NewClient(newClient(t, b2.Addr()))
	if resp, err := adm.CreateTopic(ctxT(t), 2, 2, nil, "both"); err != nil || resp.Err != nil {
		t.Fatalf("create RF=2 topic: %v %v", err, resp.Err)
	}
}
