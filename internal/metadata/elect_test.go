package metadata

import (
	"errors"
	"slices"
	"testing"
)

// stepper applies records one after another to an image, failing the test
// on a rejected record.
type stepper struct {
	t   *testing.T
	img *Image
}

func (s *stepper) apply(r *record) result {
	s.t.Helper()
	next, res, err := apply(s.img, r, s.img.Offset+1)
	if err != nil {
		s.t.Fatalf("%s: %v", r.Type, err)
	}
	s.img = next
	s.img.Offset++
	return res
}

func (s *stepper) part() Partition { return s.img.Topics["t"].Partitions[0] }

func electRec(typ ElectionType, parts ...ElectPartition) *record {
	return &record{Type: typeElectLeaders, ElectLeaders: &electLeadersRecord{Type: typ, Partitions: parts}}
}

func anyEpoch(topic string, p int32) ElectPartition {
	return ElectPartition{Topic: topic, Partition: p, PartitionEpoch: AnyPartitionEpoch}
}

func uncleanConfig(on string) *record {
	return &record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: TopicResource, Name: "t",
		Set: map[string]*string{"unclean.leader.election.enable": &on}}}
}

// TestElectPreferred: leadership moves off the preferred replica when it
// is fenced; a preferred election while it is fenced or out of the ISR
// is refused; once it is back in the ISR the election moves leadership
// back with new epochs; repeating it is not needed.
func TestElectPreferred(t *testing.T) {
	s := &stepper{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2, 3))}
	s.apply(fenceRec(s.img, 1, typeFenceBroker))
	if p := s.part(); p.Leader != 2 {
		t.Fatalf("after fencing 1: %+v", p)
	}
	res := s.apply(electRec(PreferredElection, anyEpoch("t", 0)))
	if !errors.Is(res.elections[0].Err, ErrPreferredLeaderNotAvailable) {
		t.Fatalf("preferred fenced: %+v", res.elections)
	}
	s.apply(fenceRec(s.img, 1, typeUnfenceBroker))
	res = s.apply(electRec(PreferredElection, anyEpoch("t", 0)))
	if !errors.Is(res.elections[0].Err, ErrPreferredLeaderNotAvailable) {
		t.Fatalf("preferred alive but out of the ISR: %+v", res.elections)
	}
	p := s.part()
	s.apply(alterRec(2, p.LeaderEpoch, p.PartitionEpoch, 1, 2, 3))
	before := s.part()
	res = s.apply(electRec(PreferredElection, anyEpoch("t", 0)))
	p = s.part()
	if res.elections[0].Err != nil || res.elections[0].Leader != 1 || p.Leader != 1 ||
		p.LeaderEpoch != before.LeaderEpoch+1 || p.PartitionEpoch != before.PartitionEpoch+1 || !slices.Equal(p.ISR, []int32{1, 2, 3}) {
		t.Fatalf("preferred election: %+v -> %+v (%+v)", before, p, res.elections)
	}
	res = s.apply(electRec(PreferredElection, anyEpoch("t", 0)))
	if !errors.Is(res.elections[0].Err, ErrElectionNotNeeded) || s.part().LeaderEpoch != p.LeaderEpoch {
		t.Fatalf("repeated: %+v", res.elections)
	}
}

