package handler

// AlterConfigs (key 33)
//
//	v0: replace the whole config set of resources (legacy: a key left out
//	    goes back to its default)
//	v1: no change
//	v2: flexible
//
// Topic configs are checked like CreateTopics' (INVALID_CONFIG on an
// unknown key or a bad value); broker configs must be dynamically
// updatable.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) alterConfigs(r *Request) Reply {
	req := r.Msg.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	resp.SetVersion(r.Version)
	key := func(rr kmsg.AlterConfigsRequestResource) resourceKey {
		return resourceKey{rr.ResourceType, rr.ResourceName}
	}
	results := alterEach(req.Resources, key, func(rr kmsg.AlterConfigsRequestResource) (*kerr.Error, string) {
		return h.alterOne(r, rr, req.ValidateOnly)
	})
	for i, rr := range req.Resources {
		sr := kmsg.NewAlterConfigsResponseResource()
		sr.ResourceType, sr.ResourceName = rr.ResourceType, rr.ResourceName
		sr.ErrorCode, sr.ErrorMessage = results[i].code, results[i].msg
		resp.Resources = append(resp.Resources, sr)
	}
	return Now(resp)
}

func (h *handlers) alterOne(r *Request, rr kmsg.AlterConfigsRequestResource, validateOnly bool) (*kerr.Error, string) {
	t, e, msg := h.resolveConfigTarget(rr.ResourceType, rr.ResourceName)
	if e != nil {
		return e, msg
	}
	set := map[string]*string{}
	for _, c := range rr.Configs {
		if _, dup := set[c.Name]; dup {
			return kerr.InvalidRequest, "config " + c.Name + " appears more than once"
		}
		if c.Value == nil {
			return kerr.InvalidRequest, "config " + c.Name + " has a null value; AlterConfigs replaces the whole set, leave the key out to reset it"
		}
		set[c.Name] = c.Value
	}
	return h.storeConfigs(r, t, set, true, validateOnly)
}
