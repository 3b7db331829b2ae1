package broker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/quorum"
)

// quorumPlan is how this node takes part in the metadata quorum, from
// process.roles, controller.quorum.voters and controller.listener.names.
type quorumPlan struct {
	voters    []int32
	peers     map[int32]string // controller address by voter id
	clusterID string
	listen    string // controller listener address; "" for a quorum of one
	// broker and controller are process.roles; learner is set for a node
	// that is not among the voters (a broker-only node, or a controller
	// waiting to be added as a voter): it joins the quorum as a learner.
	broker, controller, learner bool
	// networked: the node talks to other members over a controller
	// listener (several voters, a learner, a controller-only node, or a
	// lone voter with a controller listener that learners may join).
	networked bool
}

// multi reports whether the node runs the quorum transport.
func (p *quorumPlan) multi() bool { return p.networked }

// planQuorum checks the quorum settings (process.roles,
// controller.quorum.voters, the controller listener). A quorum of one (no
// voters, or only this node and no controller listener) needs no
// transport.
func planQuorum(cfg *config.Broker) (*quorumPlan, error) {
	p := &quorumPlan{peers: map[int32]string{}, clusterID: cfg.ClusterID}
	for _, r := range cfg.ProcessRoles {
		switch strings.ToLower(strings.TrimSpace(r)) {
		case "broker":
			p.broker = true
		case "controller":
			p.controller = true
		default:
			return nil, fmt.Errorf("process.roles=%s: roles are broker and controller", strings.Join(cfg.ProcessRoles, ","))
		}
	}
	if !p.broker && !p.controller {
		return nil, errors.New("process.roles is empty: set broker, controller or broker,controller")
	}
	for _, s := range cfg.ControllerQuorumVoters {
		v, err := config.ParseVoter(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("controller.quorum.voters: %w", err)
		}
		if _, dup := p.peers[v.ID]; dup {
			return nil, fmt.Errorf("controller.quorum.voters names node %d twice", v.ID)
		}
		p.voters = append(p.voters, v.ID)
		p.peers[v.ID] = net.JoinHostPort(v.Host, strconv.Itoa(v.Port))
	}
	if len(p.voters) == 0 {
		if !p.broker || !p.controller {
			return nil, fmt.Errorf("process.roles=%s needs controller.quorum.voters (the controllers to follow)", strings.Join(cfg.ProcessRoles, ","))
		}
		return p, nil
	}
	self, voter := p.peers[cfg.NodeID]
	if voter && !p.controller {
		return nil, fmt.Errorf("node.id %d is in controller.quorum.voters (%s) but process.roles=%s: a broker-only node does not vote", cfg.NodeID, strings.Join(cfg.ControllerQuorumVoters, ","), strings.Join(cfg.ProcessRoles, ","))
	}
	p.learner = !voter
	ctl, err := controllerListener(cfg)
	if err != nil {
		return nil, err
	}
	p.networked = len(p.voters) > 1 || p.learner || !p.broker || ctl != ""
	if !p.networked {
		return p, nil
	}
	switch {
	case ctl != "":
		p.listen = ctl
	case voter:
		p.listen = self
	default:
		// A learner without a controller listener: an ephemeral port
		// on the client listener's host; the voters learn the bound
		// address from its join request.
		if p.listen, err = ephemeralControllerAddr(cfg); err != nil {
			return nil, err
		}
	}
	if p.clusterID == "" {
		p.clusterID = derivedClusterID(cfg.ControllerQuorumVoters)
	}
	return p, nil
}

// controllerListener returns the address of the listener named by
// controller.listener.names, "" if there is none.
func controllerListener(cfg *config.Broker) (string, error) {
	ls, err := parseListeners(cfg.Listeners)
	if err != nil {
		return "", err
	}
	for _, l := range ls {
		if isController(cfg, l.name) {
			return net.JoinHostPort(l.host, strconv.Itoa(l.port)), nil
		}
	}
	return "", nil
}

// ephemeralControllerAddr is host:0 on the first client listener's host
// (loopback when it is a wildcard).
func ephemeralControllerAddr(cfg *config.Broker) (string, error) {
	ls, err := parseListeners(cfg.Listeners)
	if err != nil {
		return "", err
	}
	host := "127.0.0.1"
	if len(ls) > 0 && ls[0].host != "" && !net.ParseIP(ls[0].host).IsUnspecified() {
		host = ls[0].host
	}
	return net.JoinHostPort(host, "0"), nil
}

