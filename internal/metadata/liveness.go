package metadata

import (
	"time"

	"go.etcd.io/raft/v3"
)

// BrokerHeartbeat is what a broker sends the active controller every
// broker.heartbeat.interval.ms: its id and the incarnation it registered.
type BrokerHeartbeat struct {
	ID          int32    `json:"id"`
	Incarnation [16]byte `json:"incarnation"`
}

// heartbeat is a BrokerHeartbeat queued for the driver; remote ones came
// from a peer and are never forwarded again.
type heartbeat struct {
	BrokerHeartbeat
	remote bool
}

// Heartbeat records that broker hb.ID is alive. It is queued for this
// node's driver, which keeps it when this node is the active controller
// and otherwise forwards it to the leader it knows through the Transport.
// It never blocks; a heartbeat is dropped when the driver is far behind
// or no leader is known (the next one will do).
func (n *Node) Heartbeat(hb BrokerHeartbeat) { n.queueHeartbeat(heartbeat{BrokerHeartbeat: hb}) }

// ReceiveHeartbeat is Heartbeat for heartbeats that arrived from a peer
// (the transport calls it); they are kept only if this node leads.
func (n *Node) ReceiveHeartbeat(hb BrokerHeartbeat) {
	n.queueHeartbeat(heartbeat{BrokerHeartbeat: hb, remote: true})
}

func (n *Node) queueHeartbeat(hb heartbeat) {
	select {
	case n.hbc <- hb:
	default:
	}
}

// onHeartbeat keeps a heartbeat on the leader and forwards a local one to
// the leader otherwise.
func (d *driver) onHeartbeat(hb heartbeat, now time.Time) {
	switch {
	case d.n.leader.Load():
		d.live.heartbeat(hb.BrokerHeartbeat, now)
	case !hb.remote && d.lead != raft.None:
		if err := d.n.cfg.Transport.SendHeartbeat(d.lead, hb.BrokerHeartbeat); err != nil {
			d.n.log.Debug("metadata: forwarding a heartbeat", "to", d.lead, "err", err)
		}
	}
}

// checkSessions runs on the leader at every tick: it proposes fencing
// the brokers whose session expired and unfencing those heard from again.
// The records carry the broker's epoch, so a decision about an older
// incarnation is rejected by the state machine (ErrStaleBrokerEpoch).
func (d *driver) checkSessions(now time.Time) {
	for _, r := range d.live.decide(d.img, now) {
		r.Origin = d.n.origin
		data, err := encodeRecord(r)
		if err != nil {
			d.n.log.Error("metadata: encoding a broker session record", "err", err)
			continue
		}
		if err := d.rn.Propose(data); err != nil {
			d.n.log.Warn("metadata: proposing a broker session record", "type", r.Type, "err", err)
			d.live.forget(r)
			continue
		}
		d.n.log.Info("metadata: broker session change", "type", r.Type, "broker", brokerOf(r).ID, "epoch", brokerOf(r).Epoch)
	}
}

// liveness is the active controller's view of the broker sessions. It
// belongs to the driver goroutine and starts afresh (every broker given a
// full session) whenever this node becomes leader, since the heartbeats
// went to the old leader until then.
type liveness struct {
	timeout time.Duration // 0 = fencing disabled
	seen    map[int32]seen
	asked   map[int32]asked // proposals in flight, so each is made once
}

type seen struct {
	at          time.Time
	incarnation [16]byte
	epoch       int64 // the registration the session clock started for
}

type asked struct {
	epoch  int64
	fenced bool
}

func newLiveness(timeout time.Duration) *liveness {
	return &liveness{timeout: timeout, seen: map[int32]seen{}, asked: map[int32]asked{}}
}

func (l *liveness) reset(img *Image, now time.Time) {
	clear(l.seen)
	clear(l.asked)
	for id, b := range img.Brokers {
		l.seen[id] = seen{at: now, incarnation: b.IncarnationID, epoch: b.Epoch}
	}
}

func (l *liveness) heartbeat(hb BrokerHeartbeat, now time.Time) {
	s := l.seen[hb.ID]
	s.at, s.incarnation = now, hb.Incarnation
	l.seen[hb.ID] = s
}

// decide returns the fence and unfence records the image needs now.
func (l *liveness) decide(img *Image, now time.Time) []*record {
	if l.timeout <= 0 {
		return nil
	}
	var out []*record
	for _, id := range img.BrokerIDs() {
		b := img.Brokers[id]
		s, ok := l.seen[id]
		if !ok || s.epoch != b.Epoch {
			// A new registration is itself a sign of life: its
			// session starts now.
			l.seen[id] = seen{at: now, incarnation: b.IncarnationID, epoch: b.Epoch}
			continue
		}
		alive := s.incarnation == b.IncarnationID && now.Sub(s.at) <= l.timeout
		if b.Fenced != alive || b.ShutDown {
			delete(l.asked, id) // as it should be (or for good)
			continue
		}
		if a, ok := l.asked[id]; ok && a == (asked{b.Epoch, !alive}) {
			continue
		}
		l.asked[id] = asked{b.Epoch, !alive}
		be := &brokerEpochRecord{ID: id, Epoch: b.Epoch}
		if alive {
			out = append(out, &record{Type: typeUnfenceBroker, UnfenceBroker: be})
		} else {
			out = append(out, &record{Type: typeFenceBroker, FenceBroker: be})
		}
	}
	return out
}

// forget drops the in-flight mark of a record that was not proposed.
func (l *liveness) forget(r *record) { delete(l.asked, brokerOf(r).ID) }

func brokerOf(r *record) *brokerEpochRecord {
	switch {
	case r.FenceBroker != nil:
		return r.FenceBroker
	case r.UnfenceBroker != nil:
		return r.UnfenceBroker
	default:
		return r.ShutdownBroker
	}
}
