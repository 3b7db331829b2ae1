package main

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func testRecord() *kgo.Record {
	return &kgo.Record{
		Topic:     "orders",
		Partition: 3,
		Offset:    42,
		Key:       []byte("k1"),
		Value:     []byte("hello"),
		Timestamp: time.UnixMilli(1700000000123),
		Headers:   []kgo.RecordHeader{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("")}},
	}
}

func TestCompileFormat(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{`%v\n`, "hello\n"},
		{`%t/%p@%o`, "orders/3@42"},
		{`%k=%v`, "k1=hello"},
		{`%K %V`, "2 5"},
		{`%T`, "1700000000123"},
		{`%h`, "a=1,b="},
		{`100%%\t%v\\`, "100%\thello\\"},
		{`\r\n`, "\r\n"},
		{`plain`, "plain"},
		{``, ""},
	}
	for _, tt := range tests {
		f, err := compileFormat(tt.format)
		if err != nil {
			t.Fatalf("compileFormat(%q): %v", tt.format, err)
		}
		if got := string(f.appendRecord(nil, testRecord())); got != tt.want {
			t.Errorf("format %q: got %q, want %q", tt.format, got, tt.want)
		}
	}
}

func TestFormatNullKeyAndValue(t *testing.T) {
	f, err := compileFormat(`[%k][%K][%v][%V][%h]`)
	if err != nil {
		t.Fatal(err)
	}
	r := &kgo.Record{}
	if got, want := string(f.appendRecord(nil, r)), "[][-1][][-1][]"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	r.Key, r.Value = []byte{}, []byte{}
	if got, want := string(f.appendRecord(nil, r)), "[][0][][0][]"; got != want {
		t.Fatalf("empty key/value: got %q, want %q", got, want)
	}
}

func TestCompileFormatErrors(t *testing.T) {
	tests := []struct {
		format string
		want   error
	}{
		{`%x`, errUnknownDirective},
		{`%`, errTrailingPercent},
		{`abc%`, errTrailingPercent},
		{`\`, errTrailingBackslash},
		{`\x`, errBadEscape},
	}
	for _, tt := range tests {
		if _, err := compileFormat(tt.format); !errors.Is(err, tt.want) {
			t.Errorf("compileFormat(%q) = %v, want %v", tt.format, err, tt.want)
		}
	}
}

func FuzzCompileFormat(f *testing.F) {
	for _, s := range []string{`%v\n`, `%t %p %o %k %v %h %T %K %V %%`, `\t\r\\`, `%`, `\`, `%q`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := compileFormat(s)
		if err != nil {
			return
		}
		// Any format that compiles must render any record without panicking.
		fm.appendRecord(nil, testRecord())
		fm.appendRecord(nil, &kgo.Record{})
	})
}
