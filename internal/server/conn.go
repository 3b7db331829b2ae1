package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/handler"
)

// conn is one client connection: a reader goroutine (run) and a writer
// goroutine (writeLoop), joined by the pending channel that keeps
// responses in request order.
type conn struct {
	s       *Server
	nc      net.Conn
	ctx     context.Context
	cancel  context.CancelFunc
	pending chan pending
}

type pending struct {
	correlationID int32
	key           int16
	reply         handler.Reply
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{s: s, nc: nc, pending: make(chan pending, s.cfg.MaxInFlight)}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	return c
}

// run reads and dispatches requests until the connection fails or is
// closed, then waits for the writer.
func (c *conn) run() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.writeLoop()
	}()
	err := c.readLoop()
	close(c.pending)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && c.ctx.Err() == nil {
		c.s.cfg.Logger.Warn("closing connection", "remote", c.nc.RemoteAddr().String(), "err", err)
	}
	if err != nil {
		// A protocol error: drop what is queued rather than answer
		// after the offending request.
		c.cancel()
		c.nc.Close()
	}
	<-done
	c.cancel()
	c.nc.Close()
}

func (c *conn) readLoop() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var sizeBuf [4]byte
	for {
		if _, err := io.ReadFull(br, sizeBuf[:]); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: connection closed inside a frame size", ErrMalformed)
			}
			return err
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < 0 || size > c.s.cfg.MaxRequestSize {
			return fmt.Errorf("%w: frame of %d bytes exceeds socket.request.max.bytes (%d)", ErrMalformed, size, c.s.cfg.MaxRequestSize)
		}
		frame := make([]byte, size)
		if _, err := io.ReadFull(br, frame); err != nil {
			return fmt.Errorf("%w: connection closed inside a %d-byte frame: %v", ErrMalformed, size, err)
		}
		p, err := c.dispatch(frame)
		if err != nil {
			return err
		}
		if p.reply.CloseReason() != nil {
			return p.reply.CloseReason()
		}
		select {
		case c.pending <- p:
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}

// dispatch decodes one frame and runs its handler.
func (c *conn) dispatch(frame []byte) (p pending, err error) {
	h, body, err := parseHeader(frame)
	if err != nil {
		return p, err
	}
	p.correlationID, p.key = h.correlationID, h.key
	table := c.s.cfg.Table
	e := table.Lookup(h.key)
	if e == nil {
		return p, fmt.Errorf("%w: unknown or unsupported API key %d", ErrMalformed, h.key)
	}
	if h.version < e.MinVersion || h.version > e.MaxVersion {
		if h.key == kmsg.ApiVersions.Int16() {
			p.reply = handler.Now(table.UnsupportedApiVersions())
			return p, nil
		}
		return p, fmt.Errorf("%w: %s v%d is outside the served range v%d-v%d", ErrMalformed, kmsg.NameForKey(h.key), h.version, e.MinVersion, e.MaxVersion)
	}
	req := kmsg.RequestForKey(h.key)
	req.SetVersion(h.version)
	if err := req.ReadFrom(body); err != nil {
		return p, fmt.Errorf("%w: %s v%d body: %v", ErrMalformed, kmsg.NameForKey(h.key), h.version, err)
	}
	r := &handler.Request{
		Ctx: c.ctx, Key: h.key, Version: h.version, CorrelationID: h.correlationID,
		ClientID: h.clientID, ClientAddr: c.nc.RemoteAddr(), Msg: req,
	}
	defer func() {
		if v := recover(); v != nil {
			c.s.cfg.Logger.Error("handler panicked; closing its connection", "api", kmsg.NameForKey(h.key), "version", h.version, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler %s panicked: %v", kmsg.NameForKey(h.key), v)
		}
	}()
	p.reply = e.Handle(r)
	return p, nil
}

// writeLoop writes responses in request order, waiting for deferred ones.
func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var buf []byte
	for p := range c.pending {
		resp, err := c.resolve(p)
		if err != nil {
			c.s.cfg.Logger.Error("response failed; closing connection", "remote", c.nc.RemoteAddr().String(), "err", err)
			c.nc.Close()
			c.drain()
			return
		}
		if resp == nil {
			continue
		}
		if pr, ok := resp.(PartedResponse); ok {
			err = writeParted(bw, c.nc, buf, p.correlationID, pr)
		} else {
			buf = appendResponse(buf[:0], p.correlationID, resp)
			_, err = bw.Write(buf)
		}
		if err != nil {
			c.nc.Close()
			c.drain()
			return
		}
		if len(c.pending) == 0 {
			if err := bw.Flush(); err != nil {
				c.nc.Close()
				c.drain()
				return
			}
		}
		if cap(buf) > 1<<20 {
			buf = nil
		}
	}
	bw.Flush()
}

// resolve computes a pending response, recovering a panic in a deferred
// handler.
func (c *conn) resolve(p pending) (resp kmsg.Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.s.cfg.Logger.Error("deferred handler panicked", "api", kmsg.NameForKey(p.key), "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("deferred handler %s panicked: %v", kmsg.NameForKey(p.key), v)
		}
	}()
	if p.reply.NoResponse() {
		return nil, nil
	}
	return p.reply.Response(), nil
}

// drain consumes what the reader still queues after the writer failed, so
// the reader never blocks on a full channel.
func (c *conn) drain() {
	c.cancel()
	for range c.pending {
	}
}
