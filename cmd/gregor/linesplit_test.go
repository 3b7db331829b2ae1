package main

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestSplitKey(t *testing.T) {
	tests := []struct {
		line, sep  string
		key, value string
		keyNull    bool
	}{
		{"k:v", ":", "k", "v", false},
		{"k:v:w", ":", "k", "v:w", false},
		{":v", ":", "", "v", false},
		{"k:", ":", "k", "", false},
		{"no sep", ":", "", "no sep", true},
		{"k\tv", "\t", "k", "v", false},
		{"k::v", "::", "k", "v", false},
		{"whole line", "", "", "whole line", true},
	}
	for _, tt := range tests {
		k, v := splitKey([]byte(tt.line), []byte(tt.sep))
		if string(k) != tt.key || string(v) != tt.value || (k == nil) != tt.keyNull {
			t.Errorf("splitKey(%q, %q) = %q (nil %t), %q; want %q (nil %t), %q",
				tt.line, tt.sep, k, k == nil, v, tt.key, tt.keyNull, tt.value)
		}
	}
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\nb\n", []string{"a", "b"}},
		{"a\r\nb", []string{"a", "b"}},
		{"\n\n", []string{"", ""}},
		{"x\r", []string{"x\r"}},
		{strings.Repeat("z", 200000) + "\nq", []string{strings.Repeat("z", 200000), "q"}},
	}
	for _, tt := range tests {
		lr := newLineReader(strings.NewReader(tt.in))
		var got []string
		for {
			line, err := lr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(line))
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("lines of %.20q: got %d lines %.40q, want %d", tt.in, len(got), got, len(tt.want))
		}
	}
}

func TestReadLinesAsyncStop(t *testing.T) {
	// Stopping before draining must not leave the reader goroutine blocked
	// (goleak in TestMain checks).
	lines, _, stop := readLinesAsync(strings.NewReader(strings.Repeat("x\n", 10000)))
	<-lines
	stop()
}

func TestReadLinesAsyncError(t *testing.T) {
	boom := errors.New("boom")
	_, errs, stop := readLinesAsync(io.MultiReader(strings.NewReader("a\n"), errReader{boom}))
	defer stop()
	if err := <-errs; !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
