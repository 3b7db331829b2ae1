package server

import (
	"context"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzDispatch feeds arbitrary frames to the header parser and the
// dispatcher: nothing may panic, whatever the bytes.
func FuzzDispatch(f *testing.F) {
	for _, req := range []kmsg.Request{kmsg.NewPtrMetadataRequest(), kmsg.NewPtrApiVersionsRequest()} {
		for v := int16(0); v <= req.MaxVersion(); v++ {
			req.SetVersion(v)
			_, b := frame(req.Key(), v, 1, "seed", req.IsFlexible(), req.AppendTo(nil))
			f.Add(b)
		}
	}
	f.Add([]byte{0, 18, 0, 9, 0, 0, 0, 1, 0xff, 0xff, 0})
	f.Add([]byte{})
	s := New(Config{Table: testTable(0), Logger: quiet})
	defer s.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		c1, c2 := net.Pipe()
		defer c1.Close()
		defer c2.Close()
		c := newConn(s, c1)
		c.ctx, c.cancel = context.WithCancel(context.Background())
		defer c.cancel()
		p, err := c.dispatch(b)
		if err == nil && !p.reply.NoResponse() && p.reply.CloseReason() == nil {
			if resp := p.reply.Response(); resp != nil {
				appendResponse(nil, p.correlationID, resp)
			}
		}
	})
}
