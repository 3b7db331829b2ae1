package group

import (
	"cmp"
	"slices"
)

// assignSpec is one member as a server-side assignor sees it: the topics
// it subscribes to and its previous target (for stickiness).
type assignSpec struct {
	member   string
	topics   []TopicMeta
	previous Assignment
}

type topicPartition struct {
	name string
	id   TopicID
	p    int32
}

// assignRange is the "range" assignor: for each topic, its subscribers
// sorted by member id get consecutive ranges of partitions, the first
// ones one more when the count does not divide evenly. specs must be
// sorted by member id.
func assignRange(specs []assignSpec) map[string]Assignment {
	out := make(map[string]Assignment, len(specs))
	subs := map[TopicID][]string{}
	metas := map[TopicID]TopicMeta{}
	for _, s := range specs {
		out[s.member] = Assignment{}
		for _, t := range s.topics {
			subs[t.ID] = append(subs[t.ID], s.member)
			metas[t.ID] = t
		}
	}
	for id, members := range subs {
		n, k := metas[id].Partitions, int32(len(members))
		for i, m := range members {
			i := int32(i)
			start := i*(n/k) + min(i, n%k)
			size := n / k
			if i < n%k {
				size++
			}
			for p := start; p < start+size; p++ {
				out[m].add(id, p)
			}
		}
	}
	return out
}

// assignUniform is the "uniform" assignor: every member gets about the
// same number of partitions of the topics it subscribes to, and keeps
// what it had as far as balance allows. It keeps each member's previous
// partitions that are still valid, gives each remaining partition to its
// least loaded subscriber, then moves partitions from the most to the
// least loaded subscribers until no two subscribers of a topic differ by
// more than one. specs must be sorted by member id.
func assignUniform(specs []assignSpec) map[string]Assignment {
	out := make(map[string]Assignment, len(specs))
	load := make(map[string]int, len(specs))
	subs := map[TopicID][]string{}
	var all []topicPartition
	counts := map[TopicID]int32{}
	for _, s := range specs {
		out[s.member] = Assignment{}
		for _, t := range s.topics {
			if _, ok := counts[t.ID]; !ok {
				counts[t.ID] = t.Partitions
				for p := int32(0); p < t.Partitions; p++ {
					all = append(all, topicPartition{t.Name, t.ID, p})
				}
			}
			subs[t.ID] = append(subs[t.ID], s.member)
		}
	}
	slices.SortFunc(all, func(a, b topicPartition) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.p, b.p))
	})
	owner := map[topicPartition]string{}
	for _, s := range specs {
		for t, ps := range s.previous {
			for _, p := range ps {
				tp := topicPartition{id: t, p: p}
				if p < counts[t] && slices.Contains(subs[t], s.member) && owner[tp] == "" {
					owner[tp] = s.member
					out[s.member].add(t, p)
					load[s.member]++
				}
			}
		}
	}
	leastLoaded := func(members []string, except string) string {
		best := ""
		for _, m := range members {
			if m != except && (best == "" || load[m] < load[best]) {
				best = m
			}
		}
		return best
	}
	for _, tp := range all {
		key := topicPartition{id: tp.id, p: tp.p}
		if owner[key] != "" {
			continue
		}
		m := leastLoaded(subs[tp.id], "")
		owner[key] = m
		out[m].add(tp.id, tp.p)
		load[m]++
	}
	balanceUniform(all, subs, owner, load, out, leastLoaded)
	return out
}

// balanceUniform moves partitions from a member to a less loaded
// subscriber of the same topic while that narrows the gap by two or
// more. Each move lowers the sum of squared loads, so it ends.
func balanceUniform(all []topicPartition, subs map[TopicID][]string, owner map[topicPartition]string,
	load map[string]int, out map[string]Assignment, leastLoaded func([]string, string) string) {
	for moved := true; moved; {
		moved = false
		for i := len(all) - 1; i >= 0; i-- {
			key := topicPartition{id: all[i].id, p: all[i].p}
			from := owner[key]
			to := leastLoaded(subs[key.id], from)
			if to == "" || load[to]+1 >= load[from] {
				continue
			}
			owner[key] = to
			out[from][key.id] = slices.DeleteFunc(out[from][key.id], func(p int32) bool { return p == key.p })
			if len(out[from][key.id]) == 0 {
				delete(out[from], key.id)
			}
			out[to].add(key.id, key.p)
			load[from]--
			load[to]++
			moved = true
		}
	}
}
