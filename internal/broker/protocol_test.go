package broker_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// Protocol edge cases checked on the wire, as KAFKA-BEHAVIOR.md lists them.

func TestCreateTopicsValidation(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	cl := newClient(t, b.Addr())
	createTopic(t, kadm.NewClient(cl), "exists", 1, nil)
	req := kmsg.NewPtrCreateTopicsRequest()
	add := func(name string, partitions int32, rf int16, configs map[string]string) {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, partitions, rf
		for k, v := range configs {
			c := kmsg.NewCreateTopicsRequestTopicConfig()
			c.Name, c.Value = k, kmsg.StringPtr(v)
			rt.Configs = append(rt.Configs, c)
		}
		req.Topics = append(req.Topics, rt)
	}
	add("exists", 1, 1, nil)
	add("bad/name", 1, 1, nil)
	add("twice", 1, 1, nil)
	add("twice", 1, 1, nil)
	add("rf-too-big", 1, 3, nil)
	add("zero-partitions", 0, 1, nil)
	add("bad-config", 1, 1, map[string]string{"retention.ms": "soon"})
	add("compacted", 1, 1, map[string]string{"cleanup.policy": "compact"})
	add("defaults", -1, -1, nil)
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	want := []*kerr.Error{kerr.TopicAlreadyExists, kerr.InvalidTopicException, kerr.InvalidRequest, kerr.InvalidRequest,
		kerr.InvalidReplicationFactor, kerr.InvalidPartitions, kerr.InvalidConfig, kerr.InvalidConfig, nil}
	for i, rt := range resp.Topics {
		got := kerr.ErrorForCode(rt.ErrorCode)
		if (want[i] == nil && got != nil) || (want[i] != nil && !errors.Is(got, want[i])) {
			t.Errorf("%s: %v, want %v", rt.Topic, got, want[i])
		}
	}
	last := resp.Topics[len(resp.Topics)-1]
	if last.NumPartitions != 1 || last.ReplicationFactor != 1 || last.TopicID == [16]byte{} {
		t.Errorf("defaults: %d partitions, RF %d, id %x", last.NumPartitions, last.ReplicationFactor, last.TopicID)
	}

	// validate_only checks and writes nothing.
	vreq := kmsg.NewPtrCreateTopicsRequest()
	vreq.ValidateOnly = true
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "only-validated", 2, 1
	vreq.Topics = append(vreq.Topics, rt)
	vresp, err := vreq.RequestWith(ctxT(t), cl)
	if err != nil || vresp.Topics[0].ErrorCode != 0 {
		t.Fatalf("validate only: %v %v", err, vresp.Topics[0].ErrorCode)
	}
	md, _ := kadm.NewClient(cl).Metadata(ctxT(t), "only-validated")
	if md.Topics["only-validated"].Err == nil {
		t.Fatal("validate_only created the topic")
	}
}

func TestDeleteTopicByID(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	cl := newClient(t, b.Addr())
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctxT(t), 1, 1, nil, "by-id")
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.Topics = []kmsg.DeleteTopicsRequestTopic{{TopicID: resp.ID}, {TopicID: [16]byte{1, 2, 3}}}
	dresp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if dresp.Topics[0].ErrorCode != 0 || dresp.Topics[0].Topic == nil || *dresp.Topics[0].Topic != "by-id" {
		t.Fatalf("delete by id: %+v", dresp.Topics[0])
	}
	if dresp.Topics[1].ErrorCode != kerr.UnknownTopicID.Code {
		t.Fatalf("unknown id: error %d, want UNKNOWN_TOPIC_ID", dresp.Topics[1].ErrorCode)
	}
}

