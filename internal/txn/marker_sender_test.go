package txn

import (
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func testBatch() []*markerItem {
	return []*markerItem{
		{spec: markerSpec{pid: 7, epoch: 2, coordEpoch: 5, commit: true, tps: []TopicPartition{{"a", 0}, {"b", 1}, {"a", 2}}}},
		{spec: markerSpec{pid: 9, epoch: 0, coordEpoch: 5, commit: false, tps: []TopicPartition{{"c", 3}}}},
	}
}

// answer builds the response a destination would give to req, with code
// for every partition.
func answer(req *kmsg.WriteTxnMarkersRequest, code int16) *kmsg.WriteTxnMarkersResponse {
	resp := req.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
	for _, m := range req.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		for _, t := range m.Topics {
			rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
				rp.Partition, rp.ErrorCode = p, code
				rt.Partitions = append(rt.Partitions, rp)
			}
			rm.Topics = append(rm.Topics, rt)
		}
		resp.Markers = append(resp.Markers, rm)
	}
	return resp
}

func TestMarkerRequest(t *testing.T) {
	req := markerRequest(testBatch())
	if req.GetVersion() != writeTxnMarkersVersion || len(req.Markers) != 2 {
		t.Fatalf("request v%d with %d markers", req.GetVersion(), len(req.Markers))
	}
	m := req.Markers[0]
	if m.ProducerID != 7 || m.ProducerEpoch != 2 || m.CoordinatorEpoch != 5 || !m.Committed {
		t.Fatalf("marker 0: %+v", m)
	}
	if len(m.Topics) != 2 || m.Topics[0].Topic != "a" || !reflect.DeepEqual(m.Topics[0].Partitions, []int32{0, 2}) ||
		m.Topics[1].Topic != "b" || !reflect.DeepEqual(m.Topics[1].Partitions, []int32{1}) {
		t.Fatalf("marker 0 topics: %+v", m.Topics)
	}
	if req.Markers[1].Committed || req.Markers[1].ProducerID != 9 {
		t.Fatalf("marker 1: %+v", req.Markers[1])
	}
	// The request survives the wire.
	wire := req.AppendTo(nil)
	back := kmsg.NewPtrWriteTxnMarkersRequest()
	back.SetVersion(writeTxnMarkersVersion)
	if err := back.ReadFrom(wire); err != nil || !reflect.DeepEqual(back.Markers, req.Markers) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back.Markers, req.Markers)
	}
}

func TestMarkerReplies(t *testing.T) {
	batch := testBatch()
	req := markerRequest(batch)
	resp := answer(req, kerr.NotEnoughReplicas.Code)
	replies, err := markerReplies(batch, resp)
	if err != nil {
		t.Fatal(err)
	}
	want0 := map[TopicPartition]int16{{"a", 0}: 19, {"a", 2}: 19, {"b", 1}: 19}
	if replies[0].pid != 7 || !reflect.DeepEqual(replies[0].codes, want0) || replies[1].codes[TopicPartition{"c", 3}] != 19 {
		t.Fatalf("replies: %+v", replies)
	}

	short := answer(req, 0)
	short.Markers = short.Markers[:1]
	if _, err := markerReplies(batch, short); !errors.Is(err, errBadMarkerResponse) {
		t.Fatalf("missing marker: %v", err)
	}
	swapped := answer(req, 0)
	swapped.Markers[0], swapped.Markers[1] = swapped.Markers[1], swapped.Markers[0]
	if _, err := markerReplies(batch, swapped); !errors.Is(err, errBadMarkerResponse) {
		t.Fatalf("markers out of order: %v", err)
	}
}

func TestClassifyMarkerCode(t *testing.T) {
	tp := TopicPartition{"a", 0}
	for _, tc := range []struct {
		name        string
		code        int16
		gone        bool
		done, fatal bool
	}{
		{"success", 0, false, true, false},
		{"not leader", kerr.NotLeaderForPartition.Code, false, false, false},
		{"ISR too small", kerr.NotEnoughReplicas.Code, false, false, false},
		{"ISR shrank", kerr.NotEnoughReplicasAfterAppend.Code, false, false, false},
		{"timeout", kerr.RequestTimedOut.Code, false, false, false},
		{"storage", kerr.KafkaStorageError.Code, false, false, false},
		{"unknown partition, topic exists", kerr.UnknownTopicOrPartition.Code, false, false, false},
		{"unknown partition, topic deleted", kerr.UnknownTopicOrPartition.Code, true, true, false},
		{"unsupported format", kerr.UnsupportedForMessageFormat.Code, false, true, false},
		{"older producer epoch", kerr.InvalidProducerEpoch.Code, false, false, true},
		{"coordinator fenced", kerr.TransactionCoordinatorFenced.Code, false, false, true},
	} {
		o := classifyMarkerCode(tp, tc.code, func() bool { return tc.gone })
		if done := o.err == nil; done != tc.done || o.fatal != tc.fatal {
			t.Errorf("%s: done %v fatal %v (%v), want done %v fatal %v", tc.name, done, o.fatal, o.err, tc.done, tc.fatal)
		}
		if o.fatal && !errors.Is(o.err, errMarkerRefused) {
			t.Errorf("%s: fatal error %v is not errMarkerRefused", tc.name, o.err)
		}
	}
}

// FuzzMarkerReplies: whatever a destination answers, decoding and
// matching it to the request never panics, and either gives one reply
// per marker, for its producer, or reports errBadMarkerResponse.
func FuzzMarkerReplies(f *testing.F) {
	batch := testBatch()
	req := markerRequest(batch)
	for _, code := range []int16{0, kerr.NotEnoughReplicas.Code} {
		resp := answer(req, code)
		f.Add(resp.AppendTo(nil))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		resp := kmsg.NewPtrWriteTxnMarkersResponse()
		resp.SetVersion(writeTxnMarkersVersion)
		if err := resp.ReadFrom(b); err != nil {
			return
		}
		replies, err := markerReplies(batch, resp)
		if err != nil {
			if !errors.Is(err, errBadMarkerResponse) {
				t.Fatalf("error %v is not errBadMarkerResponse", err)
			}
			return
		}
		if len(replies) != len(batch) {
			t.Fatalf("%d replies for %d markers", len(replies), len(batch))
		}
		for i, r := range replies {
			if r.pid != batch[i].spec.pid {
				t.Fatalf("reply %d for producer %d, want %d", i, r.pid, batch[i].spec.pid)
			}
		}
	})
}
