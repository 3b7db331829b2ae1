package broker

import (
	"strings"
	"testing"

	"github.com/gregor-streaming/gregor/internal/config"
)

// TestPlanQuorumRoles: which process.roles / controller.quorum.voters /
// listener combinations start, and in which role.
func TestPlanQuorumRoles(t *testing.T) {
	const voters = "1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293"
	for _, tc := range []struct {
		name                       string
		props                      map[string]string
		err                        string
		networked, learner, broker bool
		listen                     string
	}{
		{name: "default: a quorum of one", props: nil, broker: true},
		{name: "combined voter", props: map[string]string{"node.id": "2", "controller.quorum.voters": voters},
			networked: true, broker: true, listen: "127.0.0.1:9193"},
		{name: "broker-only learner, ephemeral raft port", props: map[string]string{"node.id": "4", "process.roles": "broker", "controller.quorum.voters": voters},
			networked: true, learner: true, broker: true, listen: "127.0.0.1:0"},
		{name: "broker-only with a controller listener", props: map[string]string{"node.id": "4", "process.roles": "broker", "controller.quorum.voters": voters,
			"listeners": "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9393", "controller.listener.names": "CONTROLLER"},
			networked: true, learner: true, broker: true, listen: "127.0.0.1:9393"},
		{name: "controller-only voter", props: map[string]string{"node.id": "1", "process.roles": "controller", "controller.quorum.voters": voters},
			networked: true, listen: "127.0.0.1:9093"},
		{name: "lone controller-only voter serves learners", props: map[string]string{"node.id": "1", "process.roles": "controller", "controller.quorum.voters": "1@127.0.0.1:9093"},
			networked: true, listen: "127.0.0.1:9093"},
		{name: "controller not yet a voter", props: map[string]string{"node.id": "5", "process.roles": "controller", "controller.quorum.voters": voters},
			networked: true, learner: true, listen: "127.0.0.1:0"},
		{name: "broker-only voter", props: map[string]string{"node.id": "1", "process.roles": "broker", "controller.quorum.voters": voters},
			err: "does not vote"},
		{name: "broker-only without voters", props: map[string]string{"process.roles": "broker"}, err: "needs controller.quorum.voters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := map[string]string{"listeners": "PLAINTEXT://127.0.0.1:9092", "log.dirs": t.TempDir()}
			for k, v := range tc.props {
				props[k] = v
			}
			cfg, _, err := config.Load("", nil, props)
			if err != nil {
				if tc.err != "" && strings.Contains(err.Error(), tc.err) {
					return
				}
				t.Fatal(err)
			}
			p, err := planQuorum(cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("planQuorum = %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.networked != tc.networked || p.learner != tc.learner || p.broker != tc.broker || p.listen != tc.listen {
				t.Fatalf("plan networked=%v learner=%v broker=%v listen=%q, want %v %v %v %q",
					p.networked, p.learner, p.broker, p.listen, tc.networked, tc.learner, tc.broker, tc.listen)
			}
		})
	}
}
