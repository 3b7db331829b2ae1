package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// TestE2EClusterVoters: a controller whose id is not in
// controller.quorum.voters follows the quorum as an observer; `cluster
// add-voter` makes it a voter, `cluster remove-voter` removes it, and the
// errors come back as Kafka's (VOTER_NOT_FOUND) or as usage errors.
func TestE2EClusterVoters(t *testing.T) {
	c := startCLICluster(t)
	for id := range int32(3) {
		c.start(id + 1)
	}
	props := map[string]string{"node.id": "4", "process.roles": "controller"}
	for k, v := range c.props[1] {
		if k == "controller.quorum.voters" {
			props[k] = v
		}
	}
	ctl := brokertest.Start(t, brokertest.Options{Props: props})
	status := func() ([]int32, []int32) {
		st, err := ctl.Meta().QuorumStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var v, o []int32
		for _, s := range st.Voters {
			v = append(v, s.ID)
		}
		for _, s := range st.Observers {
			o = append(o, s.ID)
		}
		return v, o
	}
	c.waitFor("node 4 to follow as an observer", func() bool {
		_, o := status()
		return slices.Equal(o, []int32{4}) && ctl.Meta().Image().Controller >= 0
	})
	cli := func(args ...string) cliResult {
		t.Helper()
		return runCLI(t, t.Context(), "", append([]string{"-b", c.addrs()}, args...)...)
	}
	if r := cli("cluster", "add-voter", "4"); r.code != 0 || !strings.Contains(r.stdout, "node 4 is a voter") {
		t.Fatalf("add-voter: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c.waitFor("node 4 to see itself a voter", func() bool {
		v, _ := status()
		return slices.Equal(v, []int32{1, 2, 3, 4})
	})
	if r := cli("cluster", "quorum"); r.code != 0 || !regexp.MustCompile(`(?m)^4\s+voter\s`).MatchString(r.stdout) {
		t.Fatalf("cluster quorum after add-voter: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := cli("cluster", "remove-voter", "4"); r.code != 0 || !strings.Contains(r.stdout, "no longer in the quorum") {
		t.Fatalf("remove-voter: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := cli("cluster", "remove-voter", "4"); r.code != 1 || !strings.Contains(r.stderr, "VOTER_NOT_FOUND") {
		t.Fatalf("remove-voter of a non-member: exit %d\n%s", r.code, r.stderr)
	}
	if r := cli("cluster", "add-voter", "four"); r.code != 2 {
		t.Fatalf("add-voter four: exit %d\n%s", r.code, r.stderr)
	}
	if r := cli("cluster", "add-voter", "4", "nohostport"); r.code != 2 {
		t.Fatalf("add-voter with a bad address: exit %d\n%s", r.code, r.stderr)
	}
}
