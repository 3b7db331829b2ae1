package config

import (
	"sort"
	"strings"
)

// envPrefixes are the environment prefixes that carry properties, lowest
// precedence first: KAFKA_ (as Apache Kafka's Docker image) then GREGOR_.
var envPrefixes = []string{"KAFKA_", "GREGOR_"}

// envIgnored are variables with a config prefix that are not properties:
// Kafka's launcher scripts read them, and Gregor's tests read
// GREGOR_TEST_LOG.
var envIgnored = map[string]bool{
	"KAFKA_HEAP_OPTS": true, "KAFKA_OPTS": true, "KAFKA_JVM_PERFORMANCE_OPTS": true,
	"KAFKA_JMX_OPTS": true, "KAFKA_LOG4J_OPTS": true, "KAFKA_GC_LOG_OPTS": true,
	"KAFKA_DEBUG": true, "KAFKA_HOME": true, "KAFKA_VERSION": true,
	"KAFKA_LOG4J_LOGGERS": true, "KAFKA_LOG4J_ROOT_LOGLEVEL": true,
	"KAFKA_TOOLS_LOG4J_LOGLEVEL": true, "KAFKA_LOG_DIR": true,
	"GREGOR_TEST_LOG": true,
}

// EnvName returns the GREGOR_ environment variable that sets a property:
// uppercase, '.' as '_', '_' as "__" and '-' as "___", the convention of
// Apache Kafka's Docker image (which reads the same names with a KAFKA_
// prefix). EnvName("log.retention.ms") is "GREGOR_LOG_RETENTION_MS".
func EnvName(property string) string {
	r := strings.NewReplacer("-", "___", "_", "__", ".", "_")
	return "GREGOR_" + strings.ToUpper(r.Replace(property))
}

// propertyFromEnv is EnvName's inverse without the prefix.
func propertyFromEnv(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		n := 0
		for i+n < len(s) && s[i+n] == '_' {
			n++
		}
		switch {
		case n == 0:
			b.WriteByte(s[i])
			i++
			continue
		case n == 1:
			b.WriteByte('.')
		case n == 2:
			b.WriteByte('_')
		default:
			b.WriteByte('-')
			n = 3
		}
		i += n
	}
	return strings.ToLower(b.String())
}

// envProperties extracts the properties of env (KEY=value entries): the
// KAFKA_ ones first, then the GREGOR_ ones, each group in name order, so
// that applying them in order gives GREGOR_ the last word.
func envProperties(env []string) []Property {
	var out []Property
	for _, prefix := range envPrefixes {
		var group []Property
		for _, kv := range env {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || !strings.HasPrefix(k, prefix) || len(k) == len(prefix) || envIgnored[k] {
				continue
			}
			group = append(group, Property{Key: propertyFromEnv(k[len(prefix):]), Value: v, Origin: "environment " + k})
		}
		sort.SliceStable(group, func(i, j int) bool { return group[i].Origin < group[j].Origin })
		out = append(out, group...)
	}
	return out
}
