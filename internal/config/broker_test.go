package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func fixedHost() (string, error) { return "gregor-host", nil }

func mustLoad(t *testing.T, file string, env []string, flags map[string]string) (*Broker, []string) {
	t.Helper()
	b, w, err := load(file, env, flags, fixedHost)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return b, w
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.properties")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDefaults(t *testing.T) {
	b, w := mustLoad(t, "", []string{"HOME=/home/u"}, nil)
	if len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"NodeID", b.NodeID, int32(1)},
		{"Listeners", b.Listeners, []string{"PLAINTEXT://localhost:9092"}},
		{"AdvertisedListeners", b.AdvertisedListeners, []string{"PLAINTEXT://localhost:9092"}},
		{"LogDirs", b.LogDirs, []string{"/home/u/.local/share/gregor"}},
		{"NumPartitions", b.NumPartitions, int32(1)},
		{"DefaultReplicationFactor", b.DefaultReplicationFactor, int32(1)},
		{"AutoCreateTopicsEnable", b.AutoCreateTopicsEnable, true},
		{"LogRetentionMs", b.LogRetentionMs, int64(168 * 3600000)},
		{"LogRetentionBytes", b.LogRetentionBytes, int64(-1)},
		{"LogSegmentBytes", b.LogSegmentBytes, int32(1073741824)},
		{"LogRollMs", b.LogRollMs, int64(168 * 3600000)},
		{"LogRetentionCheckIntervalMs", b.LogRetentionCheckIntervalMs, int64(300000)},
		{"LogIndexIntervalBytes", b.LogIndexIntervalBytes, int32(4096)},
		{"LogFlushIntervalMessages", b.LogFlushIntervalMessages, int64(1)},
		{"LogFlushIntervalMs", b.LogFlushIntervalMs, int64(math.MaxInt64)},
		{"MessageMaxBytes", b.MessageMaxBytes, int32(1048588)},
		{"SocketRequestMaxBytes", b.SocketRequestMaxBytes, int32(104857600)},
		{"ProducerIDExpirationMs", b.ProducerIDExpirationMs, int32(86400000)},
		{"LogMessageTimestampType", b.LogMessageTimestampType, CreateTime},
		{"BeforeMax", b.LogMessageTimestampBeforeMaxMs, int64(math.MaxInt64)},
		{"AfterMax", b.LogMessageTimestampAfterMaxMs, int64(3600000)},
		{"MinInsyncReplicas", b.MinInsyncReplicas, int32(1)},
		{"Unclean", b.UncleanLeaderElectionEnable, false},
		{"OffsetsTopicNumPartitions", b.OffsetsTopicNumPartitions, int32(50)},
		{"OffsetsTopicReplicationFactor", b.OffsetsTopicReplicationFactor, int16(3)},
		{"TransactionMaxTimeoutMs", b.TransactionMaxTimeoutMs, int32(900000)},
		{"GroupInitialRebalanceDelayMs", b.GroupInitialRebalanceDelayMs, int32(3000)},
		{"DeleteTopicEnable", b.DeleteTopicEnable, true},
		{"CompressionType", b.CompressionType, "producer"},
		{"BrokerRack", b.BrokerRack, ""},
		{"ClusterID", b.ClusterID, ""},
		{"ProcessRoles", b.ProcessRoles, []string{"broker", "controller"}},
		{"ControllerQuorumVoters", b.ControllerQuorumVoters, []string{}},
		{"LogCleanupPolicy", b.LogCleanupPolicy, []string{"delete"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestDefaultDataDir(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"XDG_DATA_HOME=/xdg", "HOME=/home/u"}, "/xdg/gregor"},
		{[]string{"XDG_DATA_HOME=relative", "HOME=/home/u"}, "/home/u/.local/share/gregor"},
		{[]string{"HOME=/home/u"}, "/home/u/.local/share/gregor"},
		{nil, "data"},
	}
	for _, tt := range tests {
		if got := defaultDataDir(tt.env); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, "num.partitions=2\nlog.segment.bytes=1000\nmessage.max.bytes=10\nbroker.rack=file\n")
	env := []string{
		"KAFKA_LOG_SEGMENT_BYTES=2000", "GREGOR_LOG_SEGMENT_BYTES=3000",
		"KAFKA_MESSAGE_MAX_BYTES=20", "GREGOR_BROKER_RACK=env",
	}
	b, w := mustLoad(t, file, env, map[string]string{"broker.rack": "flag"})
	if len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
	if b.NumPartitions != 2 || b.LogSegmentBytes != 3000 || b.MessageMaxBytes != 20 || b.BrokerRack != "flag" {
		t.Errorf("partitions %d segment %d max %d rack %q", b.NumPartitions, b.LogSegmentBytes, b.MessageMaxBytes, b.BrokerRack)
	}
}

