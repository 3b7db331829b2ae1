package config

import (
	"errors"
	"fmt"
)

// Type is Kafka's ConfigType, as carried by DescribeConfigs v3+.
type Type int8

// Kafka's config types (DescribeConfigsResponse config_type).
const (
	TypeBoolean  Type = 1
	TypeString   Type = 2
	TypeInt      Type = 3
	TypeShort    Type = 4
	TypeLong     Type = 5
	TypeDouble   Type = 6
	TypeList     Type = 7
	TypeClass    Type = 8
	TypePassword Type = 9
)

// String returns Kafka's name of the type (BOOLEAN, INT, ...).
func (t Type) String() string {
	switch t {
	case TypeBoolean:
		return "BOOLEAN"
	case TypeString:
		return "STRING"
	case TypeInt:
		return "INT"
	case TypeShort:
		return "SHORT"
	case TypeLong:
		return "LONG"
	case TypeDouble:
		return "DOUBLE"
	case TypeList:
		return "LIST"
	case TypeClass:
		return "CLASS"
	case TypePassword:
		return "PASSWORD"
	}
	return fmt.Sprintf("Type(%d)", int8(t))
}

// Source is where a config value comes from, as Kafka's DescribeConfigs
// reports it.
type Source int8

// Kafka's config sources (DescribeConfigsResponse config_source).
const (
	SourceTopic                Source = 1
	SourceDynamicBroker        Source = 2
	SourceDynamicDefaultBroker Source = 3
	SourceStaticBroker         Source = 4
	SourceDefault              Source = 5
)

// String returns Kafka's name of the source.
func (s Source) String() string {
	switch s {
	case SourceTopic:
		return "DYNAMIC_TOPIC_CONFIG"
	case SourceDynamicBroker:
		return "DYNAMIC_BROKER_CONFIG"
	case SourceDynamicDefaultBroker:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case SourceStaticBroker:
		return "STATIC_BROKER_CONFIG"
	case SourceDefault:
		return "DEFAULT_CONFIG"
	}
	return fmt.Sprintf("Source(%d)", int8(s))
}

// TimestampType is message.timestamp.type. Its values match the
// timestamp-type bit of a v2 record batch's attributes.
type TimestampType int8

// The two timestamp types.
const (
	CreateTime    TimestampType = 0
	LogAppendTime TimestampType = 1
)

// String returns the Kafka spelling, CreateTime or LogAppendTime.
func (t TimestampType) String() string {
	if t == LogAppendTime {
		return "LogAppendTime"
	}
	return "CreateTime"
}

// Entry is one config as DescribeConfigs reports it.
type Entry struct {
	Name string
	// Value is nil when the config is sensitive or has no value.
	Value     *string
	ReadOnly  bool
	Sensitive bool
	Source    Source
	// Synonyms lists every place the value is set, highest precedence
	// first; the first one (if any) is where Value comes from.
	Synonyms []Synonym
	Type     Type
	Doc      string
}

// Synonym is one source of a config's value (DescribeConfigs v1+).
type Synonym struct {
	Name   string
	Value  *string // nil when sensitive
	Source Source
}

// Sentinel errors; every error of this package that concerns one property
// is an *Error wrapping one of them.
var (
	// ErrUnknown: no such config (the handler's INVALID_CONFIG for
	// topics; Load turns unknown broker properties into warnings).
	ErrUnknown = errors.New("unknown configuration")
	// ErrInvalidValue: the value does not parse or is out of range.
	ErrInvalidValue = errors.New("invalid value")
	// ErrReadOnly: the config exists but cannot be changed dynamically.
	ErrReadOnly = errors.New("configuration cannot be updated dynamically")
	// ErrNotSupported: a valid Kafka value Gregor does not implement
	// (cleanup.policy=compact, remote.storage.enable=true).
	ErrNotSupported = errors.New("not supported by Gregor")
)

// Error is a problem with one property. It wraps one of the sentinel
// errors, so check it with errors.Is.
type Error struct {
	Name   string
	Value  string
	Reason string // what is wrong or what is allowed
	Err    error  // ErrUnknown, ErrInvalidValue, ErrReadOnly or ErrNotSupported
}

func (e *Error) Error() string {
	switch {
	case errors.Is(e.Err, ErrUnknown):
		return fmt.Sprintf("unknown configuration %q", e.Name)
	case errors.Is(e.Err, ErrReadOnly):
		return fmt.Sprintf("configuration %s cannot be updated dynamically (set it in the broker's static configuration and restart)", e.Name)
	case errors.Is(e.Err, ErrNotSupported):
		return fmt.Sprintf("%s=%s is not supported by Gregor: %s", e.Name, e.Value, e.Reason)
	}
	return fmt.Sprintf("invalid value %q for configuration %s: %s", e.Value, e.Name, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }
