package handler

// IncrementalAlterConfigs (key 44)
//
//	v0: per-config operations: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT
//	    (KIP-339)
//	v1: flexible
//
// APPEND and SUBTRACT apply to LIST configs only, starting from the
// current value (the override, else the default).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/config"
)

func (h *handlers) incrementalAlterConfigs(r *Request) Reply {
	req := r.Msg.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	resp.SetVersion(r.Version)
	key := func(rr kmsg.IncrementalAlterConfigsRequestResource) resourceKey {
		return resourceKey{rr.ResourceType, rr.ResourceName}
	}
	results := alterEach(req.Resources, key, func(rr kmsg.IncrementalAlterConfigsRequestResource) (*kerr.Error, string) {
		return h.incrementalOne(r, rr, req.ValidateOnly)
	})
	for i, rr := range req.Resources {
		sr := kmsg.NewIncrementalAlterConfigsResponseResource()
		sr.ResourceType, sr.ResourceName = rr.ResourceType, rr.ResourceName
		sr.ErrorCode, sr.ErrorMessage = results[i].code, results[i].msg
		resp.Resources = append(resp.Resources, sr)
	}
	return Now(resp)
}

func (h *handlers) incrementalOne(r *Request, rr kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) (*kerr.Error, string) {
	t, e, msg := h.resolveConfigTarget(rr.ResourceType, rr.ResourceName)
	if e != nil {
		return e, msg
	}
	set := map[string]*string{}
	for _, c := range rr.Configs {
		if _, dup := set[c.Name]; dup {
			return kerr.InvalidRequest, "config " + c.Name + " appears more than once"
		}
		switch c.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			if c.Value == nil {
				return kerr.InvalidRequest, "SET of " + c.Name + " has a null value"
			}
			set[c.Name] = c.Value
		case kmsg.IncrementalAlterConfigOpDelete:
			set[c.Name] = nil
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			if !config.IsList(c.Name) {
				return kerr.InvalidConfig, c.Name + " is not a list config; APPEND and SUBTRACT apply to lists only"
			}
			if c.Value == nil {
				return kerr.InvalidRequest, "APPEND/SUBTRACT of " + c.Name + " has a null value"
			}
			cur := ""
			if entries := t.describe(c.Name); len(entries) == 1 && entries[0].Value != nil {
				cur = *entries[0].Value
			}
			next := config.AppendList(cur, *c.Value)
			if c.Op == kmsg.IncrementalAlterConfigOpSubtract {
				next = config.SubtractList(cur, *c.Value)
			}
			set[c.Name] = &next
		default:
			return kerr.InvalidRequest, "unknown operation on " + c.Name
		}
	}
	return h.storeConfigs(r, t, set, false, validateOnly)
}
