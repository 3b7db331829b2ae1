package group

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TypeClassic is the group type of classic-protocol groups in ListGroups
// (v5+) and DescribeGroups.
const TypeClassic = "classic"

// Listing is one group in ListGroups.
type Listing struct {
	ID           string
	ProtocolType string
	State        State
	Type         string
}

// List returns the groups this broker coordinates, filtered by state and
// type names (case-insensitive; empty filters match all).
func (c *Coordinator) List(states, types []string) []Listing {
	c.owner.LoadLed()
	var out []Listing
	for _, e := range c.entries() {
		e.mu.Lock()
		l := Listing{ID: e.id, ProtocolType: e.g.ProtocolType(), State: e.g.State(), Type: TypeClassic}
		if e.c != nil {
			l.ProtocolType, l.State, l.Type = "consumer", e.c.State(), TypeConsumer
		}
		e.mu.Unlock()
		if l.State == Dead || !matches(states, l.State.String()) || !matches(types, l.Type) {
			continue
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Listing) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func matches(filter []string, v string) bool {
	return len(filter) == 0 || slices.ContainsFunc(filter, func(f string) bool { return strings.EqualFold(f, v) })
}

// Description is a group as DescribeGroups shows it.
type Description struct {
	Err          int16
	ID           string
	State        State
	ProtocolType string
	Protocol     string
	Members      []DescribedMember
}

// DescribedMember is one member in a Description.
type DescribedMember struct {
	MemberID   string
	InstanceID string
	ClientID   string
	ClientHost string
	Metadata   []byte // of the selected protocol; only when Stable
	Assignment []byte // only when Stable
}

// Describe describes group. An unknown group is described as Dead with no
// error, as Kafka does.
func (c *Coordinator) Describe(ctx context.Context, group string) Description {
	d := Description{ID: group, State: Dead}
	e, err := c.lookup(ctx, group, false)
	if err != nil {
		d.Err = c.ErrCode("DescribeGroups", err)
		return d
	}
	if e == nil {
		return d
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil {
		// Kafka answers DescribeGroups for a consumer-protocol group
		// with GROUP_ID_NOT_FOUND ("not a classic group", KIP-1043);
		// ConsumerGroupDescribe describes it.
		d.Err = kerr.GroupIDNotFound.Code
		return d
	}
	g := e.g
	d.State, d.ProtocolType = g.State(), g.ProtocolType()
	if g.State() == Stable {
		d.Protocol = g.Protocol()
	}
	for _, m := range g.Members() {
		dm := DescribedMember{MemberID: m.ID, InstanceID: m.InstanceID, ClientID: m.ClientID, ClientHost: m.ClientHost}
		if g.State() == Stable {
			dm.Metadata, dm.Assignment = m.metadataFor(g.Protocol()), m.Assignment
		}
		d.Members = append(d.Members, dm)
	}
	return d
}

// Delete deletes an empty group and its offsets (DeleteGroups):
// GROUP_ID_NOT_FOUND if there is none, NON_EMPTY_GROUP if it has members.
func (c *Coordinator) Delete(ctx context.Context, group string) int16 {
	if group == "" {
		return kerr.InvalidGroupID.Code
	}
	e, err := c.lookup(ctx, group, false)
	if err != nil {
		return c.ErrCode("DeleteGroups", err)
	}
	if e == nil {
		return kerr.GroupIDNotFound.Code
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.g.State() == Dead:
		return kerr.GroupIDNotFound.Code
	case e.g.State() != Empty || len(e.g.pending) > 0 || (e.c != nil && !e.c.IsEmpty()):
		return kerr.NonEmptyGroup.Code
	}
	var recs []kv
	for _, t := range sortedKeys(e.offsets) {
		for _, p := range sortedKeys(e.offsets[t]) {
			recs = append(recs, kv{offsetKey(group, t, p), nil})
		}
	}
	recs = append(recs, consumerTombstones(e)...)
	recs = append(recs, kv{groupKey(group), nil})
	if err := c.write(e, recs); err != nil {
		return c.ErrCode("DeleteGroups", err)
	}
	e.cgStored = nil
	e.offsets = map[string]map[int32]Offset{}
	c.removeEntry(e)
	return 0
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
