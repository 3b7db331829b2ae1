package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/fs"
	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/handler"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/quorum"
	"github.com/gregor-streaming/gregor/internal/replication"
	"github.com/gregor-streaming/gregor/internal/server"
	"github.com/gregor-streaming/gregor/internal/txn"
)

// Options are the parts of a broker that tests replace.
type Options struct {
	// FS is the filesystem for all data; nil means the OS.
	FS     fs.FS
	Logger *slog.Logger
}

// Broker is one running node.
type Broker struct {
	static  *config.Broker
	dataDir string
	fs      fs.FS
	logger  *slog.Logger
	meta    *metadata.Node
	quorum  *quorum.Transport // nil in a quorum of one
	session *metadata.Session // nil in a quorum of one
	parts   *partition.Manager
	groups  *group.Coordinator
	txns    *txn.Coordinator
	repl    *replication.Replicator // replication.go
	srv     *server.Server
	addrs   []net.Addr
	unlock  func()

	effective atomic.Pointer[config.Broker]
	reconcile sync.Mutex // serializes applying images to partitions
	swept     bool       // stale partition dirs removed (under reconcile)
	stop      chan struct{}
	wg        sync.WaitGroup
}

// Start opens the data directory and starts serving. It returns once the
// listeners accept connections.
func Start(cfg *config.Broker, opts Options) (*Broker, error) {
	if opts.FS == nil {
		opts.FS = fs.OS{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if len(cfg.LogDirs) != 1 {
		return nil, fmt.Errorf("log.dirs has %d directories; Gregor supports exactly one for now", len(cfg.LogDirs))
	}
	b := &Broker{static: cfg, dataDir: cfg.LogDirs[0], fs: opts.FS, logger: opts.Logger, stop: make(chan struct{})}
	b.effective.Store(cfg)
	if err := b.start(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// start brings the broker up; on error, Close releases what it started.
func (b *Broker) start() error {
	cfg := b.static
	if err := b.fs.MkdirAll(b.dataDir); err != nil {
		return fmt.Errorf("create data dir %s: %w (set log.dirs to a writable directory)", b.dataDir, err)
	}
	if _, isOS := b.fs.(fs.OS); isOS {
		unlock, err := lockDir(b.dataDir)
		if err != nil {
			return err
		}
		b.unlock = unlock
	}
	plan, err := planQuorum(cfg)
	if err != nil {
		return err
	}
	if err := b.startQuorum(plan); err != nil {
		return err
	}
	if !plan.broker {
		// process.roles=controller: the quorum only, no Kafka listener,
		// never registered, so never given replicas or coordinators.
		b.logger.Info("controller-only node: no broker listeners, partitions or coordinators", "node_id", cfg.NodeID)
		return nil
	}
	lns, err := b.listen()
	if err != nil {
		return err
	}
	if err := b.register(lns, plan); err != nil {
		closeAll(lns)
		return err
	}
	b.parts = partition.NewManager(b.fs, b.dataDir, cfg.NodeID, b.logger)
	b.startReplication()
	if err := b.apply(); err != nil {
		// Serve what opened; the rest answer NOT_LEADER_OR_FOLLOWER
		// and the error names each partition that failed.
		b.logger.Error("some partitions could not be opened", "err", err)
	}
	b.groups = group.New(group.Config{
		NodeID: cfg.NodeID, Meta: b.meta, Parts: b.parts, Broker: b.Config, Reconcile: b.apply,
		Logger: b.logger.With("component", "group"),
	})
	b.txns = txn.New(txn.Config{
		NodeID: cfg.NodeID, Meta: b.meta, Parts: b.parts, Broker: b.Config, Reconcile: b.apply,
		GroupMarker: b.groups.CompleteTxn, Logger: b.logger.With("component", "txn"),
	})
	b.srv = server.New(server.Config{
		Table:          handler.New(b.handlerEnv()),
		MaxRequestSize: cfg.SocketRequestMaxBytes,
		Logger:         b.logger.With("component", "server"),
	})
	for _, ln := range lns {
		if err := b.srv.Serve(ln); err != nil {
			return err
		}
		b.addrs = append(b.addrs, ln.Addr())
	}
	b.startLoops()
	return nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// listen binds every listener.
func (b *Broker) listen() ([]net.Listener, error) {
	ls, err := parseListeners(b.static.Listeners)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, errors.New("listeners is empty; set e.g. listeners=PLAINTEXT://localhost:9092")
	}
	var lns []net.Listener
	for _, l := range ls {
		if isController(b.static, l.name) {
			continue // the metadata quorum's, see startQuorum
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(l.host, strconv.Itoa(l.port)))
		if err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("listen on %s://%s:%d: %w (is another broker running? change listeners)", l.name, l.host, l.port, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// register records this broker, with its advertised address, in the
// metadata log.
func (b *Broker) register(lns []net.Listener, plan *quorumPlan) error {
	host, port, err := b.advertised(lns[0])
	if err != nil {
		return err
	}
	if plan.multi() {
		return b.startSession(metadata.BrokerRegistration{ID: b.static.NodeID, Host: host, Port: port, Rack: b.static.BrokerRack})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return b.meta.RegisterBroker(ctx, metadata.BrokerRegistration{
		ID: b.static.NodeID, Host: host, Port: port, Rack: b.static.BrokerRack,
	})
}

// advertised returns the address clients are told to use: the first of
// advertised.listeners, else the first bound listener (with its real port
// when it was 0, and localhost for a wildcard host).
func (b *Broker) advertised(ln net.Listener) (string, int32, error) {
	adv, err := parseListeners(b.static.AdvertisedListeners)
	if err != nil {
		return "", 0, err
	}
	tcp := ln.Addr().(*net.TCPAddr)
	if len(adv) > 0 {
		port := adv[0].port
		if port == 0 {
			port = tcp.Port
		}
		return adv[0].host, int32(port), nil
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	if ls, _ := parseListeners(b.static.Listeners); len(ls) > 0 && ls[0].host != "" && !net.ParseIP(ls[0].host).IsUnspecified() {
		host = ls[0].host
	}
	return host, int32(tcp.Port), nil
}

func (b *Broker) handlerEnv() *handler.Env {
	return &handler.Env{
		NodeID:    b.static.NodeID,
		Meta:      b.meta,
		Parts:     b.parts,
		Groups:    b.groups,
		Txns:      b.txns,
		Config:    b.Config,
		Reconcile: b.apply,
		Logger:    b.logger.With("component", "handler"),
	}
}

// Config returns the effective configuration: static plus the dynamic
// overrides in the metadata log.
func (b *Broker) Config() *config.Broker { return b.effective.Load() }

// apply brings the effective configuration and the hosted partitions in
// line with the latest metadata image.
func (b *Broker) apply() error {
	b.reconcile.Lock()
	defer b.reconcile.Unlock()
	img := b.meta.Image()
	id := strconv.Itoa(int(b.static.NodeID))
	eff, err := b.static.WithDynamic(img.BrokerConfigs[""], img.BrokerConfigs[id])
	if err != nil {
		b.logger.Error("ignoring invalid dynamic broker configs", "err", err)
		eff = b.effective.Load()
	}
	b.effective.Store(eff)
	if !b.registeredIn(img) {
		return nil // ready.go: no partitions until this incarnation is registered
	}
	err = b.parts.Apply(img, eff)
	if err == nil && !b.swept {
		// Only now does the manager hold every partition this broker
		// hosts (none failed to open): any other partition dir is of a
		// deleted topic.
		b.swept = true
		if err := b.parts.RemoveOrphans(); err != nil {
			b.logger.Error("removing partitions of deleted topics failed", "err", err)
		}
	}
	b.updateReplication(img)
	// Coordinators unload the internal partitions this broker stopped
	// leading (nil during Start's first apply).
	if b.groups != nil {
		b.groups.LeadershipChanged()
	}
	if b.txns != nil {
		b.txns.LeadershipChanged()
	}
	return err
}

// Addrs returns the bound listener addresses.
func (b *Broker) Addrs() []net.Addr { return b.addrs }

// Addr returns the first listener's address as host:port; "" on a
// controller-only node, which has none.
func (b *Broker) Addr() string {
	if len(b.addrs) == 0 {
		return ""
	}
	return b.addrs[0].String()
}

// DataDir returns the data directory.
func (b *Broker) DataDir() string { return b.dataDir }

// Close stops serving and closes every log and the metadata node.
func (b *Broker) Close() error {
	select {
	case <-b.stop:
		return nil
	default:
		close(b.stop)
	}
	var errs []error
	errs = append(errs, b.shutdownSession())
	if b.srv != nil {
		errs = append(errs, b.srv.Close())
	}
	b.wg.Wait()
	if b.txns != nil {
		b.txns.Close()
	}
	if b.groups != nil {
		b.groups.Close()
	}
	b.stopReplication()
	if b.parts != nil {
		errs = append(errs, b.parts.Close())
	}
	if b.meta != nil {
		errs = append(errs, b.meta.Close())
	}
	if b.quorum != nil {
		errs = append(errs, b.quorum.Close())
	}
	if b.unlock != nil {
		b.unlock()
	}
	return errors.Join(errs...)
}
