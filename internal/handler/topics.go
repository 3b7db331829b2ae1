package handler

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// errInvalidTopic marks a topic name Kafka would refuse.
var errInvalidTopic = errors.New("invalid topic name")

// validateTopicName applies Kafka's rules: 1-249 characters of
// [a-zA-Z0-9._-], not "." or "..".
func validateTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: the name is empty", errInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q is not allowed", errInvalidTopic, name)
	case len(name) > 249:
		return fmt.Errorf("%w: %d characters, at most 249 are allowed", errInvalidTopic, len(name))
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: %q has %q; only letters, digits, '.', '_' and '-' are allowed", errInvalidTopic, name, c)
		}
	}
	return nil
}

// collidingTopic returns an existing topic whose name equals name once '.'
// is read as '_' (their metric names would collide), or "".
func collidingTopic(img *metadata.Image, name string) string {
	norm := strings.ReplaceAll(name, ".", "_")
	for existing := range img.Topics {
		if existing != name && strings.ReplaceAll(existing, ".", "_") == norm {
			return existing
		}
	}
	return ""
}

// maxPartitionsPerRequest bounds the partitions one CreateTopics or
// CreatePartitions operation may add, as Kafka's controller does (10,000
// records per operation), so a single request cannot exhaust the broker.
const maxPartitionsPerRequest = 10000

// topicRequest is a topic to create, from CreateTopics or auto-creation.
type topicRequest struct {
	name              string
	partitions        int32 // -1: num.partitions
	replicationFactor int16 // -1: default.replication.factor
	assignments       [][]int32
	configs           map[string]string
}

// checkTopic validates a creation and fills defaults; it returns a Kafka
// error and a message.
func (h *handlers) checkTopic(img *metadata.Image, cfg *config.Broker, t *topicRequest) (*kerr.Error, string) {
	if err := validateTopicName(t.name); err != nil {
		return kerr.InvalidTopicException, err.Error()
	}
	if img.Topics[t.name] != nil {
		return kerr.TopicAlreadyExists, fmt.Sprintf("topic %q already exists", t.name)
	}
	if other := collidingTopic(img, t.name); other != "" {
		return kerr.InvalidTopicException, fmt.Sprintf("topic %q collides with existing topic %q ('.' and '_' collide)", t.name, other)
	}
	if len(t.assignments) > 0 {
		if t.partitions != -1 || t.replicationFactor != -1 {
			return kerr.InvalidRequest, "both replica assignments and a partition count or replication factor were given"
		}
		t.partitions = int32(len(t.assignments))
		t.replicationFactor = int16(len(t.assignments[0]))
		for i, a := range t.assignments {
			if len(a) == 0 || len(a) != int(t.replicationFactor) {
				return kerr.InvalidReplicaAssignment, fmt.Sprintf("partition %d has %d replicas; all partitions need the same non-zero count", i, len(a))
			}
			for _, b := range a {
				if img.Brokers[b] == nil {
					return kerr.InvalidReplicaAssignment, fmt.Sprintf("partition %d is assigned to unknown broker %d", i, b)
				}
			}
		}
	}
	if t.partitions == -1 {
		t.partitions = int32(cfg.NumPartitions)
	}
	if t.replicationFactor == -1 {
		t.replicationFactor = int16(cfg.DefaultReplicationFactor)
	}
	if t.partitions <= 0 {
		return kerr.InvalidPartitions, fmt.Sprintf("partition count %d must be positive (or -1 for num.partitions)", t.partitions)
	}
	if t.partitions > maxPartitionsPerRequest {
		return kerr.PolicyViolation, fmt.Sprintf("%d partitions in one request; at most %d may be created at once", t.partitions, maxPartitionsPerRequest)
	}
	if t.replicationFactor <= 0 {
		return kerr.InvalidReplicationFactor, fmt.Sprintf("replication factor %d must be positive (or -1 for default.replication.factor)", t.replicationFactor)
	}
	if int(t.replicationFactor) > len(img.Brokers) {
		return kerr.InvalidReplicationFactor, fmt.Sprintf("replication factor %d is larger than the %d available brokers", t.replicationFactor, len(img.Brokers))
	}
	if err := config.ValidateTopicConfigs(t.configs); err != nil {
		return kerr.InvalidConfig, err.Error()
	}
	return nil, ""
}

// createTopic proposes a validated topic to the metadata quorum and makes
// the new partitions usable before returning.
func (h *handlers) createTopic(ctx context.Context, t *topicRequest) (*metadata.Topic, error) {
	topic, err := h.env.Meta.CreateTopic(ctx, metadata.TopicSpec{
		Name:              t.name,
		NumPartitions:     t.partitions,
		ReplicationFactor: t.replicationFactor,
		Assignments:       t.assignments,
		Configs:           t.configs,
	})
	if err != nil {
		return nil, err
	}
	if err := h.env.Reconcile(); err != nil {
		h.log.Error("opening the partitions of a new topic failed", "topic", t.name, "err", err)
		return topic, fmt.Errorf("topic %s was created but its partitions could not be opened on this broker: %w", t.name, err)
	}
	return topic, nil
}

func isTopicExists(err error) bool { return errors.Is(err, metadata.ErrTopicExists) }
