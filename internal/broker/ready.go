package broker

import "github.com/gregor-streaming/gregor/internal/metadata"

// registeredIn reports whether img holds this broker's registration for
// the incarnation it runs now. In a multi-voter cluster a restarted
// broker's metadata starts as what it had on disk, which may still name
// it the leader of partitions another broker took over since; until its
// new registration is applied (which itself moves leadership away from
// the old incarnation, metadata.electAway), it hosts no partitions, so
// it can never serve or accept records as a stale leader. A quorum of
// one registers before it serves (Start) and needs no wait.
func (b *Broker) registeredIn(img *metadata.Image) bool {
	if b.session == nil {
		return true
	}
	br := img.Brokers[b.static.NodeID]
	return br != nil && br.IncarnationID == b.session.Incarnation()
}
