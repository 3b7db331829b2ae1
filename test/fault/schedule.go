package fault

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Fault kinds, in the order the seeded schedule draws from.
const (
	KillLeader     = "kill-partition-leader" // SIGKILL the leader of a random partition, restart after the hold
	KillController = "kill-controller"       // SIGKILL the active controller, restart after the hold
	Pause          = "pause"                 // SIGSTOP a random node, SIGCONT after the hold
	Isolate        = "isolate"               // cut a random node off from the others, heal after the hold
	Restart        = "restart"               // SIGTERM (controlled shutdown) a random node, start it after the hold
	Kill           = "kill"                  // SIGKILL a random node (second faults only)
)

// FencedDuring counts the faults whose victim another node saw fenced at
// the end of the hold (a fault that took effect in the metadata).
const FencedDuring = "(victim fenced by the end of the hold)"

// Overlapped counts the steps with a second fault on another node.
const Overlapped = "(steps with two nodes down/cut at once)"

var kinds = []string{KillLeader, KillController, Pause, Isolate, Restart}

// overlapKinds are the second faults of an overlapped step (on a node
// given by the schedule, not by the cluster's state).
var overlapKinds = []string{Kill, Pause, Isolate, Restart}

// Schedule injects one fault at a time, drawn from a seeded generator:
// which fault, which partition or node, how long it holds, how long the
// cluster stays quiet after it recovered.
type Schedule struct {
	C       *Cluster
	Topics  []string
	Rng     *rand.Rand
	Hold    [2]time.Duration // fault duration range
	Quiet   [2]time.Duration // pause between faults range
	Kinds   []string         // the first faults drawn from (default: all kinds)
	Overlap float64          // probability of a second fault on another node during the hold
	Recover time.Duration    // deadline for the cluster to heal after a fault
	Logf    func(format string, args ...any)
}

func (s *Schedule) between(r [2]time.Duration) time.Duration {
	return r[0] + time.Duration(s.Rng.Int64N(int64(r[1]-r[0])+1))
}

// Run injects faults until the deadline passes; it returns the count of
// each kind injected, or an error if the cluster did not recover from one.
func (s *Schedule) Run(ctx context.Context, until time.Time) (map[string]int, error) {
	done := map[string]int{}
	for step := 1; time.Now().Before(until); step++ {
		if err := s.step(ctx, step, done); err != nil {
			return done, err
		}
	}
	return done, nil
}

// step injects one fault (and, with probability Overlap, a second one on
// another node halfway through the hold), heals, and waits for the
// cluster to be in sync again.
func (s *Schedule) step(ctx context.Context, step int, done map[string]int) error {
	pool := kinds
	if len(s.Kinds) > 0 {
		pool = s.Kinds
	}
	kind := pool[s.Rng.IntN(len(pool))]
	hold, quiet := s.between(s.Hold), s.between(s.Quiet)
	node := 1 + s.Rng.IntN(len(s.C.Nodes))
	part := s.Rng.IntN(1 << 20)
	overlap := s.Rng.Float64() < s.Overlap
	kind2 := overlapKinds[s.Rng.IntN(len(overlapKinds))]
	node2 := 1 + s.Rng.IntN(len(s.C.Nodes)-1) // one of the others, below
	target, err := s.target(ctx, kind, node, part)
	if err != nil {
		return fmt.Errorf("step %d (%s): %w", step, kind, err)
	}
	if node2 >= target {
		node2++
	}
	s.Logf("step %d: %s node %d for %v", step, kind, target, hold)
	if err := s.inject(kind, target); err != nil {
		return fmt.Errorf("step %d (%s node %d): %w", step, kind, target, err)
	}
	done[kind]++
	victims := []int{target}
	if overlap {
		if err := sleep(ctx, hold/2); err != nil {
			return err
		}
		s.Logf("step %d: and %s node %d for the other %v", step, kind2, node2, hold-hold/2)
		if err := s.inject(kind2, node2); err != nil {
			return fmt.Errorf("step %d (%s node %d): %w", step, kind2, node2, err)
		}
		done[kind2]++
		done[Overlapped]++
		victims = append(victims, node2)
		hold -= hold / 2
	}
	if err := sleep(ctx, hold); err != nil {
		return err
	}
	if s.fencedElsewhere(ctx, victims) {
		done[FencedDuring]++
	}
	if err := s.Heal(); err != nil {
		return fmt.Errorf("step %d heal: %w", step, err)
	}
	rctx, cancel := context.WithTimeout(ctx, s.Recover)
	err = s.WaitInSync(rctx)
	cancel()
	if err != nil {
		return fmt.Errorf("step %d (%s node %d) recovery: %w", step, kind, target, err)
	}
	return sleep(ctx, quiet)
}