func TestLoadUnitPrecedence(t *testing.T) {
	tests := []struct {
		props map[string]string
		ms    int64
	}{
		{map[string]string{}, 168 * 3600000},
		{map[string]string{"log.retention.hours": "2"}, 2 * 3600000},
		{map[string]string{"log.retention.hours": "2", "log.retention.minutes": "3"}, 3 * 60000},
		{map[string]string{"log.retention.hours": "2", "log.retention.minutes": "3", "log.retention.ms": "7"}, 7},
		{map[string]string{"log.retention.ms": "-1"}, -1},
		{map[string]string{"log.retention.hours": "-1"}, -1},
	}
	for _, tt := range tests {
		b, _ := mustLoad(t, "", nil, tt.props)
		if b.LogRetentionMs != tt.ms {
			t.Errorf("%v: LogRetentionMs %d, want %d", tt.props, b.LogRetentionMs, tt.ms)
		}
	}
	b, _ := mustLoad(t, "", nil, map[string]string{"log.roll.hours": "1", "log.dir": "/d", "broker.id": "7"})
	if b.LogRollMs != 3600000 || !reflect.DeepEqual(b.LogDirs, []string{"/d"}) || b.NodeID != 7 {
		t.Errorf("roll %d dirs %v node %d", b.LogRollMs, b.LogDirs, b.NodeID)
	}
	b, _ = mustLoad(t, "", nil, map[string]string{"log.dirs": "/a, /b", "log.dir": "/d", "broker.id": "7", "node.id": "3"})
	if !reflect.DeepEqual(b.LogDirs, []string{"/a", "/b"}) || b.NodeID != 3 {
		t.Errorf("dirs %v node %d", b.LogDirs, b.NodeID)
	}
}

func TestAdvertisedDefault(t *testing.T) {
	tests := []struct{ listeners, want string }{
		{"PLAINTEXT://:9092", "PLAINTEXT://gregor-host:9092"},
		{"PLAINTEXT://0.0.0.0:9092,SSL://[::]:9093", "PLAINTEXT://gregor-host:9092,SSL://gregor-host:9093"},
		{"PLAINTEXT://127.0.0.1:0", "PLAINTEXT://127.0.0.1:0"},
	}
	for _, tt := range tests {
		b, _ := mustLoad(t, "", nil, map[string]string{"listeners": tt.listeners})
		if got := strings.Join(b.AdvertisedListeners, ","); got != tt.want {
			t.Errorf("%s: advertised %s, want %s", tt.listeners, got, tt.want)
		}
	}
	b, _ := mustLoad(t, "", nil, map[string]string{"listeners": "PLAINTEXT://:9092", "advertised.listeners": "PLAINTEXT://broker1:19092"})
	if got := strings.Join(b.AdvertisedListeners, ","); got != "PLAINTEXT://broker1:19092" {
		t.Errorf("explicit advertised: %s", got)
	}
}

