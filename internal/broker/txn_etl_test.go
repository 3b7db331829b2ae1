package broker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// eosRun tracks a consume-transform-produce run: which inputs were
// committed, by whom, and duplicates.
type eosRun struct {
	mu        sync.Mutex
	committed map[string]int
	aborted   int
	done      chan struct{}
	want      int
}

func (e *eosRun) commit(vals []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range vals {
		e.committed[v]++
	}
	if len(e.committed) >= e.want {
		select {
		case <-e.done:
		default:
			close(e.done)
		}
	}
}

// TestTxnGroupTransactSessionETL: two consume-transform-produce workers
// (franz-go GroupTransactSession, one group) copy an input topic to an
// output topic in transactions, aborting about one in four; one worker
// is closed mid-stream and restarted with the same transactional id.
// The output read with read_committed holds every input exactly once;
// read_uncommitted also shows the aborted copies.
func TestTxnGroupTransactSessionETL(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: txnProps})
	addr := b.Addr()
	adm := kadm.NewClient(newClient(t, addr))
	createTopic(t, adm, "eos-in", 3, nil)
	createTopic(t, adm, "eos-out", 3, nil)
	const n = 600
	prod := newClient(t, addr, kgo.DefaultProduceTopic("eos-in"))
	ctx := ctxT(t)
	for i := range n {
		prod.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("v-%d", i))}, nil)
	}
	if err := prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	run := runEOSWorkers(t, ctx, addr, "eos", n)

	out := values(t, addr, "eos-out", n, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	seen := map[string]int{}
	for _, v := range out {
		seen[v]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("v-%d", i)]; c != 1 {
			t.Errorf("input v-%d appears %d times in the committed output", i, c)
		}
	}
	// Nothing after the n committed records: the LSO is the end of the
	// output and every record below it is accounted for.
	lso, err := adm.ListCommittedOffsets(ctx, "eos-out")
	if err != nil {
		t.Fatal(err)
	}
	hw, err := adm.ListEndOffsets(ctx, "eos-out")
	if err != nil {
		t.Fatal(err)
	}
	lso.Each(func(o kadm.ListedOffset) {
		if h, _ := hw.Lookup("eos-out", o.Partition); h.Offset != o.Offset {
			t.Errorf("partition %d: LSO %d, high watermark %d after every transaction ended", o.Partition, o.Offset, h.Offset)
		}
	})
	run.mu.Lock()
	aborted := run.aborted
	run.mu.Unlock()
	if aborted > 0 {
		all := values(t, addr, "eos-out", n+1, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
		if len(all) <= n {
			t.Errorf("read_uncommitted saw %d records after %d aborted transactions", len(all), aborted)
		}
	}
}

// runWorker runs a GroupTransactSession until the run is done; restart
// closes it after a few committed transactions and starts it again.
func runWorker(ctx context.Context, addr, txnID string, restart bool, run *eosRun) error {
	rng := rand.New(rand.NewPCG(uint64(len(txnID)), uint64(time.Now().UnixNano())))
	opts := []kgo.Opt{
		kgo.SeedBrokers(addr), kgo.TransactionalID(txnID), kgo.TransactionTimeout(10 * time.Second),
		kgo.ConsumerGroup("eos"), kgo.ConsumeTopics("eos-in"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.MetadataMinAge(100 * time.Millisecond),
		kgo.SessionTimeout(2 * time.Second), kgo.HeartbeatInterval(200 * time.Millisecond),
		kgo.FetchMaxBytes(4 << 10), kgo.MaxConcurrentFetches(1),
	}
	s, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return err
	}
	defer func() { s.Close() }()
	commits := 0
	for {
		select {
		case <-run.done:
			return nil
		default:
		}
		pollCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-run.done:
			case <-pollCtx.Done():
			}
			cancel()
		}()
		fs := s.PollRecords(pollCtx, 50)
		cancel()
		if fs.IsClientClosed() || ctx.Err() != nil {
			return ctx.Err()
		}
		recs := fs.Records()
		if len(recs) == 0 {
			continue
		}
		if err := s.Begin(); err != nil {
			return err
		}
		var vals []string
		var out []*kgo.Record
		for _, r := range recs {
			vals = append(vals, string(r.Value))
			out = append(out, &kgo.Record{Topic: "eos-out", Key: r.Key, Value: r.Value})
		}
		// Synchronously, so an aborted transaction's records are in the
		// log (read_uncommitted must see them).
		if err := s.ProduceSync(ctx, out...).FirstErr(); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		wantCommit := rng.IntN(4) != 0
		committed, err := s.End(ctx, kgo.TransactionEndTry(wantCommit))
		if err != nil {
			return fmt.Errorf("end transaction: %w", err)
		}
		if committed {
			run.commit(vals)
			commits++
		} else {
			run.mu.Lock()
			run.aborted++
			run.mu.Unlock()
		}
		if restart && commits == 3 {
			restart = false
			s.Close()
			if s, err = kgo.NewGroupTransactSession(opts...); err != nil {
				return err
			}
		}
	}
}

// runEOSWorkers runs two GroupTransactSession workers named prefix-0 and
// prefix-1 (the first restarts mid-stream) until all n inputs of eos-in
// are committed, and checks that each was committed exactly once.
func runEOSWorkers(t *testing.T, ctx context.Context, addr, prefix string, n int) *eosRun {
	t.Helper()
	run := &eosRun{committed: map[string]int{}, done: make(chan struct{}), want: n}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Go(func() {
			if err := runWorker(ctx, addr, fmt.Sprintf("%s-%d", prefix, w), w == 0, run); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		})
	}
	select {
	case <-run.done:
	case err := <-errs:
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatalf("only %d of %d inputs committed", len(run.committed), n)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for v, c := range run.committed {
		if c != 1 {
			t.Errorf("input %s committed %d times", v, c)
		}
	}
	return run
}
