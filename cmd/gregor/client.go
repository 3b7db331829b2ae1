package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// adminTimeout bounds every admin command (topic ...) and the offset look-ups
// that consume does before it starts, so an unreachable cluster fails the
// command instead of hanging it.
const adminTimeout = 30 * time.Second

// seedBrokers splits the --brokers value into host:port seeds.
func seedBrokers(s string) ([]string, error) {
	var seeds []string
	for _, b := range strings.Split(s, ",") {
		b = strings.TrimSpace(b)
		if b != "" {
			seeds = append(seeds, b)
		}
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("no brokers given")
	}
	return seeds, nil
}

// clientOpts returns the kgo options every command shares, plus extra.
func (g *globals) clientOpts(extra ...kgo.Opt) ([]kgo.Opt, error) {
	seeds, err := seedBrokers(g.brokers)
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...), kgo.ClientID(g.clientID)}
	return append(opts, extra...), nil
}

// newClient builds a kgo client with the shared options plus extra.
func (g *globals) newClient(extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := g.clientOpts(extra...)
	if err != nil {
		return nil, err
	}
	return kgo.NewClient(opts...)
}

// withAdmin runs fn with an admin client bound by adminTimeout and closes
// the client afterwards.
func (g *globals) withAdmin(ctx context.Context, fn func(context.Context, *kadm.Client) error) error {
	return g.withClient(ctx, func(ctx context.Context, cl *kgo.Client) error { return fn(ctx, kadm.NewClient(cl)) })
}

// withClient runs fn with a client bound by adminTimeout and closes the
// client afterwards.
func (g *globals) withClient(ctx context.Context, fn func(context.Context, *kgo.Client) error) error {
	cl, err := g.newClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	return fn(ctx, cl)
}

// ping checks that some broker answers, within adminTimeout, so produce fails
// at once when the cluster is unreachable instead of after the delivery
// timeout.
func ping(ctx context.Context, cl *kgo.Client) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	return cl.Ping(ctx)
}
