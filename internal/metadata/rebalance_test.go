package metadata

import (
	"fmt"
	"slices"
	"testing"
)

func multiTopic(name string, id byte, asg ...[]int32) *record {
	return &record{Type: typeCreateTopic, CreateTopic: &createTopicRecord{Name: name, ID: tid(id), Assignments: asg}}
}

// TestImbalanced: broker 1 is the preferred replica of four partitions;
// fencing and unfencing it moves their leadership away. Above the
// percentage its partitions whose ISR holds it again are listed (one
// that is still out of the ISR is not); at or below it, none.
func TestImbalanced(t *testing.T) {
	s := &stepper{t: t, img: applyAll(t, regRec(1), regRec(2), regRec(3),
		multiTopic("a", 1, []int32{1, 2, 3}, []int32{1, 3, 2}, []int32{2, 3, 1}),
		multiTopic("b", 2, []int32{1, 2}, []int32{1, 3}))}
	if got := imbalanced(s.img, 10); len(got) != 0 {
		t.Fatalf("balanced cluster: %+v", got)
	}
	s.apply(fenceRec(s.img, 1, typeFenceBroker))
	s.apply(fenceRec(s.img, 1, typeUnfenceBroker))
	// Back in the ISR of a-0, a-1 and b-0; b-1 still without it.
	readd := func(topic string, part int32, isr ...int32) {
		p := s.img.Topics[topic].Partitions[part]
		s.apply(&record{Type: typeAlterPartition, AlterPartition: &alterPartitionRecord{Topic: topic, Partition: part,
			Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: isr}})
	}
	readd("a", 0, 1, 2, 3)
	readd("a", 1, 1, 2, 3)
	readd("b", 0, 1, 2)
	got := imbalanced(s.img, 10)
	var names []string
	for _, ep := range got {
		p := s.img.Topics[ep.Topic].Partitions[ep.Partition]
		if ep.PartitionEpoch != p.PartitionEpoch {
			t.Fatalf("%+v not fenced by the current epoch %d", ep, p.PartitionEpoch)
		}
		names = append(names, fmt.Sprintf("%s-%d", ep.Topic, ep.Partition))
	}
	if !slices.Equal(names, []string{"a-0", "a-1", "b-0"}) {
		t.Fatalf("imbalanced: %v", names)
	}
	if got := imbalanced(s.img, 100); len(got) != 0 {
		t.Fatalf("100%% allowed: %+v", got)
	}
	res := s.apply(electRec(PreferredElection, got...))
	for _, r := range res.elections {
		if r.Err != nil || r.Leader != 1 {
			t.Fatalf("election: %+v", r)
		}
	}
	// b-1 (1 of 4 = 25%) is left: above 10%, but 1 is not in its ISR.
	if got := imbalanced(s.img, 10); len(got) != 0 {
		t.Fatalf("after the elections: %+v", got)
	}
}

// TestStaticUnclean: a leaderless partition with an alive out-of-sync
// replica is listed for the controller's static default only when the
// image does not decide (no topic override, no cluster default).
func TestStaticUnclean(t *testing.T) {
	s := leaderless(t)
	if got := staticUnclean(s.img); len(got) != 1 || got[0].Topic != "t" || got[0].PartitionEpoch != s.part().PartitionEpoch {
		t.Fatalf("undecided: %+v", got)
	}
	s.apply(uncleanConfig("false"))
	if got := staticUnclean(s.img); len(got) != 0 {
		t.Fatalf("the topic says false: %+v", got)
	}
	s = leaderless(t)
	s.apply(fenceRec(s.img, 2, typeFenceBroker))
	if got := staticUnclean(s.img); len(got) != 0 {
		t.Fatalf("nothing alive: %+v", got)
	}
}
