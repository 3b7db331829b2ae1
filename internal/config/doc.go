// Package config is Gregor's broker and topic configuration, under Apache
// Kafka's property names so that a server.properties mostly carries over.
//
// One table per kind (brokerDefs, topicDefs: a Def per property with its
// type, default, documentation, validator, and whether it is dynamic or
// sensitive) drives everything: parsing and validation in Load,
// resolution into the typed Broker and Topic structs, DescribeConfigs
// entries (DescribeBroker, DescribeTopic) and docs/configuration.md (kept
// in sync by a test; regenerate with go test ./internal/config -run
// TestDocs -update).
//
// Precedence, lowest first:
//   - broker configs: default < static (properties file < KAFKA_* env <
//     GREGOR_* env < flags) < cluster-wide dynamic < per-broker dynamic;
//     within one source, the more precise unit wins (log.retention.ms >
//     log.retention.minutes > log.retention.hours, log.roll.ms >
//     log.roll.hours, log.dirs > log.dir, node.id > broker.id);
//   - topic configs: the topic's override, else its broker synonym's
//     effective value (retention.ms <- log.retention.ms, ...), else the
//     topic default.
//
// Ownership and concurrency: a *Broker is immutable once Load or
// WithDynamic returns it; WithDynamic returns a new one. Share it freely
// between goroutines (the broker swaps the effective one atomically when
// the metadata log changes). Topic is a plain value. The tables are
// read-only package state.
//
// Errors: a problem with one property is an *Error wrapping a sentinel,
// to be checked with errors.Is: ErrUnknown (no such config), ErrInvalidValue
// (does not parse, or out of range), ErrReadOnly (not dynamically
// updatable), ErrNotSupported (a valid Kafka value Gregor does not
// implement: cleanup.policy=compact, remote.storage.enable=true). The
// handlers map all of them but ErrReadOnly to INVALID_CONFIG; the error
// text names the property, the value and what is allowed, and is meant
// for the client. Load wraps them with where the value came from
// ("server.properties:12", "environment GREGOR_NUM_PARTITIONS", "flag");
// a malformed file gives ErrSyntax. Unknown broker properties are
// warnings, not errors: Load returns them for the caller to log.
//
// Gregor's one deliberate default that differs from Kafka's durability:
// log.flush.interval.messages (and so flush.messages) is 1, so a produce
// with acks != 0 is answered only after its batch is fsynced (with group
// commit). Kafka's default, 9223372036854775807, leaves flushing to the OS.
package config
