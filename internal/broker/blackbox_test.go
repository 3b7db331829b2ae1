package broker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// TestBlackBox runs the scripts in scripts/blackbox (kcat, librdkafka via
// python3-confluent-kafka, kafka-python) against a real broker. A missing
// tool skips its case, unless GREGOR_REQUIRE_BLACKBOX=1 (set by .ci/run,
// which installs them) makes it a failure.
func TestBlackBox(t *testing.T) {
	if testing.Short() {
		t.Skip("black-box client scripts are not run with -short")
	}
	b := brokertest.Start(t, brokertest.Options{Props: map[string]string{"num.partitions": "4"}})
	dir, _ := filepath.Abs("../../scripts/blackbox")
	cases := []struct {
		name   string
		script string
		needs  []string // a binary, or a python module prefixed with "py:"
	}{
		{"kcat", "kcat.sh", []string{"kcat"}},
		{"kcat-group", "kcat_group.sh", []string{"kcat"}},
		{"confluent-kafka", "confluent.py", []string{"py:confluent_kafka"}},
		{"confluent-kafka-group", "confluent_group.py", []string{"py:confluent_kafka"}},
		{"confluent-kafka-txn", "confluent_txn.py", []string{"py:confluent_kafka"}},
		{"kafka-python", "kafka_python.py", []string{"py:kafka"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, need := range tc.needs {
				if missing(need) {
					if os.Getenv("GREGOR_REQUIRE_BLACKBOX") == "1" {
						t.Fatalf("%s is not installed (GREGOR_REQUIRE_BLACKBOX=1)", need)
					}
					t.Skipf("%s is not installed", need)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(dir, tc.script), b.Addr())
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("%s: %v", tc.script, err)
			}
		})
	}
}

func missing(need string) bool {
	if mod, ok := strings.CutPrefix(need, "py:"); ok {
		return exec.Command("/usr/bin/python3", "-c", "import "+mod).Run() != nil
	}
	_, err := exec.LookPath(need)
	return err != nil
}
