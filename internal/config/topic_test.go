package config

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidateTopicConfigs(t *testing.T) {
	tests := []struct {
		m    map[string]string
		is   error
		want []string // substrings of the error
	}{
		{nil, nil, nil},
		{map[string]string{"retention.ms": "-1", "cleanup.policy": "delete", "compression.type": "producer", "min.cleanable.dirty.ratio": "0.1"}, nil, nil},
		{map[string]string{"compression.type": "zstd"}, ErrNotSupported, []string{"compression.type=zstd", "does not recompress"}},
		{map[string]string{"message.timestamp.type": "LogAppendTime", "remote.storage.enable": "false"}, nil, nil},
		{map[string]string{"retention.ms": "-2"}, ErrInvalidValue, []string{"retention.ms", `"-2"`, "at least -1"}},
		{map[string]string{"retention.ms": "abc"}, ErrInvalidValue, []string{"retention.ms", "LONG"}},
		{map[string]string{"segment.bytes": "13"}, ErrInvalidValue, []string{"segment.bytes", "at least 14"}},
		{map[string]string{"max.message.bytes": "99999999999"}, ErrInvalidValue, []string{"max.message.bytes", "INT"}},
		{map[string]string{"min.cleanable.dirty.ratio": "1.5"}, ErrInvalidValue, []string{"min.cleanable.dirty.ratio", "between 0 and 1"}},
		{map[string]string{"compression.type": "lzma"}, ErrInvalidValue, []string{"compression.type", "uncompressed, zstd, lz4, snappy, gzip, producer"}},
		{map[string]string{"cleanup.policy": "delete,bogus"}, ErrInvalidValue, []string{"cleanup.policy", "bogus"}},
		{map[string]string{"cleanup.policy": "compact"}, ErrNotSupported, []string{"cleanup.policy=compact", "compaction is not implemented yet"}},
		{map[string]string{"cleanup.policy": "compact,delete"}, ErrNotSupported, []string{"compaction is not implemented yet"}},
		{map[string]string{"remote.storage.enable": "true"}, ErrNotSupported, []string{"tiered storage"}},
		{map[string]string{"log.retention.ms": "5"}, ErrUnknown, []string{`"log.retention.ms"`}},
		{map[string]string{"a": "1", "retention.ms": "x"}, ErrUnknown, []string{`"a"`}},
		{map[string]string{"compression.gzip.level": "0"}, ErrInvalidValue, []string{"compression.gzip.level", "-1"}},
	}
	for _, tt := range tests {
		err := ValidateTopicConfigs(tt.m)
		if tt.is == nil {
			if err != nil {
				t.Errorf("%v: %v", tt.m, err)
			}
			continue
		}
		if !errors.Is(err, tt.is) {
			t.Errorf("%v: err %v, want %v", tt.m, err, tt.is)
			continue
		}
		for _, s := range tt.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%v: error %q does not contain %q", tt.m, err, s)
			}
		}
	}
}

func TestTopicConfigResolution(t *testing.T) {
	static, _ := mustLoad(t, "", nil, map[string]string{
		"log.retention.hours": "1", "log.segment.bytes": "4096", "message.max.bytes": "500",
		"log.message.timestamp.type": "LogAppendTime",
	})
	b, err := static.WithDynamic(map[string]string{"log.segment.bytes": "8192", "log.flush.interval.messages": "100"},
		map[string]string{"log.segment.bytes": "16384"})
	if err != nil {
		t.Fatal(err)
	}
	tc := b.TopicConfig(map[string]string{"max.message.bytes": "7", "flush.ms": "50"})
	checks := []struct {
		name      string
		got, want any
	}{
		{"RetentionMs (static hours)", tc.RetentionMs, int64(3600000)},
		{"SegmentBytes (per-broker dynamic)", tc.SegmentBytes, int32(16384)},
		{"MaxMessageBytes (topic)", tc.MaxMessageBytes, int32(7)},
		{"FlushMessages (cluster dynamic)", tc.FlushMessages, int64(100)},
		{"FlushMs (topic)", tc.FlushMs, int64(50)},
		{"MessageTimestampType (static)", tc.MessageTimestampType, LogAppendTime},
		{"SegmentMs (default hours)", tc.SegmentMs, int64(168 * 3600000)},
		{"RetentionBytes", tc.RetentionBytes, int64(-1)},
		{"IndexIntervalBytes", tc.IndexIntervalBytes, int32(4096)},
		{"AfterMax", tc.MessageTimestampAfterMaxMs, int64(3600000)},
		{"BeforeMax", tc.MessageTimestampBeforeMaxMs, int64(math.MaxInt64)},
		{"CompressionType", tc.CompressionType, "producer"},
		{"CleanupPolicy", strings.Join(tc.CleanupPolicy, ","), "delete"},
		{"MinInsyncReplicas", tc.MinInsyncReplicas, int32(1)},
		{"RemoteStorageEnable", tc.RemoteStorageEnable, false},
		{"MinCleanableDirtyRatio", tc.MinCleanableDirtyRatio, 0.5},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	def, _ := mustLoad(t, "", nil, nil)
	d := def.TopicConfig(nil)
	if d.FlushMessages != 1 || d.FlushMs != math.MaxInt64 || d.RetentionMs != 604800000 || d.SegmentBytes != 1073741824 {
		t.Errorf("defaults: %+v", d)
	}
}

func TestResolveTopicInvalidOverride(t *testing.T) {
	b, _ := mustLoad(t, "", nil, map[string]string{"message.max.bytes": "500"})
	tc, err := b.ResolveTopic(map[string]string{"max.message.bytes": "x", "bogus": "1"})
	if !errors.Is(err, ErrInvalidValue) || !errors.Is(err, ErrUnknown) {
		t.Errorf("err %v", err)
	}
	if tc.MaxMessageBytes != 500 {
		t.Errorf("MaxMessageBytes %d, want the broker's 500", tc.MaxMessageBytes)
	}
	if got := b.TopicConfig(map[string]string{"max.message.bytes": "x"}); got.MaxMessageBytes != 500 {
		t.Errorf("TopicConfig MaxMessageBytes %d", got.MaxMessageBytes)
	}
}

func TestListHelpers(t *testing.T) {
	if !IsList("cleanup.policy") || !IsList("listeners") || IsList("retention.ms") || IsList("nope") {
		t.Error("IsList")
	}
	tests := []struct{ op, cur, arg, want string }{
		{"append", "delete", "compact", "delete,compact"},
		{"append", "delete", "delete", "delete"},
		{"append", "", "a, b", "a,b"},
		{"subtract", "delete,compact", "compact", "delete"},
		{"subtract", "a,b,c", "b,x", "a,c"},
		{"subtract", "a", "a", ""},
	}
	for _, tt := range tests {
		f := AppendList
		if tt.op == "subtract" {
			f = SubtractList
		}
		if got := f(tt.cur, tt.arg); got != tt.want {
			t.Errorf("%s(%q, %q) = %q, want %q", tt.op, tt.cur, tt.arg, got, tt.want)
		}
	}
}
