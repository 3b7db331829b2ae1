package main

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/broker"
	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// cliCluster is three combined brokers in this process, one metadata
// quorum, which can be stopped and restarted on their data directories.
type cliCluster struct {
	t     *testing.T
	dirs  map[int32]string
	props map[int32]map[string]string
	nodes map[int32]*broker.Broker
}

func startCLICluster(t *testing.T) *cliCluster {
	t.Helper()
	c := &cliCluster{t: t, dirs: map[int32]string{}, props: map[int32]map[string]string{}, nodes: map[int32]*broker.Broker{}}
	var voters []string
	for i := range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		voters = append(voters, fmt.Sprintf("%d@%s", i+1, ln.Addr()))
		defer ln.Close()
	}
	for i := range 3 {
		id := int32(i + 1)
		c.dirs[id] = t.TempDir()
		c.props[id] = map[string]string{
			"node.id":                      fmt.Sprint(id),
			"controller.quorum.voters":     strings.Join(voters, ","),
			"broker.heartbeat.interval.ms": "100",
			"broker.session.timeout.ms":    "1500",
			"broker.rack":                  fmt.Sprintf("rack-%d", id),
		}
	}
	return c
}

func (c *cliCluster) start(id int32) {
	c.t.Helper()
	c.nodes[id] = brokertest.Start(c.t, brokertest.Options{Dir: c.dirs[id], Props: c.props[id]})
}

func (c *cliCluster) stop(id int32) {
	c.t.Helper()
	if err := c.nodes[id].Close(); err != nil {
		c.t.Fatalf("close broker %d: %v", id, err)
	}
	delete(c.nodes, id)
}

func (c *cliCluster) addrs() string {
	var out []string
	for _, b := range c.nodes {
		out = append(out, b.Addr())
	}
	return strings.Join(out, ",")
}

// partition is partition 0 of topic as every running node sees it (ok
// false while they disagree).
func (c *cliCluster) partition(topic string) (metadata.Partition, bool) {
	var first *metadata.Partition
	for _, b := range c.nodes {
		t := b.Meta().Image().Topic(topic)
		if t == nil || len(t.Partitions) == 0 {
			return metadata.Partition{}, false
		}
		p := t.Partitions[0]
		if first != nil && (first.LeaderEpoch != p.LeaderEpoch || first.PartitionEpoch != p.PartitionEpoch) {
			return metadata.Partition{}, false
		}
		first = &p
	}
	return *first, first != nil
}

func (c *cliCluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// TestE2ECluster: `cluster info` lists the three brokers with their racks
// and the controller, `cluster quorum` the three voters, and `cluster
// elect` moves leadership back to the preferred replica after it
// returned (then answers ELECTION_NOT_NEEDED, or nothing when asked for
// every partition).
func TestE2ECluster(t *testing.T) {
	c := startCLICluster(t)
	for id := range int32(3) {
		c.start(id + 1)
	}
	c.waitFor("three live brokers", func() bool {
		for _, b := range c.nodes {
			if len(b.Meta().Image().LiveBrokerIDs()) != 3 || b.Meta().Image().Controller < 0 {
				return false
			}
		}
		return true
	})
	cli := func(args ...string) cliResult {
		t.Helper()
		r := runCLI(t, t.Context(), "", append([]string{"-b", c.addrs()}, args...)...)
		if r.code != 0 {
			t.Fatalf("gregor %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r
	}

	info := cli("cluster", "info").stdout
	ctl := c.nodes[1].Meta().Image().Controller
	if !strings.Contains(info, "cluster id:  "+c.nodes[1].Meta().Image().ClusterID) || !strings.Contains(info, fmt.Sprintf("controller:  %d", ctl)) {
		t.Fatalf("cluster info:\n%s", info)
	}
	for id, b := range c.nodes {
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^%d\s+%s\s+rack-%d`, id, regexp.QuoteMeta(b.Addr()), id)).MatchString(info) {
			t.Fatalf("cluster info lacks broker %d (%s):\n%s", id, b.Addr(), info)
		}
	}
	quorum := cli("cluster", "quorum").stdout
	if !strings.Contains(quorum, fmt.Sprintf("leader:          %d", ctl)) || strings.Count(quorum, "voter") != 2 || strings.Count(quorum, "leader") != 2 {
		t.Fatalf("cluster quorum:\n%s", quorum)
	}

	const topic = "cli-elect"
	cli("topic", "create", topic, "-p", "1", "-r", "3")
	var before metadata.Partition
	c.waitFor("the topic on every node", func() bool {
		var ok bool
		before, ok = c.partition(topic)
		return ok
	})
	pref := before.Replicas[0]
	c.stop(pref)
	c.waitFor("leadership off the preferred replica", func() bool {
		p, ok := c.partition(topic)
		return ok && p.Leader != pref && p.Leader != metadata.NoLeader
	})
	c.start(pref)
	c.waitFor("the preferred replica back in the ISR", func() bool {
		p, ok := c.partition(topic)
		return ok && len(p.ISR) == 3
	})
	out := cli("cluster", "elect", "--topic", topic, "--partition", "0").stdout
	if !regexp.MustCompile(`(?m)^` + topic + `\s+0\s+elected$`).MatchString(out) {
		t.Fatalf("cluster elect:\n%s", out)
	}
	c.waitFor("the preferred replica leading", func() bool {
		p, ok := c.partition(topic)
		return ok && p.Leader == pref
	})
	if out := cli("cluster", "elect", "--topic", topic).stdout; !strings.Contains(out, "ELECTION_NOT_NEEDED") {
		t.Fatalf("repeated cluster elect:\n%s", out)
	}
	if out := cli("cluster", "elect").stdout; !strings.Contains(out, "no partition needed an election") {
		t.Fatalf("cluster elect, every partition:\n%s", out)
	}
	if r := runCLI(t, t.Context(), "", "-b", c.addrs(), "cluster", "elect", "--partition", "0"); r.code != 2 {
		t.Fatalf("--partition without --topic: exit %d, %s", r.code, r.stderr)
	}
	if r := runCLI(t, t.Context(), "", "-b", c.addrs(), "cluster", "elect", "--type", "unclean", "--topic", topic, "--partition", "3"); r.code != 1 || !strings.Contains(r.stderr, "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Fatalf("unknown partition: exit %d, %s", r.code, r.stderr)
	}
}
