package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Property is one key/value pair of a properties file (or of another
// source of configuration).
type Property struct {
	Key, Value string
	Line       int    // 1-based line the entry starts on (0 when not from a file)
	Origin     string // where it came from, for messages: "file:12", "env GREGOR_X", "flag"
}

// ErrSyntax marks a malformed properties file (a bad \u escape).
var ErrSyntax = errors.New("properties syntax error")

// ParseProperties parses the text of a Java .properties file as
// java.util.Properties.load does: lines end with \n, \r or \r\n; a line
// whose first non-blank character is # or ! is a comment; a line ending in
// an odd number of backslashes continues on the next one (whose leading
// blanks are dropped); the key ends at the first unescaped '=', ':' or
// blank, and one separator plus surrounding blanks are skipped; the
// escapes \t \n \r \f \uXXXX are decoded and a backslash before any other
// character stands for that character. Unlike Java, the text is read as
// UTF-8, not ISO-8859-1. Entries come back in file order; a key may repeat
// (the last one wins when applied).
func ParseProperties(text string) ([]Property, error) {
	var out []Property
	lines := splitLines(text)
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if continues(line) { // a continuation at end of input joins nothing
			line = line[:len(line)-1]
		}
		key, value, err := splitEntry(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start, err)
		}
		out = append(out, Property{Key: key, Value: value, Line: start})
	}
	return out, nil
}

// splitLines splits on \n, \r and \r\n.
func splitLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

// continues reports whether a line ends in an odd number of backslashes.
func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitEntry splits a logical line into its unescaped key and value.
func splitEntry(line string) (string, string, error) {
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	rest := strings.TrimLeft(line[end:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	key, err := unescape(line[:end])
	if err != nil {
		return "", "", err
	}
	value, err := unescape(rest)
	if err != nil {
		return "", "", err
	}
	return key, value, nil
}

// unescape decodes the backslash escapes of a properties key or value.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break // a lone trailing backslash is dropped, as in Java
		}
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, err := decodeU(s[i+1:])
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			i += 4
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func decodeU(s string) (rune, error) {
	if len(s) < 4 {
		return 0, fmt.Errorf("%w: \\u needs 4 hex digits, got %q", ErrSyntax, s)
	}
	n, err := strconv.ParseUint(s[:4], 16, 16)
	if err != nil {
		return 0, fmt.Errorf("%w: malformed \\u%s escape", ErrSyntax, s[:4])
	}
	return rune(n), nil
}
