package main

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseKeyValues(t *testing.T) {
	got, err := parseKeyValues([]string{"a=1", "b=", "c=x=y"}, false)
	want := []keyValue{{"a", "1"}, {"b", ""}, {"c", "x=y"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if got, err := parseKeyValues([]string{"h=1", "h=2"}, true); err != nil || len(got) != 2 {
		t.Fatalf("repeated header: %v, %v", got, err)
	}
	m := configMap(want)
	if len(m) != 3 || *m["c"] != "x=y" || *m["b"] != "" {
		t.Fatalf("configMap = %v", m)
	}
	if configMap(nil) != nil {
		t.Fatal("configMap(nil) should be nil")
	}
}

func TestParseKeyValuesErrors(t *testing.T) {
	tests := []struct {
		args []string
		want error
	}{
		{[]string{"novalue"}, errNoEquals},
		{[]string{"=v"}, errEmptyKey},
		{[]string{"a=1", "a=2"}, errDuplicateKey},
	}
	for _, tt := range tests {
		if _, err := parseKeyValues(tt.args, false); !errors.Is(err, tt.want) {
			t.Errorf("parseKeyValues(%q) = %v, want %v", tt.args, err, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"plain", "plain", nil},
		{`\t`, "\t", nil},
		{`a\nb\\c\r`, "a\nb\\c\r", nil},
		{`\q`, "", errBadEscape},
		{`x\`, "", errTrailingSlash},
	}
	for _, tt := range tests {
		got, err := unescape(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("unescape(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestAlterations(t *testing.T) {
	f := &alterConfigFlags{set: []string{"retention.ms=1000"}, delete: []string{"cleanup.policy"}}
	got, err := f.alterations()
	if err != nil || len(got) != 2 || got[0].Name != "retention.ms" || *got[0].Value != "1000" ||
		got[1].Name != "cleanup.policy" || got[1].Value != nil {
		t.Fatalf("alterations = %+v, %v", got, err)
	}
	if _, err := (&alterConfigFlags{delete: []string{""}}).alterations(); !errors.Is(err, errEmptyKey) {
		t.Fatalf("empty delete key: %v", err)
	}
}
