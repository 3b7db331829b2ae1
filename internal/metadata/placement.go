package metadata

import "slices"

// place assigns rf replicas to each of the partitions first ..
// first+count-1 over brokers (ascending ids, rf <= len(brokers)), the way
// Kafka's rack-unaware placement spreads them: partition p's first replica
// (its leader) is broker (start+p) mod n, so leaders go round robin; the
// other replicas follow the leader at a distance that shifts by one every
// n partitions, so followers of one broker spread over the others. start
// and the initial shift come from seed, which the proposer picks at
// random; the same seed gives the same placement on every node.
func place(brokers []int32, first, count int32, rf int, seed uint32) [][]int32 {
	n := len(brokers)
	start := int(seed % uint32(n))
	shift0 := 0
	if n > 1 {
		shift0 = int(seed/uint32(n)) % (n - 1)
	}
	out := make([][]int32, count)
	for i := range out {
		p := int(first) + i
		lead := (start + p) % n
		replicas := make([]int32, 0, rf)
		replicas = append(replicas, brokers[lead])
		shift := shift0 + p/n
		for j := 0; j < rf-1; j++ {
			replicas = append(replicas, brokers[(lead+1+(shift+j)%(n-1))%n])
		}
		out[i] = replicas
	}
	return out
}

// placeLive places replicas on the live brokers of img. With rackAware,
// and when every live broker names a rack and there are at least two,
// it is Kafka's rack-aware placement idea: the brokers are ordered
// alternating between racks (first of each rack, then second of each
// rack, ...), leaders go round robin over that order, and a follower
// whose rack already holds a replica of the partition is skipped while
// some rack holds none.
func placeLive(img *Image, first, count int32, rf int, seed uint32, rackAware bool) [][]int32 {
	live := img.LiveBrokerIDs()
	if !rackAware {
		return place(live, first, count, rf, seed)
	}
	rackOf := map[int32]string{}
	var racks []string
	byRack := map[string][]int32{}
	for _, id := range live {
		r := img.Brokers[id].Rack
		if r == "" {
			return place(live, first, count, rf, seed)
		}
		if byRack[r] == nil {
			racks = append(racks, r)
		}
		rackOf[id] = r
		byRack[r] = append(byRack[r], id)
	}
	if len(racks) < 2 {
		return place(live, first, count, rf, seed)
	}
	slices.Sort(racks)
	alt := make([]int32, 0, len(live))
	for i := 0; len(alt) < len(live); i++ {
		for _, r := range racks {
			if i < len(byRack[r]) {
				alt = append(alt, byRack[r][i])
			}
		}
	}
	return placeRacks(alt, rackOf, len(racks), first, count, rf, seed)
}

// placeRacks is place over the rack-alternating order alt, skipping on a
// first pass the followers whose rack is already used.
func placeRacks(alt []int32, rackOf map[int32]string, numRacks int, first, count int32, rf int, seed uint32) [][]int32 {
	n := len(alt)
	start := int(seed % uint32(n))
	shift0 := int(seed/uint32(n)) % (n - 1)
	out := make([][]int32, count)
	for i := range out {
		p := int(first) + i
		lead := (start + p) % n
		replicas := append(make([]int32, 0, rf), alt[lead])
		used := map[string]bool{rackOf[alt[lead]]: true}
		shift := shift0 + p/n
		for k := 0; len(replicas) < rf; k++ {
			cand := alt[(lead+1+(shift+k)%(n-1))%n]
			firstPass := k < n-1
			if slices.Contains(replicas, cand) || firstPass && used[rackOf[cand]] && len(used) < numRacks {
				continue
			}
			replicas = append(replicas, cand)
			used[rackOf[cand]] = true
		}
		out[i] = replicas
	}
	return out
}
