package handler

// Fetch (key 1)
//
//	v4: isolation level, last stable offset, aborted transactions (served
//	    from v4: magic-2 batches need it)
//	v5: log start offset
//	v6: no change
//	v7: fetch sessions (KIP-227)
//	v8: no change
//	v9: current leader epoch (KIP-320)
//	v10: zstd
//	v11: rack and preferred read replica (KIP-392)
//	v12: flexible; last fetched epoch, diverging epoch (KIP-595)
//	v13: topic ids replace names (KIP-516)
//	v14: no change
//	v15: replica state replaces replica id (KIP-903)
//	v16: current leader and node endpoints on errors (KIP-951)
//
// Fetch sessions are declined, which KIP-227 allows: a request that asks
// for a new session (id 0, epoch 0) is answered with session id 0, so the
// client keeps sending full fetches. A request naming a session id gets
// FETCH_SESSION_ID_NOT_FOUND.
//
// A fetch that finds fewer than min_bytes waits up to max_wait_ms, woken by
// the partitions' high-watermark notifications (never by polling).
//
// From v11, with replica.selector.class set, the leader may send a
// consumer to a follower in its rack, and followers serve consumer reads
// up to their high watermark (01_fetch_follower.go, KIP-392).

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"net"
	"reflect"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/partition"
)

func (h *handlers) fetch(r *Request) Reply {
	req := r.Msg.(*kmsg.FetchRequest)
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	resp.SetVersion(r.Version)
	if r.Version >= 7 {
		switch {
		case req.SessionID != 0:
			resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
			return Now(resp)
		case req.SessionEpoch > 0:
			resp.ErrorCode = kerr.InvalidFetchSessionEpoch.Code
			return Now(resp)
		}
	}
	f := h.newFetchState(r, req)
	waitOn, total, errored := f.fill(resp)
	if errored || total >= int(req.MinBytes) || req.MaxWaitMillis <= 0 || len(waitOn) == 0 {
		return Now(partedFetch{resp})
	}
	deadline := time.Now().Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	return Later(func() kmsg.Response {
		for {
			if !f.wait(waitOn, deadline) {
				f.fill(resp)
				return partedFetch{resp}
			}
			waitOn, total, errored = f.fill(resp)
			if errored || total >= int(req.MinBytes) {
				return partedFetch{resp}
			}
		}
	})
}

// partedFetch is a FetchResponse that the server writes without copying
// its record batches into the frame (server.PartedResponse): each batch
// slice, already a copy read from the segment, goes to the socket as is.
type partedFetch struct{ *kmsg.FetchResponse }

// partedMin is the smallest record set written as its own part; smaller
// ones are cheaper to copy than to hand to writev separately.
const partedMin = 4 << 10

// fetchMarker stands in for a record set while the rest of the response is
// encoded by kmsg; random, so it cannot occur in the encoded fields (the
// split checks anyway and falls back to a plain encoding).
var fetchMarker = func() (m [16]byte) {
	rand.Read(m[:]) // crypto/rand.Read never fails (Go 1.24+)
	return m
}()

// AppendParts encodes the response with kmsg, every large record set
// replaced by the marker, then splits the encoding at the markers and
// puts each record set, with its real length prefix, between the runs.
func (p partedFetch) AppendParts(dst []byte) net.Buffers {
	var sets [][]byte
	for ti := range p.Topics {
		for pi := range p.Topics[ti].Partitions {
			sp := &p.Topics[ti].Partitions[pi]
			if len(sp.RecordBatches) >= partedMin {
				sets = append(sets, sp.RecordBatches)
				sp.RecordBatches = fetchMarker[:]
			}
		}
	}
	enc := p.AppendTo(dst)
	i := 0
	for ti := range p.Topics {
		for pi := range p.Topics[ti].Partitions {
			if sp := &p.Topics[ti].Partitions[pi]; len(sp.RecordBatches) == len(fetchMarker) && &sp.RecordBatches[0] == &fetchMarker[0] {
				sp.RecordBatches = sets[i]
				i++
			}
		}
	}
	if len(sets) == 0 {
		return net.Buffers{enc}
	}
	if parts, ok := splitAtMarkers(enc, sets, p.IsFlexible()); ok {
		return parts
	}
	return net.Buffers{p.AppendTo(dst[:0])}
}

// splitAtMarkers cuts enc at each marker (and its length prefix: an int32,
// or a uvarint of length+1 when flexible) and interleaves the record sets
// with their own prefixes. The new prefix is written over the old prefix
// and marker, which are at least as long.
func splitAtMarkers(enc []byte, sets [][]byte, flexible bool) (net.Buffers, bool) {
	prefix := 4
	if flexible {
		prefix = 1 // uvarint(16+1)
	}
	parts := make(net.Buffers, 0, 2*len(sets)+1)
	rest := enc
	for _, set := range sets {
		at := bytes.Index(rest, fetchMarker[:])
		if at < prefix {
			return nil, false
		}
		if flexible && rest[at-1] != 16+1 || !flexible && binary.BigEndian.Uint32(rest[at-4:]) != 16 {
			return nil, false
		}
		head := rest[:at-prefix]
		if flexible {
			head = binary.AppendUvarint(head, uint64(len(set))+1)
		} else {
			head = binary.BigEndian.AppendUint32(head, uint32(len(set)))
		}
		parts = append(parts, head, set)
		rest = rest[at+len(fetchMarker):]
	}
	if bytes.Contains(rest, fetchMarker[:]) {
		return nil, false
	}
	return append(parts, rest), true
}

// maxFetchBytes is Kafka's broker fetch.max.bytes default.
const maxFetchBytes = 55 << 20

