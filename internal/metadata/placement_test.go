package metadata

import "testing"

func rackImage(racks map[int32]string) *Image {
	img := emptyImage()
	for id, r := range racks {
		img.Brokers[id] = &Broker{BrokerRegistration: BrokerRegistration{ID: id, Rack: r}}
	}
	return img
}

func TestPlaceRackAware(t *testing.T) {
	tests := []struct {
		name  string
		racks map[int32]string
		rf    int
		want  int // distinct racks per partition
	}{
		{"three racks rf 3", map[int32]string{1: "a", 2: "a", 3: "b", 4: "b", 5: "c", 6: "c"}, 3, 3},
		{"two racks rf 3", map[int32]string{1: "a", 2: "a", 3: "a", 4: "b"}, 3, 2},
		{"uneven racks rf 2", map[int32]string{1: "a", 2: "a", 3: "a", 4: "b", 5: "c"}, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := rackImage(tc.racks)
			for seed := uint32(0); seed < 50; seed++ {
				leaders := map[int32]int{}
				for p, replicas := range placeLive(img, 0, 60, tc.rf, seed, true) {
					seen, racks := map[int32]bool{}, map[string]bool{}
					for _, id := range replicas {
						if seen[id] {
							t.Fatalf("seed %d partition %d repeats broker %d: %v", seed, p, id, replicas)
						}
						seen[id], racks[tc.racks[id]] = true, true
					}
					if len(replicas) != tc.rf || len(racks) != tc.want {
						t.Fatalf("seed %d partition %d: %v over racks %v", seed, p, replicas, racks)
					}
					leaders[replicas[0]]++
				}
				for id := range tc.racks {
					if leaders[id] != 60/len(tc.racks) {
						t.Fatalf("seed %d: leaders %v not round robin", seed, leaders)
					}
				}
			}
		})
	}
	// Without racks on every broker, placement is the rack-unaware one.
	img := rackImage(map[int32]string{1: "a", 2: "", 3: "b"})
	got, want := placeLive(img, 0, 6, 2, 9, true), place([]int32{1, 2, 3}, 0, 6, 2, 9)
	for p := range want {
		if len(got[p]) != 2 || got[p][0] != want[p][0] || got[p][1] != want[p][1] {
			t.Fatalf("partition %d: %v, rack-unaware %v", p, got[p], want[p])
		}
	}
}
