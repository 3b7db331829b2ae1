package broker_test

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// TestGroupProtocolErrors checks the answers to bad or unusual group
// requests, sent raw so the client does not hide them.
func TestGroupProtocolErrors(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{Props: groupProps})
	cl := newClient(t, b.Addr())
	adm := kadm.NewClient(cl)
	createTopic(t, adm, "gp", 2, nil)
	ctx := ctxT(t)

	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.Version = 4
	fc.CoordinatorKeys = []string{"a", "b"}
	fcr, err := fc.RequestWith(ctx, cl)
	if err != nil || len(fcr.Coordinators) != 2 || fcr.Coordinators[0].ErrorCode != 0 || fcr.Coordinators[1].NodeID != 1 {
		t.Fatalf("batched FindCoordinator: %+v %v", fcr, err)
	}
	fc.CoordinatorType = 1
	if fcr, err = fc.RequestWith(ctx, cl); err != nil || fcr.Coordinators[0].ErrorCode != 0 || fcr.Coordinators[0].NodeID != 1 {
		t.Fatalf("transaction coordinator: %+v %v", fcr, err)
	}

	j := kmsg.NewPtrJoinGroupRequest()
	j.SessionTimeoutMillis, j.RebalanceTimeoutMillis, j.ProtocolType = 10000, 10000, "consumer"
	j.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{}}}
	if jr, err := j.RequestWith(ctx, cl); err != nil || jr.ErrorCode != kerr.InvalidGroupID.Code {
		t.Fatalf("join with an empty group id: %+v %v", jr, err)
	}
	j.Group = "gp-join"
	jr, err := j.RequestWith(ctx, cl)
	if err != nil || jr.ErrorCode != kerr.MemberIDRequired.Code || jr.MemberID == "" {
		t.Fatalf("first join: %+v %v", jr, err)
	}
	j.SessionTimeoutMillis = 100
	if jr2, err := j.RequestWith(ctx, cl); err != nil || jr2.ErrorCode != kerr.InvalidSessionTimeout.Code {
		t.Fatalf("join with a tiny session timeout: %+v %v", jr2, err)
	}

	// Commits: to a missing group with a generation, then a simple one.
	// kgo sends the highest version both sides know: pin v8 with a
	// client that stops at Kafka 3.0.
	cl8 := newClient(t, b.Addr(), kgo.MaxVersions(kversion.V3_0_0()))
	commit := func(version int16, gen int32) int16 {
		c := kmsg.NewPtrOffsetCommitRequest()
		c.Version, c.Group, c.Generation = version, "gp-commit", gen
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset = 1, 7
		md := "meta"
		p.Metadata = &md
		c.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "gp", Partitions: []kmsg.OffsetCommitRequestTopicPartition{p}}}
		use := cl
		if version < 9 {
			use = cl8
		}
		r, err := c.RequestWith(ctx, use)
		if err != nil {
			t.Fatal(err)
		}
		return r.Topics[0].Partitions[0].ErrorCode
	}
	if code := commit(8, 3); code != kerr.IllegalGeneration.Code {
		t.Fatalf("v8 commit to a missing group: %d", code)
	}
	if code := commit(9, 3); code != kerr.GroupIDNotFound.Code {
		t.Fatalf("v9 commit to a missing group: %d", code)
	}
	if code := commit(9, -1); code != 0 {
		t.Fatalf("simple commit: %d", code)
	}

	// OffsetFetch v8, two groups: the known one round-trips metadata,
	// the unknown one answers -1 with no error.
	of := kmsg.NewPtrOffsetFetchRequest()
	of.Version = 8
	for _, g := range []string{"gp-commit", "gp-nobody"} {
		rg := kmsg.NewOffsetFetchRequestGroup()
		rg.Group = g
		rg.Topics = []kmsg.OffsetFetchRequestGroupTopic{{Topic: "gp", Partitions: []int32{0, 1}}}
		of.Groups = append(of.Groups, rg)
	}
	ofr, err := of.RequestWith(ctx, cl)
	if err != nil || len(ofr.Groups) != 2 {
		t.Fatalf("OffsetFetch v8: %+v %v", ofr, err)
	}
	ps := ofr.Groups[0].Topics[0].Partitions
	if ps[0].Offset != -1 || ps[1].Offset != 7 || *ps[1].Metadata != "meta" || ofr.Groups[0].ErrorCode != 0 {
		t.Fatalf("committed offsets: %+v", ps)
	}
	if p := ofr.Groups[1].Topics[0].Partitions[1]; p.Offset != -1 || p.ErrorCode != 0 || ofr.Groups[1].ErrorCode != 0 {
		t.Fatalf("unknown group: %+v", ofr.Groups[1])
	}

	// Admin: list with filters, delete (empty group only), OffsetDelete.
	listed, err := adm.ListGroups(ctx, "Empty")
	if err != nil || len(listed) != 2 {
		t.Fatalf("ListGroups Empty: %v %v", listed.Groups(), err)
	}
	if listed, _ := adm.ListGroups(ctx, "Stable"); len(listed) != 0 {
		t.Fatalf("ListGroups Stable: %v", listed.Groups())
	}
	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "gp-commit"
	od.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: "gp", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 1}}}}
	if odr, err := od.RequestWith(ctx, cl); err != nil || odr.ErrorCode != 0 || odr.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("OffsetDelete: %+v %v", odr, err)
	}
	if os, _ := adm.FetchOffsets(ctx, "gp-commit"); len(os) != 0 {
		t.Fatalf("offsets after OffsetDelete: %v", os)
	}
	dr, err := adm.DeleteGroups(ctx, "gp-commit", "gp-nobody")
	if err != nil || dr["gp-commit"].Err != nil || !errorsIs(dr["gp-nobody"].Err, kerr.GroupIDNotFound) {
		t.Fatalf("DeleteGroups: %+v %v", dr, err)
	}

	// A group with a live member is not deleted.
	e := newETL(t)
	m := startMember(t, e, b.Addr(), "gp", "gp-live", "a")
	e.waitOwner(ctx, "a")
	if dr, err := adm.DeleteGroups(ctx, "gp-live"); err != nil || !errorsIs(dr["gp-live"].Err, kerr.NonEmptyGroup) {
		t.Fatalf("DeleteGroups on a live group: %+v %v", dr, err)
	}
	m.stop()
	if dr, err := adm.DeleteGroups(ctx, "gp-live"); err != nil || dr["gp-live"].Err != nil {
		t.Fatalf("DeleteGroups after the member left: %+v %v", dr, err)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