// responseMaxBytes is the size a fetch response may reach: the client's
// max_bytes, capped at Kafka's fetch.max.bytes default (55 MiB) whatever
// the client asks, so one fetch cannot pin the whole log in memory
// (KIP-74 still returns at least one batch). Consumer and replica fetches
// alike.
func responseMaxBytes(req *kmsg.FetchRequest) int {
	if n := int(req.MaxBytes); n > 0 && n <= maxFetchBytes {
		return n
	}
	return maxFetchBytes
}

// fetchState is one fetch request's resolved partitions.
type fetchState struct {
	h     *handlers
	r     *Request
	req   *kmsg.FetchRequest
	parts [][]*partition.Partition // per request topic and partition; nil if not served
	codes [][]int16                // error for unserved partitions
	fr    followerReads            // KIP-392 (01_fetch_follower.go)
}

func (h *handlers) newFetchState(r *Request, req *kmsg.FetchRequest) *fetchState {
	f := &fetchState{h: h, r: r, req: req, fr: h.followerReadsFor(r, req)}
	img := h.image()
	for _, rt := range req.Topics {
		name := rt.Topic
		unknownID := false
		if r.Version >= 13 {
			if t := img.TopicsByID[rt.TopicID]; t != nil {
				name = t.Name
			} else {
				unknownID = true
			}
		}
		ps := make([]*partition.Partition, len(rt.Partitions))
		cs := make([]int16, len(rt.Partitions))
		for i, rp := range rt.Partitions {
			switch {
			case unknownID:
				cs[i] = kerr.UnknownTopicID.Code
			default:
				if ps[i] = h.env.Parts.Get(name, rp.Partition); ps[i] == nil {
					cs[i] = h.missingPartitionCode(name, rp.Partition)
				}
			}
		}
		f.parts = append(f.parts, ps)
		f.codes = append(f.codes, cs)
	}
	return f
}

// fill (re)builds the response from the partitions' current state. It
// returns the channels that signal new data, the bytes gathered, and
// whether any partition answered with an error (which ends a wait).
func (f *fetchState) fill(resp *kmsg.FetchResponse) (waitOn []<-chan struct{}, total int, errored bool) {
	resp.Topics = resp.Topics[:0]
	maxBytes := responseMaxBytes(f.req)
	for ti, rt := range f.req.Topics {
		st := kmsg.NewFetchResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for pi, rp := range rt.Partitions {
			sp := kmsg.NewFetchResponseTopicPartition()
			sp.Partition = rp.Partition
			// Never null: librdkafka rejects a null record set
			// ("invalid MessageSetSize -1"); Kafka sends empty.
			sp.RecordBatches = []byte{}
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
			p := f.parts[ti][pi]
			if p == nil {
				sp.ErrorCode = f.codes[ti][pi]
				errored = true
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			waitOn = append(waitOn, p.Changed())
			n := f.readPartition(p, rp, &sp, maxBytes-total, total == 0)
			total += n
			// A preferred read replica answers at once, as an error does.
			if sp.ErrorCode != 0 || sp.PreferredReadReplica >= 0 {
				errored = true
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return waitOn, total, errored
}

// readPartition fills sp from p, within limit bytes unless first (KIP-74:
// the first partition with data gets at least one whole batch).
func (f *fetchState) readPartition(p *partition.Partition, rp kmsg.FetchRequestTopicPartition, sp *kmsg.FetchResponseTopicPartition, limit int, first bool) int {
	o := p.Offsets()
	sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = o.HighWatermark, o.LastStable, o.LogStart
	asFollower, err := f.checkReadEpoch(p, rp.CurrentLeaderEpoch)
	if err != nil {
		sp.ErrorCode = code(f.h.log, "Fetch", err, kerr.NotLeaderForPartition)
		return 0
	}
	if !asFollower {
		if id := f.preferredReplica(p, rp.FetchOffset); id >= 0 {
			sp.PreferredReadReplica = id // and no records (KIP-392)
			return 0
		}
	}
	if int(rp.PartitionMaxBytes) < limit {
		limit = int(rp.PartitionMaxBytes)
	}
	if limit <= 0 && !first {
		return 0
	}
	if limit <= 0 {
		limit = 1
	}
	b, o, aborted, err := f.read(p, rp.FetchOffset, limit)
	sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = o.HighWatermark, o.LastStable, o.LogStart
	if err != nil {
		if c, ok := followerReadCode(err, rp.FetchOffset, o); ok && asFollower {
			sp.ErrorCode = c
			return 0
		}
		sp.ErrorCode = code(f.h.log, "Fetch", err, kerr.KafkaStorageError)
		return 0
	}
	if len(b) == 0 || (len(b) > limit && !first) {
		return 0
	}
	sp.RecordBatches = b
	sp.AbortedTransactions = aborted
	return len(b)
}

// read reads a partition under the request's isolation level:
// read_committed (1) stops at the last stable offset and lists the
// aborted transactions in range (see txn_fetch.go).
func (f *fetchState) read(p *partition.Partition, offset int64, limit int) ([]byte, partition.Offsets, []kmsg.FetchResponseTopicPartitionAbortedTransaction, error) {
	if f.req.IsolationLevel != 1 {
		b, o, err := p.Read(offset, limit)
		return b, o, nil, err
	}
	return readCommitted(p, offset, limit)
}

// wait blocks until one of the partitions has new data (true), or the
// deadline passes or the connection closes (false).
func (f *fetchState) wait(chans []<-chan struct{}, deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	cases := make([]reflect.SelectCase, 0, len(chans)+2)
	cases = append(cases,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(f.r.Ctx.Done())})
	for _, c := range chans {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c)})
	}
	chosen, _, _ := reflect.Select(cases)
	return chosen >= 2
}