func TestFetchSessionsDeclined(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	cl := pinned(t, b.Addr(), 1, 12)
	createTopic(t, kadm.NewClient(cl), "fs", 1, nil)
	for _, tc := range []struct {
		id, epoch int32
		want      int16
	}{
		{0, 0, 0},  // asks for a session: declined with id 0
		{0, -1, 0}, // sessionless
		{7, 1, kerr.FetchSessionIDNotFound.Code},
		{0, 3, kerr.InvalidFetchSessionEpoch.Code},
	} {
		req := kmsg.NewPtrFetchRequest()
		req.SessionID, req.SessionEpoch, req.MaxBytes = tc.id, tc.epoch, 1<<20
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = "fs"
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.PartitionMaxBytes = 1 << 20
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctxT(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ErrorCode != tc.want || resp.SessionID != 0 {
			t.Errorf("session %d epoch %d: error %d session %d, want error %d session 0", tc.id, tc.epoch, resp.ErrorCode, resp.SessionID, tc.want)
		}
		if tc.want == 0 {
			p := resp.Topics[0].Partitions[0]
			if p.HighWatermark != 0 || p.LogStartOffset != 0 || p.LastStableOffset != 0 || p.RecordBatches == nil {
				t.Errorf("empty partition: hw %d lso %d start %d records nil=%v", p.HighWatermark, p.LastStableOffset, p.LogStartOffset, p.RecordBatches == nil)
			}
		}
	}
}

func TestFetchOffsetOutOfRangeAndBeyondHighWatermark(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	cl := pinned(t, b.Addr(), 1, 11, kgo.DefaultProduceTopic("oor"))
	createTopic(t, kadm.NewClient(cl), "oor", 1, nil)
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		offset int64
		want   int16
	}{{0, 0}, {1, 0}, {2, kerr.OffsetOutOfRange.Code}, {-5, kerr.OffsetOutOfRange.Code}} {
		req := kmsg.NewPtrFetchRequest()
		req.MaxBytes = 1 << 20
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = "oor"
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.FetchOffset, rp.PartitionMaxBytes = tc.offset, 1<<20
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctxT(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		p := resp.Topics[0].Partitions[0]
		if p.ErrorCode != tc.want || p.HighWatermark != 1 {
			t.Errorf("offset %d: error %d hw %d, want error %d hw 1", tc.offset, p.ErrorCode, p.HighWatermark, tc.want)
		}
	}
}

func TestMetadataV0EmptyMeansAllAndV1EmptyMeansNone(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	createTopic(t, kadm.NewClient(newClient(t, b.Addr())), "listed", 1, nil)
	for _, tc := range []struct {
		version int16
		topics  []kmsg.MetadataRequestTopic
		want    int
	}{{0, []kmsg.MetadataRequestTopic{}, 1}, {1, []kmsg.MetadataRequestTopic{}, 0}, {1, nil, 1}, {12, nil, 1}} {
		req := kmsg.NewPtrMetadataRequest()
		req.Topics = tc.topics
		resp, err := req.RequestWith(ctxT(t), pinned(t, b.Addr(), 3, tc.version))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Topics) != tc.want {
			t.Errorf("v%d topics=%v: %d topics, want %d", tc.version, tc.topics, len(resp.Topics), tc.want)
		}
		if len(resp.Brokers) != 1 || (tc.version >= 1 && resp.ControllerID != resp.Brokers[0].NodeID) {
			t.Errorf("v%d: brokers %+v controller %d", tc.version, resp.Brokers, resp.ControllerID)
		}
	}
}

// pinned returns a client that sends API key at most at version v (kgo
// otherwise sends the highest version both sides support).
func pinned(t *testing.T, addr string, key, v int16, opts ...kgo.Opt) *kgo.Client {
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(key, v)
	return newClient(t, addr, append(opts, kgo.MaxVersions(vs))...)
}

// TestHostileRequests: requests a client could send to exhaust or crash
// the broker get Kafka's error and nothing else.
func TestHostileRequests(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	cl := newClient(t, b.Addr())
	create := kmsg.NewPtrCreateTopicsRequest()
	for i, idx := range []int32{-1, 1 << 30} {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = fmt.Sprintf("assign-%d", i), -1, -1
		a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		a.Partition, a.Replicas = idx, []int32{1}
		rt.ReplicaAssignment = append(rt.ReplicaAssignment, a)
		create.Topics = append(create.Topics, rt)
	}
	huge := kmsg.NewCreateTopicsRequestTopic()
	huge.Topic, huge.NumPartitions, huge.ReplicationFactor = "huge", 1<<20, 1
	create.Topics = append(create.Topics, huge)
	resp, err := create.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int16{kerr.InvalidReplicaAssignment.Code, kerr.InvalidReplicaAssignment.Code, kerr.PolicyViolation.Code} {
		if got := resp.Topics[i].ErrorCode; got != want {
			t.Errorf("%s: error %d, want %d", resp.Topics[i].Topic, got, want)
		}
	}

	createTopic(t, kadm.NewClient(cl), "cursor", 2, nil)
	dtp := kmsg.NewPtrDescribeTopicPartitionsRequest()
	dtp.Topics = []kmsg.DescribeTopicPartitionsRequestTopic{{Topic: "cursor"}}
	dtp.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: "cursor", Partition: -5}
	dresp, err := dtp.RequestWith(ctxT(t), cl)
	if err != nil || len(dresp.Topics) != 1 || len(dresp.Topics[0].Partitions) != 2 {
		t.Fatalf("negative cursor: %v %+v", err, dresp)
	}

	prod := kmsg.NewPtrProduceRequest()
	prod.Acks = 2
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "cursor"
	rt.Partitions = []kmsg.ProduceRequestTopicPartition{{Partition: 0}}
	prod.Topics = append(prod.Topics, rt)
	prod.SetVersion(9)
	presp := kmsg.NewPtrProduceResponse()
	presp.SetVersion(9)
	// kgo rewrites acks to its own setting, so this goes on a raw socket.
	if err := presp.ReadFrom(rawRequest(t, b.Addr(), prod)); err != nil {
		t.Fatal(err)
	}
	if got := presp.Topics[0].Partitions[0].ErrorCode; got != kerr.InvalidRequiredAcks.Code {
		t.Fatalf("acks=2: error %d, want INVALID_REQUIRED_ACKS", got)
	}
}

// rawRequest sends req (at its set version) on a new connection and
// returns the response body.
func rawRequest(t *testing.T, addr string, req kmsg.Request) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hdr := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(req.GetVersion()))
	hdr = binary.BigEndian.AppendUint32(hdr, 42)
	hdr = binary.BigEndian.AppendUint16(hdr, 0) // empty client id
	if req.IsFlexible() {
		hdr = append(hdr, 0)
	}
	body := req.AppendTo(hdr)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	if _, err := c.Write(append(frame, body...)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := readFrame(c)
	if err != nil {
		t.Fatal(err)
	}
	skip := 8 // size and correlation id
	if req.IsFlexible() {
		skip++ // the response header's empty tag section
	}
	return resp[skip:]
}