// isController reports whether listener name is a controller listener.
func isController(cfg *config.Broker, name string) bool {
	for _, n := range cfg.ControllerListenerNames {
		if strings.EqualFold(strings.TrimSpace(n), name) {
			return true
		}
	}
	return false
}

// derivedClusterID is the cluster id of a quorum bootstrapped without
// cluster.id: a hash of the voter list, so every voter computes the same
// one (they must agree on the first snapshot), in Kafka's 22-character
// base64url form.
func derivedClusterID(voters []string) string {
	v := make([]string, len(voters))
	for i, s := range voters {
		v[i] = strings.TrimSpace(s)
	}
	slices.Sort(v)
	sum := sha256.Sum256([]byte("gregor cluster " + strings.Join(v, ",")))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// startQuorum starts the metadata node, and with other voters the
// controller listener and transport first.
func (b *Broker) startQuorum(plan *quorumPlan) error {
	mc := metadata.Config{
		NodeID: b.static.NodeID, Dir: filepath.Join(b.dataDir, "meta"), FS: b.fs,
		Logger: b.logger, ClusterID: plan.clusterID,
	}
	if plan.multi() {
		ln, err := net.Listen("tcp", plan.listen)
		if err != nil {
			return fmt.Errorf("controller listener %s: %w (check controller.quorum.voters / controller.listener.names)", plan.listen, err)
		}
		b.quorum = quorum.New(quorum.Config{
			NodeID: b.static.NodeID, ClusterID: plan.clusterID, Listener: ln, Peers: plan.peers,
			Logger: b.logger,
		})
		mc.Transport, mc.Voters = b.quorum, plan.voters
		mc.Learner, mc.Addr = plan.learner, ln.Addr().String()
		mc.SessionTimeout = time.Duration(b.static.BrokerSessionTimeoutMs) * time.Millisecond
		mc.Balancing = metadata.Balancing{AutoRebalance: b.static.AutoLeaderRebalanceEnable,
			ImbalancePercentage: int(b.static.LeaderImbalancePerBrokerPercentage),
			CheckInterval:       time.Duration(b.static.LeaderImbalanceCheckIntervalSeconds) * time.Second,
			UncleanDefault:      b.static.UncleanLeaderElectionEnable}
	}
	var err error
	if b.meta, err = metadata.Start(mc); err != nil {
		return fmt.Errorf("start metadata quorum in %s: %w", mc.Dir, err)
	}
	if b.quorum != nil {
		b.quorum.SetClusterID(b.meta.Image().ClusterID)
		b.quorum.Start(b.meta)
	}
	return nil
}

// startSession registers this broker in a multi-voter quorum in the
// background (the quorum may not have a leader yet) and heartbeats.
func (b *Broker) startSession(reg metadata.BrokerRegistration) error {
	if _, err := rand.Read(reg.IncarnationID[:]); err != nil {
		return fmt.Errorf("incarnation id: %w", err)
	}
	b.session = b.meta.StartSession(reg, time.Duration(b.static.BrokerHeartbeatIntervalMs)*time.Millisecond)
	return nil
}

// Registered is closed once this broker's registration is in the
// metadata image (at once for a quorum of one, which registers in Start).
func (b *Broker) Registered() <-chan struct{} {
	if b.session != nil {
		return b.session.Registered()
	}
	done := make(chan struct{})
	close(done)
	return done
}

// Meta returns the metadata node (for tests and the CLI's diagnostics).
func (b *Broker) Meta() *metadata.Node { return b.meta }

// shutdownSession does the controlled shutdown of a multi-voter node:
// the broker is fenced in the metadata log before it stops serving.
func (b *Broker) shutdownSession() error {
	if b.session == nil {
		return nil
	}
	// Without a quorum (the other voters gone) it cannot commit: wait at
	// most half a session, the controller fences the broker anyway.
	wait := min(5*time.Second, time.Duration(b.static.BrokerSessionTimeoutMs)*time.Millisecond/2)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err := b.session.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, metadata.ErrNotLeader) {
		b.logger.Warn("controlled shutdown not committed; the controller will fence this broker after broker.session.timeout.ms", "err", err)
		return nil
	}
	return err
}
