package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Listener is one parsed entry of listeners or advertised.listeners,
// NAME://host:port. Host is "" for "all interfaces".
type Listener struct {
	Name string
	Host string
	Port int
}

// ParseListener parses one NAME://host:port entry (IPv6 hosts in
// brackets).
func ParseListener(s string) (Listener, error) {
	name, addr, ok := strings.Cut(s, "://")
	if !ok || name == "" {
		return Listener{}, fmt.Errorf("listener %q: want NAME://host:port, e.g. PLAINTEXT://localhost:9092", s)
	}
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return Listener{}, fmt.Errorf("listener %q: name %q may hold only letters, digits, '_' and '-'", s, name)
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Listener{}, fmt.Errorf("listener %q: want NAME://host:port: %v", s, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return Listener{}, fmt.Errorf("listener %q: port %q must be a number in [0,65535]", s, port)
	}
	return Listener{Name: strings.ToUpper(name), Host: host, Port: p}, nil
}

// String formats the listener back to NAME://host:port.
func (l Listener) String() string {
	return l.Name + "://" + net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// isWildcard reports whether host means "every interface".
func isWildcard(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

func listeners(advertised bool) *validator {
	desc := "a list of NAME://host:port with distinct names"
	if advertised {
		desc += ", no 0.0.0.0 host"
	}
	return &validator{desc: desc, check: func(v any) error {
		l, _ := v.([]string)
		seen := map[string]bool{}
		for _, s := range l {
			ls, err := ParseListener(s)
			if err != nil {
				return err
			}
			if seen[ls.Name] {
				return fmt.Errorf("listener name %s appears twice", ls.Name)
			}
			seen[ls.Name] = true
			if advertised && ls.Host != "" && isWildcard(ls.Host) {
				return fmt.Errorf("listener %q: cannot advertise the non-routable address %s; name a host clients can reach", s, ls.Host)
			}
		}
		return nil
	}}
}

// Voter is one entry of controller.quorum.voters, id@host:port.
type Voter struct {
	ID   int32
	Host string
	Port int
}

// ParseVoter parses one id@host:port entry.
func ParseVoter(s string) (Voter, error) {
	id, addr, ok := strings.Cut(s, "@")
	if !ok {
		return Voter{}, fmt.Errorf("voter %q: want id@host:port", s)
	}
	n, err := strconv.ParseInt(id, 10, 32)
	if err != nil || n < 0 {
		return Voter{}, fmt.Errorf("voter %q: id %q must be a non-negative INT", s, id)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return Voter{}, fmt.Errorf("voter %q: want id@host:port", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return Voter{}, fmt.Errorf("voter %q: port %q must be a number in [1,65535]", s, port)
	}
	return Voter{ID: int32(n), Host: host, Port: p}, nil
}

func voters() *validator {
	return &validator{desc: "a list of id@host:port", check: func(v any) error {
		l, _ := v.([]string)
		for _, s := range l {
			if _, err := ParseVoter(s); err != nil {
				return err
			}
		}
		return nil
	}}
}

func gzipLevel() *validator {
	return &validator{desc: "-1 or [1,...,9]", check: func(v any) error {
		if n, _ := toInt64(v); n != -1 && (n < 1 || n > 9) {
			return errors.New("must be -1 (the codec's default) or between 1 and 9")
		}
		return nil
	}}
}

// cleanupPolicy accepts Kafka's values but reports compact as not
// supported: Gregor has no log cleaner yet.
func cleanupPolicy() *validator {
	inner := listOf("delete", "compact")
	return &validator{desc: "delete (compact is not implemented yet)", check: func(v any) error {
		if err := inner.check(v); err != nil {
			return err
		}
		for _, p := range v.([]string) {
			if p == "compact" {
				return fmt.Errorf("%w: log compaction is not implemented yet; use cleanup.policy=delete", ErrNotSupported)
			}
		}
		return nil
	}}
}

// compressionType accepts Kafka's values but reports every codec other
// than producer as not supported: the broker stores batches as the
// producer compressed them and does not recompress yet.
func compressionType() *validator {
	return &validator{desc: "producer (recompression to uncompressed, zstd, lz4, snappy or gzip is not implemented yet)", check: func(v any) error {
		if err := compressionTypes.check(v); err != nil {
			return err
		}
		if s, _ := v.(string); s != "producer" {
			return fmt.Errorf("%w: the broker does not recompress batches yet; use compression.type=producer and set the codec in the producer", ErrNotSupported)
		}
		return nil
	}}
}

func clusterID() *validator {
	return &validator{desc: "1-64 characters of [A-Za-z0-9_-]", check: func(v any) error {
		s, _ := v.(string)
		if len(s) > 64 {
			return errors.New("must be at most 64 characters")
		}
		for _, r := range s {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return fmt.Errorf("character %q not allowed: use [A-Za-z0-9_-] (a base64url UUID as kafka-storage random-uuid prints)", r)
			}
		}
		return nil
	}}
}

// notSupportedTrue rejects true for a feature Gregor does not have.
func notSupportedTrue(what string) *validator {
	return &validator{desc: "false (" + what + " is not implemented)", check: func(v any) error {
		if b, _ := v.(bool); b {
			return fmt.Errorf("%w: %s is not implemented", ErrNotSupported, what)
		}
		return nil
	}}
}

// The replica selectors replica.selector.class accepts (KIP-392).
const (
	// RackAwareReplicaSelector is Kafka's class name of the rack-aware
	// selector.
	RackAwareReplicaSelector = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
	// RackAwareAlias is Gregor's short name for it.
	RackAwareAlias = "rack-aware"
)

// replicaSelector accepts the rack-aware selector under Kafka's class name
// or the short alias; Gregor cannot load other (Java) classes.
func replicaSelector() *validator {
	return &validator{desc: RackAwareReplicaSelector + " or " + RackAwareAlias, check: func(v any) error {
		switch s, _ := v.(string); s {
		case RackAwareReplicaSelector, RackAwareAlias:
			return nil
		default:
			return fmt.Errorf("%w: only the rack-aware selector is built in (%s, or %s); leave it unset to serve consumers from the leader only", ErrNotSupported, RackAwareReplicaSelector, RackAwareAlias)
		}
	}}
}

// RackAwareFetch reports whether replica.selector.class selects the
// rack-aware replica selector (consumers fetch from a replica in their
// rack, KIP-392).
func (b *Broker) RackAwareFetch() bool {
	return b.ReplicaSelectorClass == RackAwareReplicaSelector || b.ReplicaSelectorClass == RackAwareAlias
}
