package handler

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestPartedFetchMatchesAppendTo checks that the parts of a partedFetch
// concatenate to exactly kmsg's encoding, for every served version, and
// leave the response as it was.
func TestPartedFetchMatchesAppendTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for v := int16(4); v <= 16; v++ {
		for round := range 20 {
			resp := kmsg.NewPtrFetchResponse()
			resp.SetVersion(v)
			for ti := range rng.IntN(4) + 1 {
				st := kmsg.NewFetchResponseTopic()
				st.Topic = string(rune('a' + ti))
				st.TopicID[0] = byte(ti)
				for pi := range rng.IntN(5) + 1 {
					sp := kmsg.NewFetchResponseTopicPartition()
					sp.Partition = int32(pi)
					sp.HighWatermark = rng.Int64N(1 << 40)
					size := []int{0, 100, partedMin - 1, partedMin, 200 << 10}[rng.IntN(5)]
					sp.RecordBatches = make([]byte, size)
					for i := range sp.RecordBatches {
						sp.RecordBatches[i] = byte(rng.IntN(256))
					}
					st.Partitions = append(st.Partitions, sp)
				}
				resp.Topics = append(resp.Topics, st)
			}
			want := resp.AppendTo(nil)
			parts := partedFetch{resp}.AppendParts(make([]byte, 0, 64))
			var got []byte
			for _, p := range parts {
				got = append(got, p...)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("v%d round %d: parts differ from AppendTo (%d vs %d bytes)", v, round, len(got), len(want))
			}
			if again := resp.AppendTo(nil); !bytes.Equal(again, want) {
				t.Fatalf("v%d round %d: AppendParts changed the response", v, round)
			}
		}
	}
}

func TestSplitAtMarkersRejectsAmbiguity(t *testing.T) {
	set := make([]byte, partedMin)
	// A marker with no length prefix before it, and a stray extra marker.
	if _, ok := splitAtMarkers(fetchMarker[:], [][]byte{set}, true); ok {
		t.Fatal("split a marker without its prefix")
	}
	enc := append([]byte{17}, fetchMarker[:]...)
	enc = append(enc, fetchMarker[:]...)
	if _, ok := splitAtMarkers(enc, [][]byte{set}, true); ok {
		t.Fatal("split despite a second marker")
	}
}
