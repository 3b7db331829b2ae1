package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/metadata"
	"github.com/gregor-streaming/gregor/internal/replication"
)

// The marker sender carries markers to partitions other brokers lead, as
// Kafka's TransactionMarkerChannelManager does: one queue and one
// goroutine per destination broker, which owns its connection and sends
// everything queued meanwhile as one WriteTxnMarkers request (one marker
// per transaction), one request at a time. The destination answers each
// partition once its marker is below the high watermark (acks=all), so a
// success means every in-sync replica has the marker. The caller
// (writeMarkers) resolves leaders, retries and gives up; the sender only
// transports. It also carries one-off requests (request: produce
// verifications, verify_remote.go) on a small pool of idle connections
// per destination, apart from the marker queues.

const (
	// writeTxnMarkersVersion is the version sent: v1 (flexible), the
	// highest Gregor serves.
	writeTxnMarkersVersion = 1
	// markerDialTimeout bounds connecting to a destination broker.
	markerDialTimeout = 5 * time.Second
	// markerRequestTimeout bounds one WriteTxnMarkers round trip: the
	// destination's own wait for its ISR (markerReplicationTimeout)
	// plus a margin.
	markerRequestTimeout = markerReplicationTimeout + 5*time.Second
	// maxMarkersPerRequest bounds the transactions batched in one
	// request.
	maxMarkersPerRequest = 256
	// markerQueueLen is each destination's queue length; a full queue
	// makes senders wait.
	markerQueueLen = 1024
)

var (
	// errSenderClosed: the coordinator is closing.
	errSenderClosed = errors.New("txn: marker sender closed")
	// errNoBrokerAddr: the destination is not registered in the metadata
	// image (yet, or any more).
	errNoBrokerAddr = errors.New("txn: destination broker has no address")
	// errBadMarkerResponse: the answer does not match the request.
	errBadMarkerResponse = errors.New("txn: WriteTxnMarkers response does not match the request")
)

// markerSpec is one transaction's marker for some partitions of one
// destination broker.
type markerSpec struct {
	pid        int64
	epoch      int16
	coordEpoch int32
	commit     bool
	tps        []TopicPartition
}

// markerReply is the destination's answer for one markerSpec: an error
// code per partition, or err when the request failed as a whole
// (connection, malformed answer), in which case every partition is
// retried.
type markerReply struct {
	pid   int64
	codes map[TopicPartition]int16
	err   error
}

type markerItem struct {
	spec markerSpec
	done chan markerReply // buffered 1
}

// markerSender owns one queue and goroutine per destination broker.
type markerSender struct {
	self     int32
	meta     *metadata.Node
	log      *slog.Logger
	clientID string
	ctx      context.Context // cancelled by close
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu struct {
		sync.Mutex
		queues map[int32]chan *markerItem
		// idle holds connections for one-off requests (request), per
		// destination.
		idle   map[int32][]*replication.Client
		closed bool
	}
}

// maxIdlePerBroker bounds the idle one-off connections kept per
// destination.
const maxIdlePerBroker = 4