func TestLoadEnvNames(t *testing.T) {
	if got := EnvName("log.retention.ms"); got != "GREGOR_LOG_RETENTION_MS" {
		t.Errorf("EnvName = %s", got)
	}
	for _, name := range []string{"log.retention.ms", "a_b.c", "x-y.z"} {
		if got := propertyFromEnv(strings.TrimPrefix(EnvName(name), "GREGOR_")); got != name {
			t.Errorf("round trip %s: %s", name, got)
		}
	}
	env := []string{"GREGOR_LOG_RETENTION_MS=5", "KAFKA_HEAP_OPTS=-Xmx1G", "GREGOR_TEST_LOG=1", "PATH=/bin", "GREGOR_=x", "KAFKA_NUM_PARTITIONS=4"}
	b, w := mustLoad(t, "", env, nil)
	if b.LogRetentionMs != 5 || b.NumPartitions != 4 || len(w) != 0 {
		t.Errorf("retention %d partitions %d warnings %v", b.LogRetentionMs, b.NumPartitions, w)
	}
}

func TestLoadWarnings(t *testing.T) {
	file := writeFile(t, "num.network.threads=3\nfoo.bar=1\nretention.ms=5\n")
	_, w := mustLoad(t, file, []string{"GREGOR_NOPE=1"}, map[string]string{"zzz": "1"})
	want := []string{
		`server.properties:1: Kafka property "num.network.threads" has no effect`,
		`server.properties:2: unknown property "foo.bar"`,
		`server.properties:3: "retention.ms" is a topic config, ignored here; its broker-wide default is log.retention.ms`,
		`environment GREGOR_NOPE: unknown property "nope"`,
		`flag: unknown property "zzz"`,
	}
	if len(w) != len(want) {
		t.Fatalf("warnings %q", w)
	}
	for i := range want {
		if !strings.Contains(w[i], want[i]) {
			t.Errorf("warning %d = %q, want it to contain %q", i, w[i], want[i])
		}
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		props map[string]string
		want  []string
		is    error
	}{
		{map[string]string{"num.partitions": "x"}, []string{"num.partitions", `"x"`, "INT"}, ErrInvalidValue},
		{map[string]string{"num.partitions": "0"}, []string{"num.partitions", "at least 1"}, ErrInvalidValue},
		{map[string]string{"auto.create.topics.enable": "yes"}, []string{"auto.create.topics.enable", "true or false"}, ErrInvalidValue},
		{map[string]string{"log.message.timestamp.type": "createtime"}, []string{"log.message.timestamp.type", "CreateTime, LogAppendTime"}, ErrInvalidValue},
		{map[string]string{"compression.type": "brotli"}, []string{"compression.type", "one of"}, ErrInvalidValue},
		{map[string]string{"listeners": "localhost:9092"}, []string{"listeners", "NAME://host:port"}, ErrInvalidValue},
		{map[string]string{"listeners": "A://:1,A://:2"}, []string{"listeners", "twice"}, ErrInvalidValue},
		{map[string]string{"advertised.listeners": "PLAINTEXT://0.0.0.0:9092"}, []string{"advertised.listeners", "non-routable"}, ErrInvalidValue},
		{map[string]string{"controller.quorum.voters": "1@h"}, []string{"controller.quorum.voters", "id@host:port"}, ErrInvalidValue},
		{map[string]string{"log.cleanup.policy": "compact"}, []string{"log.cleanup.policy", "not implemented"}, ErrNotSupported},
		{map[string]string{"log.dirs": " , "}, []string{"log.dirs", "non-empty"}, ErrInvalidValue},
		{map[string]string{"group.min.session.timeout.ms": "10", "group.max.session.timeout.ms": "5"}, []string{"group.min.session.timeout.ms", "group.max.session.timeout.ms"}, ErrInvalidValue},
		{map[string]string{"log.retention.hours": "2562047788015216"}, []string{"log.retention.hours", "INT"}, ErrInvalidValue},
	}
	for _, tt := range tests {
		_, _, err := load("", nil, tt.props, fixedHost)
		if !errors.Is(err, tt.is) {
			t.Errorf("%v: err %v, want %v", tt.props, err, tt.is)
			continue
		}
		for _, s := range tt.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%v: error %q does not contain %q", tt.props, err, s)
			}
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing"), nil, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	file := writeFile(t, "a=1\nb=\\uXY\n")
	if _, _, err := Load(file, nil, nil); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad escape: %v", err)
	}
	file = writeFile(t, "\n\nnum.partitions = -3\n")
	_, _, err := Load(file, nil, nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Name != "num.partitions" || ce.Value != "-3" || !strings.Contains(err.Error(), "server.properties:3") {
		t.Errorf("bad value: %v", err)
	}
}