// TestElectResults covers unknown partitions, partition epoch fencing,
// an unknown election type, and "all partitions" leaving out those that
// need nothing.
func TestElectResults(t *testing.T) {
	s := &stepper{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3), assignedTopic("t", 1, 2, 3))}
	res := s.apply(electRec(PreferredElection, anyEpoch("nope", 0), anyEpoch("t", 7), anyEpoch("t", -1),
		ElectPartition{Topic: "t", Partition: 0, PartitionEpoch: 5}))
	want := []error{ErrUnknownTopic, ErrUnknownTopic, ErrUnknownTopic, ErrStalePartitionEpoch}
	for i, w := range want {
		if !errors.Is(res.elections[i].Err, w) {
			t.Fatalf("result %d: %+v, want %v", i, res.elections[i], w)
		}
	}
	if _, _, err := apply(s.img, electRec(7, anyEpoch("t", 0)), 99); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("election type 7: %v", err)
	}
	all := &record{Type: typeElectLeaders, ElectLeaders: &electLeadersRecord{Type: PreferredElection, All: true}}
	if res := s.apply(all); len(res.elections) != 0 {
		t.Fatalf("all, nothing needed: %+v", res.elections)
	}
	s.apply(fenceRec(s.img, 1, typeFenceBroker))
	s.apply(fenceRec(s.img, 1, typeUnfenceBroker))
	p := s.part()
	s.apply(alterRec(2, p.LeaderEpoch, p.PartitionEpoch, 1, 2, 3))
	if res := s.apply(all); len(res.elections) != 1 || res.elections[0].Leader != 1 || res.elections[0].Err != nil {
		t.Fatalf("all, one needed: %+v", res.elections)
	}
}

// leaderless builds a partition of "t" on brokers 1 and 2 whose in-sync
// leader 1 is fenced after 2 left the ISR: no leader, ISR [1], 2 alive
// and out of sync.
func leaderless(t *testing.T, extra ...*record) *stepper {
	s := &stepper{t: t, img: applyAll(t, append([]*record{regRec(1), regRec(2), assignedTopic("t", 1, 2)}, extra...)...)}
	s.apply(alterRec(1, 0, 0, 1))
	s.apply(fenceRec(s.img, 1, typeFenceBroker))
	if p := s.part(); p.Leader != NoLeader || !slices.Equal(p.ISR, []int32{1}) {
		t.Fatalf("not leaderless: %+v", p)
	}
	return s
}

// TestElectUnclean: an unclean ElectLeaders elects the alive out-of-sync
// replica (ISR = [it]); with a leader, or with no alive replica, it does
// nothing.
func TestElectUnclean(t *testing.T) {
	s := leaderless(t)
	s.apply(fenceRec(s.img, 2, typeFenceBroker))
	res := s.apply(electRec(UncleanElection, anyEpoch("t", 0)))
	if !errors.Is(res.elections[0].Err, ErrEligibleLeadersNotAvailable) {
		t.Fatalf("nothing alive: %+v", res.elections)
	}
	s.apply(fenceRec(s.img, 2, typeUnfenceBroker))
	if p := s.part(); p.Leader != NoLeader {
		t.Fatalf("unclean off, yet elected: %+v", p)
	}
	before := s.part()
	res = s.apply(electRec(UncleanElection, anyEpoch("t", 0)))
	p := s.part()
	if res.elections[0].Err != nil || p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) ||
		p.LeaderEpoch != before.LeaderEpoch+1 || p.PartitionEpoch != before.PartitionEpoch+1 {
		t.Fatalf("unclean election: %+v -> %+v", before, p)
	}
	res = s.apply(electRec(UncleanElection, anyEpoch("t", 0)))
	if !errors.Is(res.elections[0].Err, ErrElectionNotNeeded) {
		t.Fatalf("with a leader: %+v", res.elections)
	}
}

