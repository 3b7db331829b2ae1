package config

import (
	"reflect"
	"testing"
)

func syn(name, value string, src Source) Synonym {
	return Synonym{Name: name, Value: &value, Source: src}
}

func val(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestDescribeBroker(t *testing.T) {
	static, _ := mustLoad(t, "", []string{"HOME=/h"}, map[string]string{"log.retention.minutes": "30", "num.partitions": "3"})
	b, err := static.WithDynamic(map[string]string{"log.retention.ms": "5000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := b.DescribeBroker(nil)
	if len(all) != len(brokerDefs) {
		t.Errorf("%d entries, want every config (%d)", len(all), len(brokerDefs))
	}
	got := b.DescribeBroker([]string{"log.retention.ms", "num.partitions", "log.retention.minutes", "broker.rack", "log.dir", "nope"})
	want := []Entry{
		{Name: "log.retention.ms", Value: ptr("5000"), Source: SourceDynamicDefaultBroker, Type: TypeLong,
			Synonyms: []Synonym{syn("log.retention.ms", "5000", SourceDynamicDefaultBroker), syn("log.retention.minutes", "30", SourceStaticBroker), syn("log.retention.hours", "168", SourceDefault)}},
		{Name: "num.partitions", Value: ptr("3"), Source: SourceStaticBroker, Type: TypeInt, ReadOnly: true,
			Synonyms: []Synonym{syn("num.partitions", "3", SourceStaticBroker), syn("num.partitions", "1", SourceDefault)}},
		{Name: "log.retention.minutes", Value: ptr("30"), Source: SourceStaticBroker, Type: TypeInt, ReadOnly: true,
			Synonyms: []Synonym{syn("log.retention.minutes", "30", SourceStaticBroker), syn("log.retention.hours", "168", SourceDefault)}},
		{Name: "broker.rack", Source: SourceDefault, Type: TypeString, ReadOnly: true, Synonyms: []Synonym{}},
		{Name: "log.dir", Value: ptr("/h/.local/share/gregor"), Source: SourceDefault, Type: TypeString, ReadOnly: true,
			Synonyms: []Synonym{syn("log.dir", "/h/.local/share/gregor", SourceDefault)}},
	}
	for i := range got {
		got[i].Doc = ""
	}
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			t.Errorf("got  %s=%s src %v ro %v syn %v", got[i].Name, val(got[i].Value), got[i].Source, got[i].ReadOnly, got[i].Synonyms)
		}
	}
	// Per-broker dynamic wins over cluster-wide.
	b2, err := static.WithDynamic(map[string]string{"log.retention.ms": "5000"}, map[string]string{"log.retention.ms": "6000"})
	if err != nil {
		t.Fatal(err)
	}
	e := b2.DescribeBroker([]string{"log.retention.ms"})[0]
	if val(e.Value) != "6000" || e.Source != SourceDynamicBroker || len(e.Synonyms) != 4 || e.Synonyms[1].Source != SourceDynamicDefaultBroker {
		t.Errorf("per-broker: %s %v %v", val(e.Value), e.Source, e.Synonyms)
	}
	// The hours default converted to ms.
	e = static.DescribeBroker([]string{"log.roll.ms"})[0]
	if val(e.Value) != "604800000" || e.Source != SourceDefault || e.ReadOnly {
		t.Errorf("log.roll.ms: %s %v ro %v", val(e.Value), e.Source, e.ReadOnly)
	}
}

func TestDescribeTopic(t *testing.T) {
	static, _ := mustLoad(t, "", nil, map[string]string{"log.retention.hours": "2", "log.segment.bytes": "2048"})
	b, err := static.WithDynamic(nil, map[string]string{"log.segment.bytes": "4096"})
	if err != nil {
		t.Fatal(err)
	}
	overrides := map[string]string{"max.message.bytes": "100", "cleanup.policy": "delete"}
	all := b.DescribeTopic(overrides, nil)
	if len(all) != len(topicDefs) {
		t.Errorf("%d entries, want %d", len(all), len(topicDefs))
	}
	for _, e := range all {
		if e.Value == nil || e.ReadOnly || e.Type == 0 || e.Doc == "" {
			t.Errorf("%s: value %s ro %v type %v", e.Name, val(e.Value), e.ReadOnly, e.Type)
		}
	}
	tests := []struct {
		key   string
		value string
		src   Source
		syns  []Synonym
	}{
		{"max.message.bytes", "100", SourceTopic, []Synonym{syn("max.message.bytes", "100", SourceTopic), syn("message.max.bytes", "1048588", SourceDefault)}},
		{"retention.ms", "7200000", SourceStaticBroker, []Synonym{syn("log.retention.hours", "2", SourceStaticBroker), syn("log.retention.hours", "168", SourceDefault)}},
		{"segment.bytes", "4096", SourceDynamicBroker, []Synonym{syn("log.segment.bytes", "4096", SourceDynamicBroker), syn("log.segment.bytes", "2048", SourceStaticBroker), syn("log.segment.bytes", "1073741824", SourceDefault)}},
		{"flush.ms", "9223372036854775807", SourceDefault, []Synonym{}},
		{"remote.storage.enable", "false", SourceDefault, []Synonym{}},
		{"flush.messages", "1", SourceDefault, []Synonym{syn("log.flush.interval.messages", "1", SourceDefault)}},
	}
	for _, tt := range tests {
		e := b.DescribeTopic(overrides, []string{tt.key})[0]
		if val(e.Value) != tt.value || e.Source != tt.src || !reflect.DeepEqual(e.Synonyms, tt.syns) {
			t.Errorf("%s: value %s src %v syns %v; want %s %v %v", tt.key, val(e.Value), e.Source, e.Synonyms, tt.value, tt.src, tt.syns)
		}
	}
	// An invalid stored override is shown as stored.
	e := b.DescribeTopic(map[string]string{"segment.ms": "zero"}, []string{"segment.ms"})[0]
	if val(e.Value) != "zero" || e.Source != SourceTopic {
		t.Errorf("invalid override: %s %v", val(e.Value), e.Source)
	}
}

func TestDescribeSensitive(t *testing.T) {
	d := &Def{Name: "secret", Type: TypePassword, Default: "x", Sensitive: true, Dynamic: true}
	brokerIndex["secret"] = d
	defer delete(brokerIndex, "secret")
	b, _ := mustLoad(t, "", nil, map[string]string{"secret": "hunter2"})
	e := b.describeBroker(d)
	if e.Value != nil || !e.Sensitive || e.Source != SourceStaticBroker || len(e.Synonyms) != 2 {
		t.Fatalf("entry %+v", e)
	}
	for _, s := range e.Synonyms {
		if s.Value != nil {
			t.Errorf("synonym %s leaks its value", s.Name)
		}
	}
}
