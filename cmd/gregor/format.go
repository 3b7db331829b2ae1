package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Errors of CompileFormat.
var (
	errUnknownDirective  = errors.New("unknown format directive")
	errTrailingPercent   = errors.New("format ends with a lone %")
	errTrailingBackslash = errors.New("format ends with a lone backslash")
)

// defaultFormat is the consume output format when --format is not given.
const defaultFormat = `%v\n`

// recordFormat is a compiled --format string: a list of pieces, each either
// literal text or a record field. It is immutable and safe for concurrent use.
type recordFormat struct {
	parts []formatPart
}

// formatPart is one piece of a compiled format: lit when field is 0,
// otherwise the record field named by the directive letter.
type formatPart struct {
	lit   []byte
	field byte
}

// fieldDirectives are the letters accepted after '%' (besides "%%").
const fieldDirectives = "tpokvhTKV"

// compileFormat parses a kcat-style format string:
//
//	%t topic       %p partition   %o offset      %T timestamp (ms)
//	%k key         %v value       %h headers (k=v,k2=v2)
//	%K key length (-1 if null)    %V value length (-1 if null)
//	%% percent     \n \t \r \\ escapes
func compileFormat(s string) (*recordFormat, error) {
	f := &recordFormat{}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			f.parts = append(f.parts, formatPart{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%', '\\':
			if i+1 == len(s) {
				if c == '%' {
					return nil, errTrailingPercent
				}
				return nil, errTrailingBackslash
			}
			i++
			d := s[i]
			switch {
			case c == '%' && d == '%':
				lit = append(lit, '%')
			case c == '%' && isFieldDirective(d):
				flush()
				f.parts = append(f.parts, formatPart{field: d})
			case c == '%':
				return nil, fmt.Errorf("%w %%%c", errUnknownDirective, d)
			default:
				r, ok := escapeChar(d)
				if !ok {
					return nil, fmt.Errorf(`%w \%c`, errBadEscape, d)
				}
				lit = append(lit, r)
			}
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return f, nil
}

func isFieldDirective(d byte) bool {
	for i := 0; i < len(fieldDirectives); i++ {
		if fieldDirectives[i] == d {
			return true
		}
	}
	return false
}

// appendRecord appends r rendered by the format to dst.
func (f *recordFormat) appendRecord(dst []byte, r *kgo.Record) []byte {
	for _, p := range f.parts {
		if p.field == 0 {
			dst = append(dst, p.lit...)
			continue
		}
		dst = appendField(dst, p.field, r)
	}
	return dst
}

// appendField appends one record field, named by its directive letter.
func appendField(dst []byte, field byte, r *kgo.Record) []byte {
	switch field {
	case 't':
		return append(dst, r.Topic...)
	case 'p':
		return strconv.AppendInt(dst, int64(r.Partition), 10)
	case 'o':
		return strconv.AppendInt(dst, r.Offset, 10)
	case 'k':
		return append(dst, r.Key...)
	case 'v':
		return append(dst, r.Value...)
	case 'h':
		for i, h := range r.Headers {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, h.Key...)
			dst = append(dst, '=')
			dst = append(dst, h.Value...)
		}
		return dst
	case 'T':
		return strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
	case 'K':
		return appendLen(dst, r.Key)
	case 'V':
		return appendLen(dst, r.Value)
	}
	// compileFormat only produces the letters above.
	panic(fmt.Sprintf("gregor: format field %q not handled", field))
}

// appendLen appends len(b), or -1 when b is nil (a null key or value).
func appendLen(dst, b []byte) []byte {
	if b == nil {
		return append(dst, "-1"...)
	}
	return strconv.AppendInt(dst, int64(len(b)), 10)
}
