package broker_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// moveOffPreferred creates an RF=3 single-partition topic, stops its
// preferred replica so leadership moves to another, restarts it and waits
// until it is back in the ISR as a follower. It returns the partition's
// state then.
func moveOffPreferred(t *testing.T, c *replCluster, adm *kadm.Client, topic string) metadata.Partition {
	t.Helper()
	pm := c.createTopic(topic, 3, nil)
	pref := pm.Replicas[0]
	c.stop(pref)
	waitUntil(t, "leadership off the preferred replica", func() bool {
		s, ok := c.state(topic, 0)
		return ok && s.Leader != pref && s.Leader != metadata.NoLeader
	})
	c.start(pref)
	waitUntil(t, "the preferred replica back in the ISR", func() bool {
		s, ok := c.state(topic, 0)
		pm = s
		return ok && len(s.ISR) == 3 && s.Leader != pref
	})
	return pm
}

// TestElectPreferredLeader: leadership moved off the preferred replica
// while it was down; a preferred ElectLeaders moves it back (new leader
// epoch), producing and consuming go on, and a repeated request answers
// ELECTION_NOT_NEEDED.
func TestElectPreferredLeader(t *testing.T) {
	c := startReplCluster(t, 3)
	const topic = "preferred"
	adm := kadm.NewClient(newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...)))
	before := moveOffPreferred(t, c, adm, topic)
	pref := before.Replicas[0]

	set := kadm.TopicsSet{}
	set.Add(topic, 0)
	res, err := adm.ElectLeaders(ctxT(t), kadm.ElectPreferredReplica, set)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[topic][0]; r.Err != nil {
		t.Fatalf("preferred election: %v (%s)", r.Err, r.ErrMessage)
	}
	waitUntil(t, "the preferred replica leading on every node", func() bool {
		s, ok := c.state(topic, 0)
		return ok && s.Leader == pref && s.LeaderEpoch == before.LeaderEpoch+1 && slices.Equal(s.ISR, before.ISR)
	})
	prod := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	produceSeq(t, prod, topic, 0, 20)
	if got := consumeSeq(t, c.addrs(), topic, 20); len(got) != 20 || got[19] != "v0019" {
		t.Fatalf("consumed %v", got)
	}

	res, err = adm.ElectLeaders(ctxT(t), kadm.ElectPreferredReplica, set)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[topic][0]; !errors.Is(r.Err, kerr.ElectionNotNeeded) {
		t.Fatalf("repeated election: %v", r.Err)
	}
	// Every partition (null topic_partitions): nothing needed, nothing
	// answered; an unknown partition is UNKNOWN_TOPIC_OR_PARTITION.
	if res, err = adm.ElectLeaders(ctxT(t), kadm.ElectPreferredReplica, nil); err != nil || len(res) != 0 {
		t.Fatalf("all partitions: %v %v", res, err)
	}
	unknown := kadm.TopicsSet{}
	unknown.Add(topic, 5)
	if res, err = adm.ElectLeaders(ctxT(t), kadm.ElectPreferredReplica, unknown); err != nil || !errors.Is(res[topic][5].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("unknown partition: %v %v", res, err)
	}
}

// TestAutoLeaderRebalance: with auto.leader.rebalance.enable and a
// 1-second check interval, leadership goes back to the preferred replica
// once it has rejoined the ISR, without any request.
func TestAutoLeaderRebalance(t *testing.T) {
	c := startReplClusterWith(t, 3, map[string]string{"leader.imbalance.check.interval.seconds": "1"})
	const topic = "rebalanced"
	pm := c.createTopic(topic, 3, nil)
	pref := pm.Replicas[0]
	c.stop(pref)
	var moved metadata.Partition
	waitUntil(t, "leadership off the preferred replica", func() bool {
		s, ok := c.state(topic, 0)
		moved = s
		return ok && s.Leader != pref && s.Leader != metadata.NoLeader
	})
	c.start(pref)
	waitUntil(t, "the preferred replica leading again", func() bool {
		s, ok := c.state(topic, 0)
		return ok && s.Leader == pref && s.LeaderEpoch > moved.LeaderEpoch && len(s.ISR) == 3
	})
	prod := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	produceSeq(t, prod, topic, 0, 10)
}

