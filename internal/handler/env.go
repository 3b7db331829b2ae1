package handler

import (
	"context"
	"log/slog"
	"time"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/partition"
	"github.com/gregor-streaming/gregor/internal/txn"
)

// Env is what handlers delegate to. The broker builds it.
type Env struct {
	NodeID int32
	Meta   *metadata.Node
	Parts  *partition.Manager
	// Groups is the group coordinator (consumer groups and offsets).
	Groups *group.Coordinator
	// Txns is the transaction coordinator.
	Txns *txn.Coordinator
	// Config returns the broker's effective configuration (static plus
	// dynamic overrides from the metadata log).
	Config func() *config.Broker
	// Reconcile applies the latest metadata image to the hosted
	// partitions at once (used after creating a topic, so the topic is
	// usable in the same response).
	Reconcile func() error
	Logger    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// handlers carries the environment to every API's handler.
type handlers struct {
	env *Env
	log *slog.Logger
}

// New builds the dispatch table.
func New(env *Env) *Table {
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	h := &handlers{env: env, log: env.Logger}
	t := &Table{logger: env.Logger}
	for _, e := range h.entries() {
		t.register(e)
	}
	return t
}

// image returns the latest applied metadata.
func (h *handlers) image() *metadata.Image { return h.env.Meta.Image() }

// timeout bounds a handler's metadata proposal.
func timeout(ctx context.Context, ms int32) (context.Context, context.CancelFunc) {
	d := 30 * time.Second
	if ms > 0 {
		d = time.Duration(ms) * time.Millisecond
	}
	return context.WithTimeout(ctx, d)
}
