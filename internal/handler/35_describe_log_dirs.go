package handler

// DescribeLogDirs (key 35)
//
//	v0: per log dir, per partition: size, offset lag, is_future
//	v1: throttle time (served from v1)
//	v2: flexible
//	v3: top-level error code
//	v4: total and usable bytes of the volume (KIP-827)
//
// Gregor has one log dir; a null topic list describes every partition.

import (
	"sort"
	"syscall"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/partition"
)

func (h *handlers) describeLogDirs(r *Request) Reply {
	req := r.Msg.(*kmsg.DescribeLogDirsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	resp.SetVersion(r.Version)
	dir := kmsg.NewDescribeLogDirsResponseDir()
	dir.Dir = h.env.Parts.Dir()
	dir.TotalBytes, dir.UsableBytes = -1, -1
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir.Dir, &st); err == nil {
		dir.TotalBytes = int64(st.Blocks) * int64(st.Bsize)
		dir.UsableBytes = int64(st.Bavail) * int64(st.Bsize)
	}
	want := func(string, int32) bool { return true }
	if req.Topics != nil {
		set := map[partition.TopicPartition]bool{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				set[partition.TopicPartition{Topic: t.Topic, Partition: p}] = true
			}
		}
		want = func(t string, p int32) bool { return set[partition.TopicPartition{Topic: t, Partition: p}] }
	}
	byTopic := map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition{}
	for _, p := range h.env.Parts.All() {
		if !want(p.Topic, p.Index) {
			continue
		}
		dp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		dp.Partition = p.Index
		dp.Size = p.Log().Size()
		o := p.Offsets()
		dp.OffsetLag = o.LogEnd - o.HighWatermark
		byTopic[p.Topic] = append(byTopic[p.Topic], dp)
	}
	names := make([]string, 0, len(byTopic))
	for name := range byTopic {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := kmsg.NewDescribeLogDirsResponseDirTopic()
		t.Topic = name
		t.Partitions = byTopic[name]
		sort.Slice(t.Partitions, func(i, j int) bool { return t.Partitions[i].Partition < t.Partitions[j].Partition })
		dir.Topics = append(dir.Topics, t)
	}
	resp.Dirs = append(resp.Dirs, dir)
	return Now(resp)
}
