package broker_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/metadata"
)

// moveOffPreferred creates an RF=3 single-partition topic, stops its
// preferred replica so leadership moves to another, restarts it and waits
// until it is back in the ISR as a follower. It returns the partition's
// state then.
func moveOffPreferred(t *testing.T, c *replCluster, adm *kadm.Client, topic string) metadata.Partition {
	t.Helper()
	if resp, err := adm.CreateTopic(ctxT(t), 1, 3, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	var pm metadata.Partition
	waitUntil(t, "the topic on every node", func() bool {
		var ok bool
		pm, ok = c.state(topic, 0)
		return ok
	})
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
