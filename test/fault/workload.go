package fault

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TP is a topic partition.
type TP struct {
	Topic     string
	Partition int32
}

func (tp TP) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// Ack is where an acknowledged record was written.
type Ack struct {
	TP
	Offset int64
}

// HWRegression is a high watermark that a poller saw go down.
type HWRegression struct {
	TP
	From, To           int64
	FromEpoch, ToEpoch int32 // leader epochs of the two answers
	At                 time.Time
}

// Workload is acks=all idempotent producers writing unique values, and a
// poller watching each partition's high watermark with ListOffsets.
type Workload struct {
	topics   []string
	clients  []*kgo.Client
	poller   *kgo.Client
	tail     *kgo.Client        // a consumer reading while faults happen
	cancel   context.CancelFunc // ends the produce calls (abort)
	stopPoll context.CancelFunc
	stop     atomic.Bool // producers stop taking new records
	prodWG   sync.WaitGroup
	pollWG   sync.WaitGroup

	sent, failed atomic.Int64

	hwPoll time.Duration // the high-watermark poller's interval

	mu struct {
		sync.Mutex
		acked   map[string]Ack // value → where it was acknowledged
		reacked int            // a value acknowledged twice (at different places counts as a duplicate)
		hw      map[TP]int64
		hwEpoch map[TP]int32
		hwBack  []HWRegression
		polls   int
		seen    map[TP]map[int64]string // what the tailing consumer read
		seenTwo []string                // an offset it read twice with different values
		errs    []string                // the first produce errors
	}
}

// StartWorkload starts producers writing to topics, each about rate
// records per second (at least 100), the tailing consumer, and the HW
// poller calling ListOffsets every hwPoll.
func StartWorkload(bootstrap []string, topics []string, producers, rate int, hwPoll time.Duration) (*Workload, error) {
	ctx, cancel := context.WithCancel(context.Background())
	pctx, stopPoll := context.WithCancel(context.Background())
	w := &Workload{topics: topics, cancel: cancel, stopPoll: stopPoll, hwPoll: hwPoll}
	w.mu.acked = map[string]Ack{}
	w.mu.hw = map[TP]int64{}
	w.mu.hwEpoch = map[TP]int32{}
	w.mu.seen = map[TP]map[int64]string{}
	for i := range producers {
		cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...),
			kgo.RequiredAcks(kgo.AllISRAcks()), // idempotence is on by default
			kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
			kgo.MaxBufferedRecords(200),
			kgo.ProducerLinger(5*time.Millisecond),
			kgo.ClientID(fmt.Sprintf("fault-producer-%d", i)))
		if err != nil {
			_ = w.Stop(ctx) // the client error is the one to return
			return nil, err
		}
		w.clients = append(w.clients, cl)
		w.prodWG.Add(1)
		go w.produce(ctx, i, cl, max(rate/100, 1))
	}
	poller, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...), kgo.ClientID("fault-hw-poller"))
	if err != nil {
		_ = w.Stop(ctx) // the client error is the one to return
		return nil, err
	}
	w.poller = poller
	w.pollWG.Add(1)
	go w.pollHW(pctx)
	tail, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...), kgo.ClientID("fault-tail"),
		kgo.ConsumeTopics(topics...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		_ = w.Stop(ctx) // the client error is the one to return
		return nil, err
	}
	w.tail = tail
	w.pollWG.Add(1)
	go w.consume(pctx)
	return w, nil
}

// produce writes perTick records every 10 ms (the workload's pace, which
// keeps a long run's bookkeeping bounded).
func (w *Workload) produce(ctx context.Context, id int, cl *kgo.Client, perTick int) {
	defer w.prodWG.Done()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for seq := 0; !w.stop.Load() && ctx.Err() == nil; seq++ {
		if seq%perTick == 0 {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		value := fmt.Sprintf("w%d-%09d", id, seq)
		r := &kgo.Record{Topic: w.topics[seq%len(w.topics)], Value: []byte(value)}
		w.sent.Add(1)
		// Produce blocks while MaxBufferedRecords are in flight; ctx
		// ends only when Stop gives up (then buffered records fail).
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if err != nil {
				w.failed.Add(1)
				if len(w.mu.errs) < 5 {
					w.mu.errs = append(w.mu.errs, fmt.Sprintf("%s: %v", value, err))
				}
				return
			}
			if _, dup := w.mu.acked[value]; dup {
				w.mu.reacked++
			}
			w.mu.acked[value] = Ack{TP{r.Topic, r.Partition}, r.Offset}
		})
	}
}

