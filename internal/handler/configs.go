package handler

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/metadata"
)

// Config resource types (Kafka's ConfigResource.Type).
const (
	resourceTopic        = kmsg.ConfigResourceTypeTopic
	resourceBroker       = kmsg.ConfigResourceTypeBroker
	resourceBrokerLogger = kmsg.ConfigResourceTypeBrokerLogger
)

// configTarget is a resolved config resource: its current overrides and
// how to validate and store a change.
type configTarget struct {
	res       metadata.ConfigResource
	overrides map[string]string
	validate  func(map[string]string) error
	// describe returns the effective value of a config (for APPEND and
	// SUBTRACT on a list that has no override yet).
	describe func(name string) []config.Entry
}

// resolveConfigTarget finds a TOPIC or BROKER resource. A broker resource
// is this broker's id, or "" for the cluster-wide dynamic default.
func (h *handlers) resolveConfigTarget(typ kmsg.ConfigResourceType, name string) (*configTarget, *kerr.Error, string) {
	img := h.image()
	cfg := h.env.Config()
	switch typ {
	case resourceTopic:
		t := img.Topics[name]
		if t == nil {
			return nil, kerr.UnknownTopicOrPartition, "topic " + name + " does not exist"
		}
		return &configTarget{
			res:       metadata.ConfigResource{Type: metadata.TopicResource, Name: name},
			overrides: t.Configs,
			validate:  config.ValidateTopicConfigs,
			describe:  func(k string) []config.Entry { return cfg.DescribeTopic(t.Configs, []string{k}) },
		}, nil, ""
	case resourceBroker:
		if name != "" && name != strconv.Itoa(int(h.env.NodeID)) {
			return nil, kerr.InvalidRequest, fmt.Sprintf("unexpected broker id %q: this broker is %d (or use \"\" for the cluster-wide default)", name, h.env.NodeID)
		}
		return &configTarget{
			res:       metadata.ConfigResource{Type: metadata.BrokerResource, Name: name},
			overrides: img.BrokerConfigs[name],
			validate:  config.ValidateDynamic,
			describe:  func(k string) []config.Entry { return cfg.DescribeBroker([]string{k}) },
		}, nil, ""
	case resourceBrokerLogger:
		return nil, kerr.InvalidRequest, "BROKER_LOGGER configs are not supported by Gregor"
	}
	return nil, kerr.InvalidRequest, fmt.Sprintf("config resource type %d is not supported", typ)
}

// configErrorCode maps a config validation error to Kafka's code: a
// broker config that cannot change at run time is INVALID_REQUEST (as
// Kafka), anything else INVALID_CONFIG.
func configErrorCode(err error) *kerr.Error {
	if errors.Is(err, config.ErrReadOnly) {
		return kerr.InvalidRequest
	}
	return kerr.InvalidConfig
}

// storeConfigs validates the overrides that result from set (nil value:
// delete) and, unless validateOnly, writes the change to the metadata log.
func (h *handlers) storeConfigs(r *Request, t *configTarget, set map[string]*string, replace, validateOnly bool) (*kerr.Error, string) {
	result := map[string]string{}
	if !replace {
		for k, v := range t.overrides {
			result[k] = v
		}
	}
	for k, v := range set {
		if v == nil {
			delete(result, k)
		} else {
			result[k] = *v
		}
	}
	if err := t.validate(result); err != nil {
		return configErrorCode(err), err.Error()
	}
	if validateOnly {
		return nil, ""
	}
	ctx, cancel := timeout(r.Ctx, 0)
	defer cancel()
	if err := h.env.Meta.AlterConfigs(ctx, t.res, set, replace); err != nil {
		return kerr.ErrorForCode(code(h.log, "AlterConfigs", err, kerr.RequestTimedOut)).(*kerr.Error), err.Error()
	}
	if err := h.env.Reconcile(); err != nil {
		h.log.Error("applying new configs failed", "resource", t.res.Name, "err", err)
	}
	return nil, ""
}

// resourceKey identifies a resource to find repeats in one request.
type resourceKey struct {
	typ  kmsg.ConfigResourceType
	name string
}

// resourceResult is the outcome of altering one config resource.
type resourceResult struct {
	code int16
	msg  *string
}

// alterEach runs one for every resource of an AlterConfigs or
// IncrementalAlterConfigs request, in order, refusing a resource that the
// request names twice (INVALID_REQUEST, as Kafka).
func alterEach[R any](resources []R, key func(R) resourceKey, one func(R) (*kerr.Error, string)) []resourceResult {
	seen := countKeys(resources, key)
	out := make([]resourceResult, len(resources))
	for i, r := range resources {
		e, msg := kerr.InvalidRequest, "resource "+key(r).name+" appears more than once in the request"
		if seen[key(r)] == 1 {
			e, msg = one(r)
		}
		if e != nil {
			out[i] = resourceResult{code: e.Code, msg: &msg}
		}
	}
	return out
}

// countKeys counts how often each key occurs in items, so a handler can
// refuse a topic or resource named twice in one request (INVALID_REQUEST).
func countKeys[T any, K comparable](items []T, key func(T) K) map[K]int {
	counts := make(map[K]int, len(items))
	for _, it := range items {
		counts[key(it)]++
	}
	return counts
}
