package config

import (
	"errors"
	"strings"
)

// Def is the definition of one config: the single table entry that drives
// parsing, validation, resolution, DescribeConfigs and the documentation.
type Def struct {
	Name string
	Type Type
	// Default is the Gregor default as a property string; with NullDefault
	// the config has no default (Kafka's null) and its value is derived
	// as Doc says.
	Default     string
	NullDefault bool
	// KafkaDefault is set only where Gregor's default deliberately
	// differs from Apache Kafka's; Why says why.
	KafkaDefault string
	Why          string
	Doc          string
	// Dynamic: a broker config that can be changed at run time (per
	// broker or cluster-wide) through AlterConfigs. Topic configs are
	// always dynamic.
	Dynamic   bool
	Sensitive bool
	// BrokerSynonym is, for a topic config, the broker config that gives
	// its default (retention.ms <- log.retention.ms).
	BrokerSynonym string

	// aliases are lower-precedence broker names for the same setting
	// (log.retention.minutes for log.retention.ms), with their scale.
	aliases []alias
	valid   *validator
	// setBroker / setTopic store the resolved value (nil when unset and
	// the default is null) into the typed struct.
	setBroker func(b *Broker, v any)
	setTopic  func(t *Topic, v any)
}

type alias struct {
	name  string
	scale int64 // multiply the alias's value by this to get the unit of the primary (0 means 1)
}

// Allowed describes the values the config accepts ("[1,...]", "one of
// ...") or "" when any value of its type is fine.
func (d *Def) Allowed() string {
	if d.valid == nil {
		return ""
	}
	return d.valid.desc
}

// Aliases returns the lower-precedence property names that set the same
// thing (log.retention.minutes and log.retention.hours for
// log.retention.ms), in precedence order.
func (d *Def) Aliases() []string {
	out := make([]string, len(d.aliases))
	for i, a := range d.aliases {
		out[i] = a.name
	}
	return out
}

// parse parses and validates a raw value of this config.
func (d *Def) parse(raw string) (any, error) {
	v, err := parseValue(d.Type, raw)
	if err != nil {
		return nil, &Error{Name: d.Name, Value: raw, Reason: err.Error(), Err: ErrInvalidValue}
	}
	if d.valid != nil {
		if err := d.valid.check(v); err != nil {
			if errors.Is(err, ErrNotSupported) {
				reason := strings.TrimPrefix(err.Error(), ErrNotSupported.Error()+": ")
				return nil, &Error{Name: d.Name, Value: raw, Reason: reason, Err: ErrNotSupported}
			}
			return nil, &Error{Name: d.Name, Value: raw, Reason: err.Error(), Err: ErrInvalidValue}
		}
	}
	return v, nil
}

// bfield returns a setter that stores a value of type T into a Broker
// field; a nil (null default) leaves the field's zero value.
func bfield[T any](f func(*Broker) *T) func(*Broker, any) {
	return func(b *Broker, v any) {
		if t, ok := v.(T); ok {
			*f(b) = t
		}
	}
}

// tfield is bfield for Topic.
func tfield[T any](f func(*Topic) *T) func(*Topic, any) {
	return func(t *Topic, v any) {
		if x, ok := v.(T); ok {
			*f(t) = x
		}
	}
}

var (
	brokerIndex = indexDefs(brokerDefs)
	topicIndex  = indexDefs(topicDefs)
)

func indexDefs(defs []Def) map[string]*Def {
	m := make(map[string]*Def, len(defs))
	for i := range defs {
		m[defs[i].Name] = &defs[i]
	}
	return m
}

// BrokerDefs returns the definitions of every broker config, in table
// order. The slice is a copy; the callers may keep it.
func BrokerDefs() []Def { return append([]Def(nil), brokerDefs...) }

// TopicDefs returns the definitions of every topic config, in table order.
func TopicDefs() []Def { return append([]Def(nil), topicDefs...) }

// LookupBroker returns the definition of a broker config.
func LookupBroker(name string) (Def, bool) {
	d, ok := brokerIndex[name]
	if !ok {
		return Def{}, false
	}
	return *d, true
}

// LookupTopic returns the definition of a topic config.
func LookupTopic(name string) (Def, bool) {
	d, ok := topicIndex[name]
	if !ok {
		return Def{}, false
	}
	return *d, true
}

// IsList reports whether the named topic or broker config is of type LIST,
// the only kind IncrementalAlterConfigs APPEND and SUBTRACT apply to.
func IsList(name string) bool {
	if d, ok := topicIndex[name]; ok {
		return d.Type == TypeList
	}
	if d, ok := brokerIndex[name]; ok {
		return d.Type == TypeList
	}
	return false
}
