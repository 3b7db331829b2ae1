package metadata

import (
	"context"
	"testing"
	"time"
)

func incarnation(b byte) [16]byte { return [16]byte{0: b, 15: 1} }

// TestSessionsFenceUnfenceShutdown: every node runs a broker session;
// a broker that stops heartbeating is fenced on every node, heartbeats
// unfence it, and a controlled shutdown fences it for good.
func TestSessionsFenceUnfenceShutdown(t *testing.T) {
	q := newTestQuorum(t, 3, func(c *Config) { c.SessionTimeout = 200 * time.Millisecond })
	q.leader()
	sessions := map[int32]*Session{}
	for id, n := range q.nodes {
		s := n.StartSession(BrokerRegistration{ID: id, Host: "h", Port: 9000 + id, IncarnationID: incarnation(byte(id))}, 20*time.Millisecond)
		sessions[id] = s
		t.Cleanup(s.Close)
	}
	for _, s := range sessions {
		<-s.Registered()
	}
	state := func(id int32, fenced, shutDown bool) func() bool {
		return func() bool {
			for _, n := range q.nodes {
				b := n.Image().Brokers[id]
				if b == nil || b.Fenced != fenced || b.ShutDown != shutDown {
					return false
				}
			}
			return true
		}
	}
	q.waitFor("all brokers registered and alive", func() bool {
		return state(1, false, false)() && state(2, false, false)() && state(3, false, false)()
	})

	// A broker whose heartbeats stop is fenced, everywhere.
	victim := q.follower().cfg.NodeID
	sessions[victim].Close()
	q.waitFor("the silent broker fenced", state(victim, true, false))
	if ids := q.leader().Image().LiveBrokerIDs(); len(ids) != 2 {
		t.Fatalf("live brokers %v", ids)
	}

	// Its heartbeats resume (same incarnation): unfenced.
	n := q.nodes[victim]
	q.waitFor("the broker unfenced by heartbeats", func() bool {
		n.Heartbeat(BrokerHeartbeat{ID: victim, Incarnation: incarnation(byte(victim))})
		return state(victim, false, false)()
	})

	// A new incarnation registers and later shuts down.
	sessions[victim] = n.StartSession(BrokerRegistration{ID: victim, Host: "h", Port: 9000 + victim, IncarnationID: incarnation(0x7f)}, 20*time.Millisecond)
	t.Cleanup(sessions[victim].Close)
	<-sessions[victim].Registered()

	// Controlled shutdown fences it at once and for good, even though
	// its heartbeats could still be in flight.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sessions[victim].Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	q.waitFor("the broker shut down", state(victim, true, true))
	b := n.Image().Brokers[victim]
	n.ReceiveHeartbeat(BrokerHeartbeat{ID: victim, Incarnation: b.IncarnationID})
	for _, other := range q.nodes {
		other.Heartbeat(BrokerHeartbeat{ID: victim, Incarnation: b.IncarnationID})
	}
	createTopics(t, q.leader(), "after-shutdown", 1) // a full round through the log
	if !state(victim, true, true)() {
		t.Fatal("a shut-down broker was unfenced by a late heartbeat")
	}
}

// TestFenceRecordsAreEpochChecked: a fence or unfence decided for an
// older incarnation changes nothing.
func TestFenceRecordsAreEpochChecked(t *testing.T) {
	img := emptyImage()
	img, _, err := apply(img, &record{Type: typeRegisterBroker, RegisterBroker: &BrokerRegistration{ID: 1}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*record{
		{Type: typeFenceBroker, FenceBroker: &brokerEpochRecord{ID: 1, Epoch: 4}},
		{Type: typeShutdownBroker, ShutdownBroker: &brokerEpochRecord{ID: 1, Epoch: 6}},
		{Type: typeFenceBroker, FenceBroker: &brokerEpochRecord{ID: 2, Epoch: 5}},
	} {
		if next, _, err := apply(img, r, 9); err == nil || next != img {
			t.Fatalf("%s %+v applied: %v", r.Type, brokerOf(r), err)
		}
	}
	fenced, _, err := apply(img, &record{Type: typeFenceBroker, FenceBroker: &brokerEpochRecord{ID: 1, Epoch: 5}}, 9)
	if err != nil || !fenced.Brokers[1].Fenced || img.Brokers[1].Fenced {
		t.Fatalf("fence: %v", err)
	}
	if len(fenced.LiveBrokerIDs()) != 0 {
		t.Fatal("a fenced broker is live")
	}
	if _, _, err := apply(fenced, &record{Type: typeCreateTopic, CreateTopic: &createTopicRecord{Name: "t", ID: [16]byte{1}, NumPartitions: 1, ReplicationFactor: 1}}, 10); err == nil {
		t.Fatal("placed a replica on a fenced broker")
	}
	again, _, err := apply(fenced, &record{Type: typeRegisterBroker, RegisterBroker: &BrokerRegistration{ID: 1}}, 11)
	if err != nil || again.Brokers[1].Fenced || again.Brokers[1].Epoch != 11 {
		t.Fatalf("re-registration: %+v %v", again.Brokers[1], err)
	}
}
