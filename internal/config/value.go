package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseValue converts a raw property string to the Go value of its type:
// bool, int16, int32, int64, float64, []string or string. The error says
// what the type allows.
func parseValue(t Type, raw string) (any, error) {
	s := strings.TrimSpace(raw)
	switch t {
	case TypeBoolean:
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("expected a BOOLEAN, true or false")
	case TypeShort:
		n, err := strconv.ParseInt(s, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("expected a SHORT, a whole number in [%d,%d]", math.MinInt16, math.MaxInt16)
		}
		return int16(n), nil
	case TypeInt:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("expected an INT, a whole number in [%d,%d]", math.MinInt32, math.MaxInt32)
		}
		return int32(n), nil
	case TypeLong:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("expected a LONG, a whole number in [%d,%d]", int64(math.MinInt64), int64(math.MaxInt64))
		}
		return n, nil
	case TypeDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("expected a DOUBLE, a finite decimal number")
		}
		return f, nil
	case TypeList:
		return splitList(s), nil
	case TypePassword:
		return raw, nil
	case TypeString, TypeClass:
		return s, nil
	}
	return nil, fmt.Errorf("unknown config type %v", t)
}

// splitList splits a comma-separated list, trimming each element and
// dropping empty ones (Kafka's ConfigDef does the same).
func splitList(s string) []string {
	out := []string{}
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// formatValue is the canonical string of a parsed value, as DescribeConfigs
// shows it.
func formatValue(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []string:
		return strings.Join(x, ",")
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// toInt64 widens any integer value.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// convert turns a value parsed as a synonym's type into the target type,
// multiplying non-negative integers by scale (hours to ms, ...).
func convert(v any, to Type, scale int64) (any, error) {
	n, isInt := toInt64(v)
	if !isInt {
		if to == TypeList {
			if s, ok := v.(string); ok {
				return splitList(s), nil
			}
		}
		return v, nil
	}
	if scale > 1 && n >= 0 { // a negative value means "none" or "for ever": not scaled
		if n > math.MaxInt64/scale || n < math.MinInt64/scale {
			return nil, fmt.Errorf("value times %d overflows a LONG", scale)
		}
		n *= scale
	}
	switch to {
	case TypeShort:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return nil, errors.New("out of range for a SHORT")
		}
		return int16(n), nil
	case TypeInt:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, errors.New("out of range for an INT")
		}
		return int32(n), nil
	}
	return n, nil
}

// validator checks a parsed value; desc says what it allows, for errors and
// for docs/configuration.md.
type validator struct {
	desc  string
	check func(v any) error
}

func atLeast(min int64) *validator {
	return between(min, math.MaxInt64)
}

func between(min, max int64) *validator {
	desc := fmt.Sprintf("[%d,...]", min)
	if max != math.MaxInt64 {
		desc = fmt.Sprintf("[%d,...,%d]", min, max)
	}
	return &validator{desc: desc, check: func(v any) error {
		n, _ := toInt64(v)
		if n < min || n > max {
			if max == math.MaxInt64 {
				return fmt.Errorf("must be at least %d", min)
			}
			return fmt.Errorf("must be between %d and %d", min, max)
		}
		return nil
	}}
}

func ratio() *validator {
	return &validator{desc: "[0,...,1]", check: func(v any) error {
		if f, _ := v.(float64); f < 0 || f > 1 {
			return errors.New("must be between 0 and 1")
		}
		return nil
	}}
}

func oneOf(vals ...string) *validator {
	return &validator{desc: "one of " + strings.Join(vals, ", "), check: func(v any) error {
		s, _ := v.(string)
		for _, x := range vals {
			if s == x {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(vals, ", "))
	}}
}

func listOf(vals ...string) *validator {
	return &validator{desc: "a non-empty list of " + strings.Join(vals, ", "), check: func(v any) error {
		l, _ := v.([]string)
		if len(l) == 0 {
			return fmt.Errorf("must be a non-empty comma-separated list of %s", strings.Join(vals, ", "))
		}
	next:
		for _, e := range l {
			for _, x := range vals {
				if e == x {
					continue next
				}
			}
			return fmt.Errorf("%q is not one of %s", e, strings.Join(vals, ", "))
		}
		return nil
	}}
}

func nonEmptyList(what string) *validator {
	return &validator{desc: "a non-empty list of " + what, check: func(v any) error {
		if l, _ := v.([]string); len(l) == 0 {
			return fmt.Errorf("must be a non-empty comma-separated list of %s", what)
		}
		return nil
	}}
}
