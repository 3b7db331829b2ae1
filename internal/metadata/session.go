package metadata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Session is a broker's lifecycle in the metadata log: it registers the
// broker (retrying until a leader commits the registration), then sends a
// heartbeat to the active controller every interval, and on Shutdown
// proposes the controlled shutdown that fences this incarnation for good.
// One goroutine per Session, started by StartSession and ended by
// Shutdown or Close.
type Session struct {
	n        *Node
	reg      BrokerRegistration
	interval time.Duration
	log      *slog.Logger

	registered chan struct{} // closed once the registration is applied here
	stop       chan struct{}
	done       chan struct{}
	stopOnce   sync.Once
	epoch      int64 // written before registered is closed
}

// StartSession starts the lifecycle of broker reg on node n. reg's
// IncarnationID must be set (random per process start). interval is
// broker.heartbeat.interval.ms.
func (n *Node) StartSession(reg BrokerRegistration, interval time.Duration) *Session {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	s := &Session{
		n: n, reg: reg, interval: interval,
		log:        n.log.With("broker", reg.ID),
		registered: make(chan struct{}),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	go s.run()
	return s
}

// Registered is closed once this incarnation's registration is committed
// and applied on this node.
func (s *Session) Registered() <-chan struct{} { return s.registered }

// Incarnation returns the incarnation id this session registers.
func (s *Session) Incarnation() [16]byte { return s.reg.IncarnationID }

func (s *Session) run() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for !s.register() {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
	for {
		s.n.Heartbeat(BrokerHeartbeat{ID: s.reg.ID, Incarnation: s.reg.IncarnationID})
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// register proposes the registration once; it reports success.
func (s *Session) register() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*s.interval)
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := s.n.RegisterBroker(ctx, s.reg); err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Warn("broker registration not committed yet; retrying", "err", err)
		}
		return false
	}
	b := s.n.Image().Brokers[s.reg.ID]
	if b == nil || b.IncarnationID != s.reg.IncarnationID {
		s.log.Warn("broker registration was replaced by another incarnation; retrying")
		return false
	}
	s.epoch = b.Epoch
	close(s.registered)
	s.log.Info("broker registered", "epoch", b.Epoch)
	return true
}

// Shutdown stops the heartbeats and, if the broker registered, proposes
// its controlled shutdown (it is fenced at once rather than after
// broker.session.timeout.ms) and waits for it until ctx ends.
func (s *Session) Shutdown(ctx context.Context) error {
	s.Close()
	select {
	case <-s.registered:
	default:
		return nil
	}
	rec := &record{Type: typeShutdownBroker, ShutdownBroker: &brokerEpochRecord{ID: s.reg.ID, Epoch: s.epoch}}
	if _, err := s.n.propose(ctx, rec); err != nil {
		return fmt.Errorf("metadata: controlled shutdown of broker %d: %w", s.reg.ID, err)
	}
	return nil
}

// Close stops the session without a controlled shutdown (the controller
// fences the broker once its session times out) and waits for its
// goroutine.
func (s *Session) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}