func (w *Workload) pollHW(ctx context.Context) {
	defer w.pollWG.Done()
	adm := kadm.NewClient(w.poller)
	tick := time.NewTicker(w.hwPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		offs, err := adm.ListEndOffsets(rctx, w.topics...)
		cancel()
		if err != nil {
			continue // no leader reachable right now: a fault is on
		}
		w.observeHW(offs)
	}
}

// consume tails the topics, remembering the value read at each offset.
func (w *Workload) consume(ctx context.Context) {
	defer w.pollWG.Done()
	for ctx.Err() == nil {
		fs := w.tail.PollFetches(ctx)
		w.mu.Lock()
		fs.EachRecord(func(r *kgo.Record) {
			tp := TP{r.Topic, r.Partition}
			m := w.mu.seen[tp]
			if m == nil {
				m = map[int64]string{}
				w.mu.seen[tp] = m
			}
			if prev, ok := m[r.Offset]; ok && prev != string(r.Value) {
				w.mu.seenTwo = append(w.mu.seenTwo, fmt.Sprintf("%s@%d read as %q then %q", tp, r.Offset, prev, r.Value))
			}
			m[r.Offset] = string(r.Value)
		})
		w.mu.Unlock()
		// Fetch errors (no leader, a cut) are retried by the client.
	}
}

func (w *Workload) observeHW(offs kadm.ListedOffsets) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mu.polls++
	offs.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			return
		}
		tp := TP{o.Topic, o.Partition}
		if prev, ok := w.mu.hw[tp]; ok && o.Offset < prev {
			w.mu.hwBack = append(w.mu.hwBack, HWRegression{tp, prev, o.Offset, w.mu.hwEpoch[tp], o.LeaderEpoch, time.Now()})
			return // keep the maximum seen
		}
		w.mu.hw[tp] = o.Offset
		w.mu.hwEpoch[tp] = o.LeaderEpoch
	})
}

// Stop stops producing, then waits until every produced record is
// acknowledged or failed, or ctx ends (then the rest fail with a context
// error and Stop returns an error).
func (w *Workload) Stop(ctx context.Context) error {
	w.stop.Store(true)
	w.stopPoll()
	w.pollWG.Wait()
	var err error
	for _, cl := range w.clients {
		if ferr := cl.Flush(ctx); ferr != nil && err == nil {
			err = fmt.Errorf("flush: %w", ferr)
		}
	}
	// A producer blocked on a full buffer adds its record once the flush
	// made room, then stops; give up on them only when ctx ends.
	stopped := make(chan struct{})
	go func() {
		w.prodWG.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		w.cancel() // fails the records still waiting for buffer space
		<-stopped
	}
	defer w.cancel()
	for _, cl := range w.clients {
		if ferr := cl.Flush(ctx); ferr != nil && err == nil {
			err = fmt.Errorf("flush: %w", ferr)
		}
		cl.Close()
	}
	if w.poller != nil {
		w.poller.Close()
	}
	if w.tail != nil {
		w.tail.Close()
	}
	return err
}

// Results is what the workload saw.
type Results struct {
	Sent, Failed int64
	Acked        map[string]Ack
	Reacked      int
	HWBack       []HWRegression
	HWPolls      int
	Seen         map[TP]map[int64]string // read by the tailing consumer during the run
	SeenTwo      []string
	Errors       []string // the first produce errors
}

// Results returns a copy of what was recorded.
func (w *Workload) Results() Results {
	w.mu.Lock()
	defer w.mu.Unlock()
	acked := make(map[string]Ack, len(w.mu.acked))
	for k, v := range w.mu.acked {
		acked[k] = v
	}
	return Results{Sent: w.sent.Load(), Failed: w.failed.Load(), Acked: acked,
		Reacked: w.mu.reacked, Seen: w.mu.seen, SeenTwo: slices.Clone(w.mu.seenTwo), Errors: slices.Clone(w.mu.errs), HWBack: append([]HWRegression(nil), w.mu.hwBack...), HWPolls: w.mu.polls}
}