func newMarkerSender(self int32, meta *metadata.Node, logger *slog.Logger) *markerSender {
	s := &markerSender{self: self, meta: meta, log: logger, clientID: fmt.Sprintf("gregor-txn-markers-%d", self)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.queues = map[int32]chan *markerItem{}
	s.mu.idle = map[int32][]*replication.Client{}
	return s
}

// close stops every destination's goroutine (a request in flight is
// interrupted) and waits for them.
func (s *markerSender) close() {
	s.mu.Lock()
	s.mu.closed = true
	idle := s.mu.idle
	s.mu.idle = nil
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	for dest, cls := range idle {
		for _, cl := range cls {
			s.closeClient(dest, cl)
		}
	}
}

// request sends one request to broker dest outside the marker queues
// (a produce verification), on an idle connection or a new one, and
// returns its response. ctx bounds it (and close interrupts it).
func (s *markerSender) request(ctx context.Context, dest int32, req kmsg.Request) (kmsg.Response, error) {
	cl, err := s.takeIdle(dest)
	if err != nil {
		return nil, err
	}
	if cl == nil {
		addr := s.addr(dest)
		if addr == "" {
			return nil, errNoBrokerAddr
		}
		if cl, err = replication.Dial(addr, s.clientID, markerDialTimeout); err != nil {
			return nil, err
		}
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(markerRequestTimeout)
	}
	stop := context.AfterFunc(ctx, func() { s.closeClient(dest, cl) })
	stopClosed := context.AfterFunc(s.ctx, func() { s.closeClient(dest, cl) })
	resp, err := cl.Do(req, deadline)
	a, b := stop(), stopClosed()
	live := a && b // neither closed the connection
	if err != nil {
		if live {
			s.closeClient(dest, cl)
		}
		return nil, fmt.Errorf("%s to broker %d: %w", kmsg.NameForKey(req.Key()), dest, err)
	}
	if live {
		s.putIdle(dest, cl)
	}
	return resp, nil
}

func (s *markerSender) takeIdle(dest int32) (*replication.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil, errSenderClosed
	}
	cls := s.mu.idle[dest]
	if len(cls) == 0 {
		return nil, nil
	}
	cl := cls[len(cls)-1]
	s.mu.idle[dest] = cls[:len(cls)-1]
	return cl, nil
}

func (s *markerSender) putIdle(dest int32, cl *replication.Client) {
	s.mu.Lock()
	if !s.mu.closed && len(s.mu.idle[dest]) < maxIdlePerBroker {
		s.mu.idle[dest] = append(s.mu.idle[dest], cl)
		cl = nil
	}
	s.mu.Unlock()
	if cl != nil {
		s.closeClient(dest, cl)
	}
}

// send queues spec for broker dest and waits for its answer, ctx's end
// or close.
func (s *markerSender) send(ctx context.Context, dest int32, spec markerSpec) markerReply {
	q, err := s.queue(dest)
	if err != nil {
		return markerReply{err: err}
	}
	it := &markerItem{spec: spec, done: make(chan markerReply, 1)}
	select {
	case q <- it:
	case <-ctx.Done():
		return markerReply{err: ctx.Err()}
	case <-s.ctx.Done():
		return markerReply{err: errSenderClosed}
	}
	select {
	case r := <-it.done:
		return r
	case <-ctx.Done():
		return markerReply{err: ctx.Err()}
	case <-s.ctx.Done():
		return markerReply{err: errSenderClosed}
	}
}

// queue returns dest's queue, starting its goroutine on first use.
func (s *markerSender) queue(dest int32) (chan *markerItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil, errSenderClosed
	}
	q := s.mu.queues[dest]
	if q == nil {
		q = make(chan *markerItem, markerQueueLen)
		s.mu.queues[dest] = q
		s.wg.Add(1)
		go s.run(dest, q)
	}
	return q, nil
}

// run is dest's goroutine: it takes what is queued, sends it as one
// request, answers each item, and keeps its connection between requests
// (dropped after an error; redialled, at the address the latest
// metadata image has, for the next request).
func (s *markerSender) run(dest int32, q chan *markerItem) {
	defer s.wg.Done()
	var cl *replication.Client
	defer func() {
		if cl != nil {
			s.closeClient(dest, cl)
		}
	}()
	for {
		var batch []*markerItem
		select {
		case <-s.ctx.Done():
			return
		case it := <-q:
			batch = append(batch, it)
		}
	drain:
		for len(batch) < maxMarkersPerRequest {
			select {
			case it := <-q:
				batch = append(batch, it)
			default:
				break drain
			}
		}
		var replies []markerReply
		cl, replies = s.roundTrip(dest, cl, batch)
		for i, it := range batch {
			it.done <- replies[i]
		}
	}
}