// TestUncleanElection: two RF=2 topics on brokers 1 and 2. Broker 2 stops
// (it leaves the ISRs), records are written to broker 1 alone, broker 1
// stops: both partitions are leaderless with ISR [1]. Broker 2 returns,
// out of sync: with unclean election off nothing is elected. An unclean
// ElectLeaders elects it for the first topic, turning
// unclean.leader.election.enable on elects it for the second, and
// producing works again on both. Five brokers keep the quorum with two
// down.
func TestUncleanElection(t *testing.T) {
	c := startReplCluster(t, 5)
	topics := []string{"unclean-request", "unclean-config"}
	cl := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...))
	adm := kadm.NewClient(cl)
	for _, topic := range topics {
		createOnReplicas(t, cl, topic, []int32{1, 2})
	}
	waitUntil(t, "the topics on every node", func() bool {
		for _, topic := range topics {
			if s, ok := c.state(topic, 0); !ok || len(s.ISR) != 2 {
				return false
			}
		}
		return true
	})
	c.stop(2)
	waitUntil(t, "broker 2 out of the ISRs", func() bool {
		for _, topic := range topics {
			if s, ok := c.state(topic, 0); !ok || !slices.Equal(s.ISR, []int32{1}) {
				return false
			}
		}
		return true
	})
	prod := newClient(t, c.nodes[3].Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	for _, topic := range topics {
		produceSeq(t, prod, topic, 0, 10)
	}
	c.stop(1)
	c.start(2)
	waitUntil(t, "broker 2 registered and alive, the partitions leaderless", func() bool {
		img := c.nodes[3].Meta().Image()
		if !img.Brokers[2].Alive() || img.Brokers[1].Alive() {
			return false
		}
		_, ok := c.state(topics[0], 0)
		return ok
	})
	for _, topic := range topics {
		if s, _ := c.state(topic, 0); s.Leader != metadata.NoLeader || !slices.Equal(s.ISR, []int32{1}) {
			t.Fatalf("%s with unclean election off: %+v", topic, s)
		}
	}

	set := kadm.TopicsSet{}
	set.Add(topics[0], 0)
	res, err := adm.ElectLeaders(ctxT(t), kadm.ElectLiveReplica, set)
	if err != nil || res[topics[0]][0].Err != nil {
		t.Fatalf("unclean election: %v %+v", err, res)
	}
	on := "true"
	if _, err := adm.AlterTopicConfigs(ctxT(t), []kadm.AlterConfig{{Name: "unclean.leader.election.enable", Value: &on}}, topics[1]); err != nil {
		t.Fatalf("alter config: %v", err)
	}
	for _, topic := range topics {
		waitUntil(t, topic+" led by broker 2", func() bool {
			s, ok := c.state(topic, 0)
			return ok && s.Leader == 2 && slices.Equal(s.ISR, []int32{2})
		})
		produceSeq(t, prod, topic, 10, 20)
	}
	res, err = adm.ElectLeaders(ctxT(t), kadm.ElectLiveReplica, set)
	if err != nil || !errors.Is(res[topics[0]][0].Err, kerr.ElectionNotNeeded) {
		t.Fatalf("repeated unclean election: %v %+v", err, res)
	}
}

// createOnReplicas creates a one-partition topic with an explicit replica
// assignment.
func createOnReplicas(t *testing.T, cl *kgo.Client, topic string, replicas []int32) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, -1, -1
	ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
	ra.Partition, ra.Replicas = 0, replicas
	rt.ReplicaAssignment = append(rt.ReplicaAssignment, ra)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10000
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// TestElectLeadersProtocol drives ElectLeaders on the wire against one
// broker: v0 (no election type, preferred) answers ELECTION_NOT_NEEDED
// for a partition its only replica leads; an unknown election type is
// INVALID_REQUEST for every partition and at the top level; an unclean
// election of a partition with a leader is not needed.
func TestElectLeadersProtocol(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	cl := newClient(t, b.Addr())
	if resp, err := kadm.NewClient(cl).CreateTopic(ctxT(t), 2, 1, nil, "wire"); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	send := func(version int16, typ int8) *kmsg.ElectLeadersResponse {
		t.Helper()
		req := kmsg.NewPtrElectLeadersRequest()
		req.Version, req.ElectionType, req.TimeoutMillis = version, typ, 5000
		rt := kmsg.NewElectLeadersRequestTopic()
		rt.Topic, rt.Partitions = "wire", []int32{0, 1, 9}
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctxT(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	codes := func(resp *kmsg.ElectLeadersResponse) []int16 {
		var out []int16
		for _, rt := range resp.Topics {
			for _, p := range rt.Partitions {
				out = append(out, p.ErrorCode)
			}
		}
		return out
	}
	notNeeded, unknown := kerr.ElectionNotNeeded.Code, kerr.UnknownTopicOrPartition.Code
	if got := codes(send(0, 1)); !slices.Equal(got, []int16{notNeeded, notNeeded, unknown}) {
		t.Fatalf("v0: %v", got)
	}
	invalid := kerr.InvalidRequest.Code
	bad := send(2, 5)
	if got := codes(bad); bad.ErrorCode != kerr.InvalidRequest.Code || !slices.Equal(got, []int16{invalid, invalid, invalid}) {
		t.Fatalf("election type 5: top %d, partitions %v", bad.ErrorCode, got)
	}
	if got := codes(send(1, 1)); !slices.Equal(got, []int16{notNeeded, notNeeded, unknown}) {
		t.Fatalf("unclean with leaders: %v", got)
	}
}

// TestUncleanElectionStaticDefault: with unclean.leader.election.enable
// in every broker's static config (server.properties) and no topic or
// dynamic setting, the active controller elects the out-of-sync replica
// of a leaderless partition once it is alive again.
func TestUncleanElectionStaticDefault(t *testing.T) {
	c := startReplClusterWith(t, 5, map[string]string{"unclean.leader.election.enable": "true"})
	const topic = "unclean-static"
	cl := newClient(t, c.any().Addr(), kgo.SeedBrokers(c.addrs()...))
	createOnReplicas(t, cl, topic, []int32{1, 2})
	waitUntil(t, "the topic on every node", func() bool {
		s, ok := c.state(topic, 0)
		return ok && len(s.ISR) == 2
	})
	c.stop(2)
	waitUntil(t, "broker 2 out of the ISR", func() bool {
		s, ok := c.state(topic, 0)
		return ok && slices.Equal(s.ISR, []int32{1})
	})
	prod := newClient(t, c.nodes[3].Addr(), kgo.SeedBrokers(c.addrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	produceSeq(t, prod, topic, 0, 10)
	c.stop(1)
	waitUntil(t, "no leader", func() bool {
		s, ok := c.state(topic, 0)
		return ok && s.Leader == metadata.NoLeader
	})
	c.start(2)
	waitUntil(t, "broker 2 elected by the controller", func() bool {
		s, ok := c.state(topic, 0)
		return ok && s.Leader == 2 && slices.Equal(s.ISR, []int32{2})
	})
	produceSeq(t, prod, topic, 10, 20)
}
