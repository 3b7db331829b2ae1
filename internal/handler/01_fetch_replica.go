package handler

// The replica path of Fetch (key 1): a follower broker fetching from the
// partition leader (replica id >= 0: ReplicaID up to v14, ReplicaState
// from v15, KIP-903). Unlike a consumer fetch it reads up to the log end
// offset, not the high watermark; its fetch offset is the follower's log
// end offset, which the leader records (partition.UpdateFollower) to
// advance the high watermark and grow the ISR. From v12 a follower sends
// the epoch of its last batch; if the leader's log diverges there, the
// answer carries DivergingEpoch (the leader's end offset for that epoch)
// and no records, and the follower truncates (KIP-595 style, instead of a
// separate OffsetForLeaderEpoch round trip). See docs/replication.md.

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/partition"
)

// fetchReplicaID returns the fetching broker's id, or -1 for a consumer.
func fetchReplicaID(r *Request, req *kmsg.FetchRequest) int32 {
	if r.Version >= 15 {
		return req.ReplicaState.ID
	}
	return req.ReplicaID
}

// replicaFetch is one replica fetch request's resolved partitions.
type replicaFetch struct {
	h     *handlers
	req   *kmsg.FetchRequest
	id    int32
	parts [][]*partition.Partition
	codes [][]int16 // error per partition, fixed at the first pass
	div   [][]kmsg.FetchResponseTopicPartitionDivergingEpoch
}

func (h *handlers) fetchReplica(r *Request, req *kmsg.FetchRequest, id int32) Reply {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	resp.SetVersion(r.Version)
	f := &replicaFetch{h: h, req: req, id: id}
	f.resolve(r)
	waitOn, total := f.fill(resp)
	if total >= int(req.MinBytes) || req.MaxWaitMillis <= 0 || len(waitOn) == 0 {
		return Now(partedFetch{resp})
	}
	deadline := time.Now().Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	fs := &fetchState{r: r}
	return Later(func() kmsg.Response {
		for fs.wait(waitOn, deadline) {
			if waitOn, total = f.fill(resp); total >= int(req.MinBytes) {
				break
			}
		}
		f.fill(resp)
		return partedFetch{resp}
	})
}

// resolve checks each partition once: leadership, leader epoch, diverging
// epoch, and records the follower's fetch offset.
func (f *replicaFetch) resolve(r *Request) {
	img := f.h.image()
	now := f.h.env.now()
	for _, rt := range f.req.Topics {
		name := rt.Topic
		if r.Version >= 13 {
			if t := img.TopicsByID[rt.TopicID]; t != nil {
				name = t.Name
			}
		}
		ps := make([]*partition.Partition, len(rt.Partitions))
		cs := make([]int16, len(rt.Partitions))
		ds := make([]kmsg.FetchResponseTopicPartitionDivergingEpoch, len(rt.Partitions))
		for i, rp := range rt.Partitions {
			ds[i] = kmsg.NewFetchResponseTopicPartitionDivergingEpoch()
			p := f.h.env.Parts.Get(name, rp.Partition)
			if p == nil {
				cs[i] = f.h.missingPartitionCode(name, rp.Partition)
				if r.Version >= 13 && img.TopicsByID[rt.TopicID] == nil {
					cs[i] = kerr.UnknownTopicID.Code
				}
				continue
			}
			if err := p.CheckLeaderEpoch(rp.CurrentLeaderEpoch); err != nil {
				cs[i] = code(f.h.log, "Fetch", err, kerr.NotLeaderForPartition)
				continue
			}
			if r.Version >= 12 && rp.LastFetchedEpoch >= 0 {
				e, end := p.Log().EndOffsetForEpoch(rp.LastFetchedEpoch)
				if e != rp.LastFetchedEpoch || end < rp.FetchOffset {
					if e < 0 {
						// No common epoch: -1/-1 would encode as "no
						// divergence" (the tag's default), so send the
						// high watermark, where the follower cuts.
						end = p.Offsets().HighWatermark
					}
					ds[i].Epoch, ds[i].EndOffset = e, end
					ps[i] = p // answered with offsets, no records
					continue
				}
			}
			if _, err := p.UpdateFollower(f.id, rp.FetchOffset, now); err != nil {
				cs[i] = code(f.h.log, "Fetch", err, kerr.NotLeaderForPartition)
				continue
			}
			if r.Version >= 5 {
				p.NoteFollowerLogStart(f.id, rp.LogStartOffset) // KIP-392's read replicas
			}
			ps[i] = p
		}
		f.parts, f.codes, f.div = append(f.parts, ps), append(f.codes, cs), append(f.div, ds)
	}
}

// fill (re)builds the response from the leaders' logs, up to their log
// end offsets.
func (f *replicaFetch) fill(resp *kmsg.FetchResponse) (waitOn []<-chan struct{}, total int) {
	resp.Topics = resp.Topics[:0]
	maxBytes := responseMaxBytes(f.req)
	for ti, rt := range f.req.Topics {
		st := kmsg.NewFetchResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for pi, rp := range rt.Partitions {
			sp := kmsg.NewFetchResponseTopicPartition()
			sp.Partition, sp.RecordBatches = rp.Partition, []byte{}
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
			p := f.parts[ti][pi]
			sp.ErrorCode = f.codes[ti][pi]
			if p == nil {
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			o := p.Offsets()
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = o.HighWatermark, o.HighWatermark, o.LogStart
			if d := f.div[ti][pi]; d.Epoch >= 0 || d.EndOffset >= 0 {
				sp.DivergingEpoch = d
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			waitOn = append(waitOn, p.Appended(), p.Changed())
			total += f.read(p, rp, &sp, maxBytes-total, total == 0)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return waitOn, total
}

// read fills sp with whole batches from the follower's fetch offset up to
// the log end offset, within limit bytes unless first (KIP-74).
func (f *replicaFetch) read(p *partition.Partition, rp kmsg.FetchRequestTopicPartition, sp *kmsg.FetchResponseTopicPartition, limit int, first bool) int {
	limit = min(limit, int(rp.PartitionMaxBytes))
	if limit <= 0 && !first {
		return 0
	}
	limit = max(limit, 1)
	l := p.Log()
	b, err := l.Read(rp.FetchOffset, limit, l.NextOffset())
	if err != nil {
		sp.ErrorCode = code(f.h.log, "Fetch", err, kerr.KafkaStorageError)
		return 0
	}
	if len(b) == 0 || (len(b) > limit && !first) {
		return 0
	}
	sp.RecordBatches = b
	return len(b)
}
