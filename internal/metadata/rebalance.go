package metadata

import (
	"time"
)

// Balancing configures what the active controller does about leadership
// on its own, besides fencing: preferred-leader balancing and unclean
// elections under its static default. The zero value does neither.
type Balancing struct {
	// AutoRebalance is auto.leader.rebalance.enable.
	AutoRebalance bool
	// ImbalancePercentage is leader.imbalance.per.broker.percentage: a
	// broker is imbalanced when more than this percentage of the
	// partitions it is the preferred replica of are led by another.
	ImbalancePercentage int
	// CheckInterval is leader.imbalance.check.interval.seconds; 0 = 300 s.
	CheckInterval time.Duration
	// UncleanDefault is this controller's static
	// unclean.leader.election.enable: it decides for topics whose
	// override and cluster-wide dynamic default are both unset (those
	// the state machine decides itself, see Image.UncleanEnabled).
	UncleanDefault bool
}

const defaultImbalanceCheck = 300 * time.Second

// balancer is the active controller's leadership housekeeping; it
// belongs to the driver goroutine.
type balancer struct {
	cfg  Balancing
	next time.Time // next imbalance check
}

// checkBalance runs on the leader at every tick: every CheckInterval it
// proposes preferred elections for imbalanced brokers' partitions, and
// every election timeout unclean elections for leaderless partitions
// that only the static default enables.
func (d *driver) checkBalance(now time.Time) {
	if d.bal == nil {
		d.bal = &balancer{cfg: d.n.cfg.Balancing}
		if d.bal.cfg.CheckInterval <= 0 {
			d.bal.cfg.CheckInterval = defaultImbalanceCheck
		}
		d.bal.next = now.Add(d.bal.cfg.CheckInterval)
	}
	b := d.bal
	if b.cfg.UncleanDefault && d.ticks%electionTicks == 0 {
		d.proposeElections(UncleanElection, staticUnclean(d.img), true)
	}
	if !b.cfg.AutoRebalance || now.Before(b.next) {
		return
	}
	b.next = now.Add(b.cfg.CheckInterval)
	d.proposeElections(PreferredElection, imbalanced(d.img, b.cfg.ImbalancePercentage), false)
}

// proposeElections proposes one elect_leaders record for parts, each
// fenced by the partition epoch it was decided on (static: the
// controller's static unclean default decided it).
func (d *driver) proposeElections(typ ElectionType, parts []ElectPartition, static bool) {
	if len(parts) == 0 {
		return
	}
	r := &record{Type: typeElectLeaders, Origin: d.n.origin, ElectLeaders: &electLeadersRecord{Type: typ, Partitions: parts, StaticDefault: static}}
	data, err := encodeRecord(r)
	if err != nil {
		d.n.log.Error("metadata: encoding an election record", "err", err)
		return
	}
	if err := d.rn.Propose(data); err != nil {
		d.n.log.Warn("metadata: proposing an election record", "err", err)
		return
	}
	d.n.log.Info("metadata: controller elections", "type", typ, "partitions", len(parts))
}

// staticUnclean lists the leaderless partitions that an unclean election
// can give a leader and whose topic leaves the decision to the
// controller's static default.
func staticUnclean(img *Image) []ElectPartition {
	var out []ElectPartition
	for _, name := range img.TopicNames() {
		t := img.Topics[name]
		if _, set := img.UncleanEnabled(t); set {
			continue
		}
		for _, p := range t.Partitions {
			if p.Leader != NoLeader {
				continue
			}
			if _, err := electOne(img, p, UncleanElection); err == nil {
				out = append(out, ElectPartition{Topic: name, Partition: p.Index, PartitionEpoch: p.PartitionEpoch})
			}
		}
	}
	return out
}

// imbalanced lists, for every broker whose share of partitions it is the
// preferred replica of but does not lead exceeds pct percent, those
// partitions where it is alive and in the ISR (a preferred election can
// move the leadership to it).
func imbalanced(img *Image, pct int) []ElectPartition {
	type share struct{ preferred, notLed int }
	shares := map[int32]*share{}
	for _, t := range img.Topics {
		for _, p := range t.Partitions {
			if len(p.Replicas) == 0 {
				continue
			}
			pref := p.Replicas[0]
			s := shares[pref]
			if s == nil {
				s = &share{}
				shares[pref] = s
			}
			s.preferred++
			if p.Leader != pref {
				s.notLed++
			}
		}
	}
	var out []ElectPartition
	for _, name := range img.TopicNames() {
		for _, p := range img.Topics[name].Partitions {
			if len(p.Replicas) == 0 {
				continue
			}
			pref := p.Replicas[0]
			s := shares[pref]
			if p.Leader == pref || s.notLed*100 <= pct*s.preferred {
				continue
			}
			if _, err := electOne(img, p, PreferredElection); err == nil {
				out = append(out, ElectPartition{Topic: name, Partition: p.Index, PartitionEpoch: p.PartitionEpoch})
			}
		}
	}
	return out
}