func TestWithDynamic(t *testing.T) {
	static, _ := mustLoad(t, "", nil, map[string]string{"log.retention.ms": "100", "message.max.bytes": "200", "min.insync.replicas": "2"})
	b, err := static.WithDynamic(
		map[string]string{"log.retention.ms": "1000", "message.max.bytes": "2000"},
		map[string]string{"log.retention.ms": "10000"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if b.LogRetentionMs != 10000 || b.MessageMaxBytes != 2000 || b.MinInsyncReplicas != 2 {
		t.Errorf("retention %d max %d isr %d", b.LogRetentionMs, b.MessageMaxBytes, b.MinInsyncReplicas)
	}
	if static.LogRetentionMs != 100 {
		t.Errorf("WithDynamic changed its receiver")
	}
	// Replaced, not merged: dropping the per-broker value falls back.
	b2, err := b.WithDynamic(map[string]string{"log.retention.ms": "1000"}, nil)
	if err != nil || b2.LogRetentionMs != 1000 || b2.MessageMaxBytes != 200 {
		t.Errorf("second WithDynamic: %v, retention %d max %d", err, b2.LogRetentionMs, b2.MessageMaxBytes)
	}
	bad := []struct {
		m  map[string]string
		is error
	}{
		{map[string]string{"nope": "1"}, ErrUnknown},
		{map[string]string{"num.partitions": "3"}, ErrReadOnly},
		{map[string]string{"log.retention.hours": "3"}, ErrReadOnly},
		{map[string]string{"message.max.bytes": "-5"}, ErrInvalidValue},
	}
	for _, tt := range bad {
		if _, err := static.WithDynamic(nil, tt.m); !errors.Is(err, tt.is) {
			t.Errorf("%v: %v, want %v", tt.m, err, tt.is)
		}
		if _, err := static.WithDynamic(tt.m, nil); !errors.Is(err, tt.is) {
			t.Errorf("%v cluster-wide: %v, want %v", tt.m, err, tt.is)
		}
	}
}

func TestTableConsistency(t *testing.T) {
	for _, defs := range [][]Def{brokerDefs, topicDefs} {
		seen := map[string]bool{}
		for _, d := range defs {
			if seen[d.Name] {
				t.Errorf("%s defined twice", d.Name)
			}
			seen[d.Name] = true
			if d.Doc == "" {
				t.Errorf("%s has no doc", d.Name)
			}
			if !d.NullDefault && d.Name != "log.dir" {
				if _, err := d.parse(d.Default); err != nil {
					t.Errorf("%s: default %q invalid: %v", d.Name, d.Default, err)
				}
			}
			for _, a := range d.aliases {
				if _, ok := brokerIndex[a.name]; !ok {
					t.Errorf("%s: alias %s is not a broker config", d.Name, a.name)
				}
			}
		}
	}
	for _, d := range topicDefs {
		if d.setTopic == nil {
			t.Errorf("topic config %s has no setter", d.Name)
		}
		if d.BrokerSynonym == "" {
			continue
		}
		bd, ok := brokerIndex[d.BrokerSynonym]
		if !ok {
			t.Errorf("%s: broker synonym %s undefined", d.Name, d.BrokerSynonym)
			continue
		}
		if !bd.Dynamic {
			t.Errorf("%s: broker synonym %s should be dynamic", d.Name, bd.Name)
		}
		if bd.setBroker == nil {
			t.Errorf("%s: broker synonym %s is an alias", d.Name, bd.Name)
		}
	}
}
