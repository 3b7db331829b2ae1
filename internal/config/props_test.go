package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][2]string
	}{
		{"empty", "", nil},
		{"equals", "a=b", [][2]string{{"a", "b"}}},
		{"colon", "a: b", [][2]string{{"a", "b"}}},
		{"space separator", "a b", [][2]string{{"a", "b"}}},
		{"blanks around separator", "  a \t= \t b c  ", [][2]string{{"a", "b c  "}}},
		{"second separator kept", "a==b", [][2]string{{"a", "=b"}}},
		{"key only", "a", [][2]string{{"a", ""}}},
		{"key then blanks", "a   ", [][2]string{{"a", ""}}},
		{"comments", "# x=y\n! z=w\n  # indented\na=1", [][2]string{{"a", "1"}}},
		{"hash inside value", "a=b#c", [][2]string{{"a", "b#c"}}},
		{"blank lines", "\n\n  \na=1\n\n", [][2]string{{"a", "1"}}},
		{"crlf and cr", "a=1\r\nb=2\rc=3", [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}}},
		{"continuation", "a=one,\\\n    two,\\\n\tthree", [][2]string{{"a", "one,two,three"}}},
		{"continuation line starting with hash is not a comment", "a=x\\\n#y", [][2]string{{"a", "x#y"}}},
		{"comment does not continue", "# c\\\na=1", [][2]string{{"a", "1"}}},
		{"even backslashes do not continue", "a=x\\\\\nb=2", [][2]string{{"a", `x\`}, {"b", "2"}}},
		{"continuation at EOF", "a=x\\", [][2]string{{"a", "x"}}},
		{"escapes", `a=\t\n\r\f\\\=\:\#\z`, [][2]string{{"a", "\t\n\r\f\\=:#z"}}},
		{"unicode escape", `a=caf\u00e9 \u20AC`, [][2]string{{"a", "café €"}}},
		{"escaped separator in key", `a\=b\ c=d`, [][2]string{{"a=b c", "d"}}},
		{"utf8 text", "a=naïve", [][2]string{{"a", "naïve"}}},
		{"duplicate keys kept in order", "a=1\na=2", [][2]string{{"a", "1"}, {"a", "2"}}},
		{"server.properties excerpt", "process.roles=broker,controller\nnode.id=1\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\nlog.dirs=/tmp/kraft-combined-logs",
			[][2]string{{"process.roles", "broker,controller"}, {"node.id", "1"}, {"listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"}, {"log.dirs", "/tmp/kraft-combined-logs"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props, err := ParseProperties(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got [][2]string
			for _, p := range props {
				got = append(got, [2]string{p.Key, p.Value})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePropertiesLines(t *testing.T) {
	props, err := ParseProperties("# c\n\na=1\\\n 2\nb=3\r\nc=4")
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, p := range props {
		lines = append(lines, p.Line)
	}
	if want := []int{3, 5, 6}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
}

func TestParsePropertiesErrors(t *testing.T) {
	for _, in := range []string{`a=\u12`, `a=\uZZZZ`, "x=1\nb\\u00=2"} {
		_, err := ParseProperties(in)
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: err %v, want ErrSyntax", in, err)
		}
		if err != nil && !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: error %q does not name the line", in, err)
		}
	}
}

// escapeProperty writes s so that ParseProperties reads it back verbatim.
func escapeProperty(s string, key bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ { // bytewise: keep invalid UTF-8 as is
		r := s[i]
		switch {
		case r == '\\' || r == '=' || r == ':' || r == '#' || r == '!':
			b.WriteByte('\\')
			b.WriteByte(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == ' ' && (key || i == 0):
			b.WriteString(`\ `)
		default:
			b.WriteByte(r)
		}
	}
	return b.String()
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"a=b", "a: b\n#c\n!d\n", "a=1\\\n  2", `a=\u00e9\t\\`, "k v\r\nx=y\rz", `\u`, "a=b\\", "=x", ":", "\\\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		props, err := ParseProperties(in)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		// Writing the entries back escaped must give the same entries.
		var b strings.Builder
		for _, p := range props {
			b.WriteString(escapeProperty(p.Key, true) + "=" + escapeProperty(p.Value, false) + "\n")
		}
		again, err := ParseProperties(b.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", b.String(), err)
		}
		if len(again) != len(props) {
			t.Fatalf("%d entries, re-parsed %d from %q", len(props), len(again), b.String())
		}
		for i := range props {
			if again[i].Key != props[i].Key || again[i].Value != props[i].Value {
				t.Fatalf("entry %d: %q=%q re-parsed as %q=%q", i, props[i].Key, props[i].Value, again[i].Key, again[i].Value)
			}
		}
	})
}