// TestUncleanConfig: with unclean.leader.election.enable on, fencing the
// last in-sync replica elects the out-of-sync one at once; turning the
// config on for a leaderless partition elects; a replica returning to a
// leaderless partition with the config on is elected; the cluster-wide
// dynamic default counts, and a topic's "false" overrides it.
func TestUncleanConfig(t *testing.T) {
	t.Run("on when fenced", func(t *testing.T) {
		s := &stepper{t: t, img: applyAll(t, regRec(1), regRec(2), assignedTopic("t", 1, 2), uncleanConfig("true"))}
		s.apply(alterRec(1, 0, 0, 1))
		s.apply(fenceRec(s.img, 1, typeFenceBroker))
		if p := s.part(); p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("turned on", func(t *testing.T) {
		s := leaderless(t)
		s.apply(uncleanConfig("true"))
		if p := s.part(); p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("replica returns", func(t *testing.T) {
		s := leaderless(t)
		s.apply(fenceRec(s.img, 2, typeFenceBroker))
		s.apply(uncleanConfig("true"))
		if p := s.part(); p.Leader != NoLeader {
			t.Fatalf("nothing alive, yet: %+v", p)
		}
		s.apply(fenceRec(s.img, 2, typeUnfenceBroker))
		if p := s.part(); p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("cluster default", func(t *testing.T) {
		on := "true"
		def := &record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: BrokerResource,
			Set: map[string]*string{"unclean.leader.election.enable": &on}}}
		s := leaderless(t, uncleanConfig("false"))
		s.apply(def)
		if p := s.part(); p.Leader != NoLeader {
			t.Fatalf("the topic's false was overridden: %+v", p)
		}
		s.apply(&record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: TopicResource, Name: "t",
			Set: map[string]*string{"unclean.leader.election.enable": nil}}})
		if p := s.part(); p.Leader != 2 {
			t.Fatalf("cluster default on: %+v", p)
		}
	})
}

// TestUncleanStaticDefaultYieldsToConfig: the controller's own unclean
// election (static default) does not apply once the topic sets
// unclean.leader.election.enable=false after it was proposed.
func TestUncleanStaticDefaultYieldsToConfig(t *testing.T) {
	s := leaderless(t)
	static := electRec(UncleanElection, anyEpoch("t", 0))
	static.ElectLeaders.StaticDefault = true
	s.apply(uncleanConfig("false"))
	res := s.apply(static)
	if !errors.Is(res.elections[0].Err, ErrEligibleLeadersNotAvailable) || s.part().Leader != NoLeader {
		t.Fatalf("static unclean election over the topic's false: %+v, %+v", res.elections, s.part())
	}
	s.apply(&record{Type: typeAlterConfigs, AlterConfigs: &alterConfigsRecord{ResourceType: TopicResource, Name: "t",
		Set: map[string]*string{"unclean.leader.election.enable": nil}}})
	if res := s.apply(static); res.elections[0].Err != nil || s.part().Leader != 2 {
		t.Fatalf("static unclean election with nothing set: %+v, %+v", res.elections, s.part())
	}
}

// FuzzElectRecord applies arbitrary elect_leaders records (and any other
// record the bytes decode to) to an image with a leaderless partition:
// apply never panics, never changes the image it was given, and every
// partition's leader is NoLeader or an ISR member, its ISR replicas only.
func FuzzElectRecord(f *testing.F) {
	var err error
	for _, r := range []*record{
		electRec(PreferredElection, anyEpoch("t", 0)),
		electRec(UncleanElection, anyEpoch("t", 0), ElectPartition{Topic: "u", Partition: 1, PartitionEpoch: 2}),
		{Type: typeElectLeaders, ElectLeaders: &electLeadersRecord{Type: UncleanElection, All: true}},
		uncleanConfig("true"),
	} {
		b, err := encodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base := emptyImage()
	for i, r := range []*record{regRec(1), regRec(2), assignedTopic("t", 1, 2), alterRec(1, 0, 0, 1)} {
		if base, _, err = apply(base, r, uint64(i+1)); err != nil {
			f.Fatal(err)
		}
	}
	if base, _, err = apply(base, fenceRec(base, 1, typeFenceBroker), 10); err != nil {
		f.Fatal(err)
	}
	before, err := encodeImage(base)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		next, _, err := apply(base, r, 100)
		if after, _ := encodeImage(base); string(after) != string(before) {
			t.Fatal("apply changed the image it was given")
		}
		if err != nil {
			return
		}
		for _, tp := range next.Topics {
			for _, p := range tp.Partitions {
				for _, id := range p.ISR {
					if !slices.Contains(p.Replicas, id) {
						t.Fatalf("ISR member %d not a replica: %+v", id, p)
					}
				}
				if p.Leader != NoLeader && !slices.Contains(p.ISR, p.Leader) {
					t.Fatalf("leader out of the ISR: %+v", p)
				}
			}
		}
	})
}