// ParseKinds checks a comma-separated list of fault kinds.
func ParseKinds(list string) ([]string, error) {
	if list == "" {
		return nil, nil
	}
	var out []string
	for _, k := range strings.Split(list, ",") {
		if !slices.Contains(kinds, k) {
			return nil, fmt.Errorf("unknown fault kind %q (kinds: %s)", k, strings.Join(kinds, ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// target resolves the fault's victim: the leader of the part-th partition
// or the controller, as the cluster reports them now, else node.
func (s *Schedule) target(ctx context.Context, kind string, node, part int) (int, error) {
	if kind != KillLeader && kind != KillController {
		return node, nil
	}
	m, err := s.metadata(ctx, s.C.Bootstrap())
	if err != nil {
		return 0, err
	}
	if kind == KillController {
		if m.Controller < 0 {
			return 0, fmt.Errorf("no controller known")
		}
		return int(m.Controller), nil
	}
	var leaders []int32
	for _, t := range m.Topics.Sorted() {
		for _, p := range t.Partitions.Sorted() {
			leaders = append(leaders, p.Leader)
		}
	}
	if len(leaders) == 0 || leaders[part%len(leaders)] < 0 {
		return 0, fmt.Errorf("no leader for partition #%d in %v", part, leaders)
	}
	return int(leaders[part%len(leaders)]), nil
}

// fencedElsewhere asks a node that is not a victim (nor paused) whether
// the first victim is missing from its live brokers, and logs what it
// sees.
func (s *Schedule) fencedElsewhere(ctx context.Context, victims []int) bool {
	victim := victims[0]
	for _, n := range s.C.Nodes {
		if slices.Contains(victims, n.ID) || !n.Running() || n.paused {
			continue
		}
		m, err := s.metadata(ctx, []string{n.KafkaPx.Addr()})
		if err != nil {
			s.Logf("  node %d: metadata: %v", n.ID, err)
			continue
		}
		live := m.Brokers.NodeIDs()
		slices.Sort(live)
		s.Logf("  end of hold: node %d sees live brokers %v, controller %d", n.ID, live, m.Controller)
		return !slices.Contains(live, int32(victim))
	}
	return false
}

func (s *Schedule) metadata(ctx context.Context, seeds []string) (kadm.Metadata, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ClientID("fault-schedule"))
	if err != nil {
		return kadm.Metadata{}, err
	}
	defer cl.Close()
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return kadm.NewClient(cl).Metadata(rctx, s.Topics...)
}

func (s *Schedule) inject(kind string, id int) error {
	n := s.C.Node(id)
	switch kind {
	case KillLeader, KillController, Kill:
		return s.C.Signal(n, syscall.SIGKILL, 10*time.Second)
	case Pause:
		return s.C.Signal(n, syscall.SIGSTOP, 0)
	case Isolate:
		s.C.Isolate(id)
		return nil
	case Restart:
		return s.C.Signal(n, syscall.SIGTERM, 30*time.Second)
	}
	return fmt.Errorf("unknown fault %q", kind)
}

// Heal undoes every fault: network cuts removed, paused nodes continued,
// stopped nodes started.
func (s *Schedule) Heal() error {
	s.C.HealNetwork()
	for _, n := range s.C.Nodes {
		switch {
		case n.Running() && n.paused:
			if err := s.C.Signal(n, syscall.SIGCONT, 0); err != nil {
				return err
			}
		case !n.Running():
			if err := s.C.Start(n); err != nil {
				return err
			}
		}
	}
	return nil
}

// WaitInSync waits until every node reports every broker live and, for
// every partition of the topics, a leader and all replicas in the ISR.
func (s *Schedule) WaitInSync(ctx context.Context) error {
	if err := s.C.WaitLive(ctx, len(s.C.Nodes)); err != nil {
		return err
	}
	for _, n := range s.C.Nodes {
		var last string
		err := poll(ctx, fmt.Sprintf("node %d reports full ISRs", n.ID), func() (bool, error) {
			m, err := s.metadata(ctx, []string{n.KafkaPx.Addr()})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			for _, t := range m.Topics {
				for _, p := range t.Partitions {
					if p.Leader < 0 || len(p.ISR) != len(p.Replicas) || !sameSet(p.ISR, p.Replicas) {
						last = fmt.Sprintf("%s/%d leader %d isr %v replicas %v", t.Topic, p.Partition, p.Leader, p.ISR, p.Replicas)
						return false, nil
					}
				}
			}
			return len(m.Topics) == len(s.Topics), nil
		})
		if err != nil {
			return fmt.Errorf("%w (last: %s)", err, last)
		}
	}
	return nil
}

func sameSet(a, b []int32) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
