package handler

// ApiVersions (key 18)
//
//	v0: the list of API keys with min and max versions
//	v1: throttle time
//	v2: no change
//	v3: flexible; client software name and version; supported and
//	    finalized features (KIP-511, KIP-584)
//	v4: no change (lets clients detect a broker that answers v0 on
//	    UNSUPPORTED_VERSION correctly)
//
// The response header is always v0 (no tag section) so a client that sent
// a version we do not serve can read the error; that case is answered by
// UnsupportedApiVersions with a v0 body.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (h *handlers) apiVersions(r *Request) Reply {
	resp := r.Msg.(*kmsg.ApiVersionsRequest).ResponseKind().(*kmsg.ApiVersionsResponse)
	resp.SetVersion(r.Version)
	resp.ApiKeys = h.apiKeys(nil)
	return Now(resp)
}

// apiKeys lists the served APIs; a nil table means the handlers' own.
func (h *handlers) apiKeys(t *Table) []kmsg.ApiVersionsResponseApiKey {
	var keys []kmsg.ApiVersionsResponseApiKey
	var entries []Entry
	if t != nil {
		for _, e := range t.Entries() {
			entries = append(entries, *e)
		}
	} else {
		entries = h.entries()
	}
	for _, e := range entries {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = e.Key, e.MinVersion, e.MaxVersion
		keys = append(keys, k)
	}
	return keys
}

// UnsupportedApiVersions is the answer to an ApiVersions request whose
// version is above the served range: a v0 body with UNSUPPORTED_VERSION and
// only ApiVersions' own range, so the client retries with a version we
// serve (KIP-511).
func (t *Table) UnsupportedApiVersions() *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	if e := t.Lookup(18); e != nil {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = e.Key, e.MinVersion, e.MaxVersion
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	return resp
}