// roundTrip sends batch to dest over cl (dialling first if nil) and
// returns the connection to keep (nil after an error) and one reply per
// item.
func (s *markerSender) roundTrip(dest int32, cl *replication.Client, batch []*markerItem) (*replication.Client, []markerReply) {
	fail := func(err error) []markerReply {
		out := make([]markerReply, len(batch))
		for i := range out {
			out[i].err = fmt.Errorf("WriteTxnMarkers to broker %d: %w", dest, err)
		}
		return out
	}
	if cl == nil {
		addr := s.addr(dest)
		if addr == "" {
			return nil, fail(errNoBrokerAddr)
		}
		c, err := replication.Dial(addr, s.clientID, markerDialTimeout)
		if err != nil {
			return nil, fail(err)
		}
		cl = c
	}
	req := markerRequest(batch)
	// Close interrupts a request in flight.
	stop := context.AfterFunc(s.ctx, func() { s.closeClient(dest, cl) })
	resp, err := cl.Do(req, time.Now().Add(markerRequestTimeout))
	interrupted := !stop()
	if err == nil {
		var replies []markerReply
		if replies, err = markerReplies(batch, resp.(*kmsg.WriteTxnMarkersResponse)); err == nil {
			return cl, replies
		}
	}
	if !interrupted {
		s.closeClient(dest, cl)
	}
	return nil, fail(err)
}

func (s *markerSender) closeClient(dest int32, cl *replication.Client) {
	if err := cl.Close(); err != nil {
		s.log.Debug("closing marker connection", "broker", dest, "err", err)
	}
}

// addr is dest's address in the latest metadata image ("" if unknown).
func (s *markerSender) addr(dest int32) string {
	b := s.meta.Image().Brokers[dest]
	if b == nil {
		return ""
	}
	return net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
}

// markerRequest builds one WriteTxnMarkers request with a marker per
// item, in order.
func markerRequest(batch []*markerItem) *kmsg.WriteTxnMarkersRequest {
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	req.SetVersion(writeTxnMarkersVersion)
	for _, it := range batch {
		m := kmsg.NewWriteTxnMarkersRequestMarker()
		m.ProducerID, m.ProducerEpoch = it.spec.pid, it.spec.epoch
		m.Committed, m.CoordinatorEpoch = it.spec.commit, it.spec.coordEpoch
		byTopic := map[string]int{}
		for _, tp := range it.spec.tps {
			i, ok := byTopic[tp.Topic]
			if !ok {
				i = len(m.Topics)
				byTopic[tp.Topic] = i
				t := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
				t.Topic = tp.Topic
				m.Topics = append(m.Topics, t)
			}
			m.Topics[i].Partitions = append(m.Topics[i].Partitions, tp.Partition)
		}
		req.Markers = append(req.Markers, m)
	}
	return req
}

// markerReplies matches a response to the request's items: the markers
// come back in request order, each with its producer id. A partition the
// response leaves out is absent from its item's codes (the caller
// retries it).
func markerReplies(batch []*markerItem, resp *kmsg.WriteTxnMarkersResponse) ([]markerReply, error) {
	if len(resp.Markers) != len(batch) {
		return nil, fmt.Errorf("%w: %d markers for %d", errBadMarkerResponse, len(resp.Markers), len(batch))
	}
	out := make([]markerReply, len(batch))
	for i, m := range resp.Markers {
		if m.ProducerID != batch[i].spec.pid {
			return nil, fmt.Errorf("%w: marker %d is producer %d, want %d", errBadMarkerResponse, i, m.ProducerID, batch[i].spec.pid)
		}
		codes := map[TopicPartition]int16{}
		for _, t := range m.Topics {
			for _, p := range t.Partitions {
				codes[TopicPartition{Topic: t.Topic, Partition: p.Partition}] = p.ErrorCode
			}
		}
		out[i].pid, out[i].codes = m.ProducerID, codes
	}
	return out, nil
}
