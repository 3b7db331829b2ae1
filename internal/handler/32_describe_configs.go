package handler

// DescribeConfigs (key 32)
//
//	v0: configs with read_only, is_default, is_sensitive
//	v1: source and synonyms replace is_default (served from v1)
//	v2: no change
//	v3: config type and documentation (KIP-569)
//	v4: flexible
//
// Every config is described, including those at their default, because
// admin tools read-modify-write the whole set. Sensitive values are null.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/config"
)

func (h *handlers) describeConfigs(r *Request) Reply {
	req := r.Msg.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	resp.SetVersion(r.Version)
	cfg := h.env.Config()
	for _, rr := range req.Resources {
		sr := kmsg.NewDescribeConfigsResponseResource()
		sr.ResourceType, sr.ResourceName = rr.ResourceType, rr.ResourceName
		t, e, msg := h.resolveConfigTarget(rr.ResourceType, rr.ResourceName)
		if e != nil {
			sr.ErrorCode, sr.ErrorMessage = e.Code, &msg
			resp.Resources = append(resp.Resources, sr)
			continue
		}
		var entries []config.Entry
		switch {
		case rr.ResourceType == resourceTopic:
			entries = cfg.DescribeTopic(t.overrides, rr.ConfigNames)
		case rr.ResourceName == "":
			// The cluster-wide default resource holds only what was
			// set dynamically for it.
			for _, e := range cfg.DescribeBroker(rr.ConfigNames) {
				if _, ok := t.overrides[e.Name]; ok {
					entries = append(entries, e)
				}
			}
		default:
			entries = cfg.DescribeBroker(rr.ConfigNames)
		}
		for _, e := range entries {
			sr.Configs = append(sr.Configs, describedConfig(e, req))
		}
		resp.Resources = append(resp.Resources, sr)
	}
	return Now(resp)
}

func describedConfig(e config.Entry, req *kmsg.DescribeConfigsRequest) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.Value, c.ReadOnly, c.IsSensitive = e.Name, e.Value, e.ReadOnly, e.Sensitive
	c.Source = kmsg.ConfigSource(e.Source)
	c.IsDefault = e.Source == config.SourceDefault
	c.ConfigType = kmsg.ConfigType(e.Type)
	if req.IncludeSynonyms {
		for _, s := range e.Synonyms {
			syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			syn.Name, syn.Value, syn.Source = s.Name, s.Value, kmsg.ConfigSource(s.Source)
			c.ConfigSynonyms = append(c.ConfigSynonyms, syn)
		}
	}
	if req.IncludeDocumentation && e.Doc != "" {
		doc := e.Doc
		c.Documentation = &doc
	}
	return c
}
