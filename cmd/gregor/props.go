package main

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of the small command-line parsers in this package.
var (
	errNoEquals      = errors.New("expected key=value")
	errEmptyKey      = errors.New("empty key")
	errDuplicateKey  = errors.New("key given twice")
	errBadEscape     = errors.New("unknown escape")
	errTrailingSlash = errors.New("trailing backslash")
)

// keyValue is one parsed key=value pair, in command-line order.
type keyValue struct {
	key, value string
}

// parseKeyValues parses "key=value" arguments (as given to -c, --set,
// --header). The value is everything after the first '=' and may be empty or
// contain '='. A key may repeat only when allowDup is set (record headers may
// repeat; configs may not).
func parseKeyValues(args []string, allowDup bool) ([]keyValue, error) {
	out := make([]keyValue, 0, len(args))
	seen := make(map[string]bool, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("%q: %w", a, errNoEquals)
		case k == "":
			return nil, fmt.Errorf("%q: %w", a, errEmptyKey)
		case seen[k] && !allowDup:
			return nil, fmt.Errorf("%q: %w", k, errDuplicateKey)
		}
		seen[k] = true
		out = append(out, keyValue{key: k, value: v})
	}
	return out, nil
}

// configMap turns parsed configs into the map kadm's CreateTopics wants.
func configMap(kvs []keyValue) map[string]*string {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]*string, len(kvs))
	for _, kv := range kvs {
		v := kv.value
		m[kv.key] = &v
	}
	return m
}

// unescape replaces the escapes \n \t \r \\ in s. Any other backslash
// sequence is an error, so typos do not silently become literal text.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", errTrailingSlash
		}
		i++
		r, ok := escapeChar(s[i])
		if !ok {
			return "", fmt.Errorf(`%w \%c`, errBadEscape, s[i])
		}
		b.WriteByte(r)
	}
	return b.String(), nil
}

// escapeChar maps the letter after a backslash to the byte it stands for.
func escapeChar(c byte) (byte, bool) {
	switch c {
	case 'n':
		return '\n', true
	case 't':
		return '\t', true
	case 'r':
		return '\r', true
	case '\\':
		return '\\', true
	}
	return 0, false
}
