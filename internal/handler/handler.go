package handler

import (
	"context"
	"log/slog"
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Request is one decoded request as the server hands it to a handler.
type Request struct {
	// Ctx ends when the connection closes or the server stops; a handler
	// that waits (a long-poll fetch, a produce waiting for fsync) must
	// stop waiting when it ends.
	Ctx           context.Context
	Key           int16
	Version       int16
	CorrelationID int32
	ClientID      string
	ClientAddr    net.Addr
	// Msg is the decoded body, already set to Version.
	Msg kmsg.Request
}

// Reply is what a handler returns: a response now, a response computed
// later (in request order with the connection's other responses), no
// response at all (acks=0 produce), or an instruction to close the
// connection.
type Reply struct {
	resp  kmsg.Response
	later func() kmsg.Response
	none  bool
	close error
}

// Now replies with resp.
func Now(resp kmsg.Response) Reply { return Reply{resp: resp} }

// Later replies with the response f returns. The server calls f on the
// connection's writer goroutine, after every earlier response was written,
// so f may block (it must honour Request.Ctx).
func Later(f func() kmsg.Response) Reply { return Reply{later: f} }

// None sends no response (Produce with acks=0).
func None() Reply { return Reply{none: true} }

// Close closes the connection without a response, for the reason given
// (which the server logs).
func Close(reason error) Reply { return Reply{close: reason} }

// Response returns the response to send, waiting for a Later one; nil
// means send nothing.
func (r Reply) Response() kmsg.Response {
	if r.later != nil {
		return r.later()
	}
	return r.resp
}

// CloseReason is non-nil when the connection must be closed.
func (r Reply) CloseReason() error { return r.close }

// NoResponse reports whether nothing is to be sent.
func (r Reply) NoResponse() bool { return r.none }

// Func handles one API key.
type Func func(r *Request) Reply

// Entry is one row of the dispatch table: an API key, the versions served,
// and the handler.
type Entry struct {
	Key        int16
	MinVersion int16
	MaxVersion int16
	Handle     Func
}

// Table maps API keys to handlers. It is the single source of truth for
// both dispatch and the ApiVersions response.
type Table struct {
	entries [kmsg.MaxKey + 1]*Entry
	logger  *slog.Logger
}

// Lookup returns the entry for key, or nil if the key is not served.
func (t *Table) Lookup(key int16) *Entry {
	if key < 0 || int(key) >= len(t.entries) {
		return nil
	}
	return t.entries[key]
}

// Entries returns the served entries in key order.
func (t *Table) Entries() []*Entry {
	var out []*Entry
	for _, e := range t.entries {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func (t *Table) register(e Entry) {
	if t.entries[e.Key] != nil {
		panic("handler: API key registered twice: " + kmsg.NameForKey(e.Key))
	}
	t.entries[e.Key] = &e
}

// NewTable builds a table from explicit entries (tests of the server use
// it; the broker uses New).
func NewTable(logger *slog.Logger, entries ...Entry) *Table {
	if logger == nil {
		logger = slog.Default()
	}
	t := &Table{logger: logger}
	for _, e := range entries {
		t.register(e)
	}
	return t
}
