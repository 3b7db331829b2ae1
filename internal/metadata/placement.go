package metadata

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
