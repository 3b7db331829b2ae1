package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/handler"
)

// Config configures a Server. The zero value of every field but Table works.
type Config struct {
	// Table dispatches requests; required.
	Table *handler.Table
	// MaxRequestSize is socket.request.max.bytes (default 104857600):
	// a larger frame closes the connection.
	MaxRequestSize int32
	// MaxInFlight bounds the responses queued on one connection before
	// the reader stops reading (default 100).
	MaxInFlight int
	Logger      *slog.Logger
}

// Server serves the Kafka protocol on one or more listeners.
type Server struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		listeners []net.Listener
		conns     map[*conn]struct{}
		closed    bool
	}
}

// New returns a server that is not yet listening.
func New(cfg Config) *Server {
	if cfg.MaxRequestSize <= 0 {
		cfg.MaxRequestSize = 104857600
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 100
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.conns = make(map[*conn]struct{})
	return s
}

// ErrClosed is returned by Serve after Close.
var ErrClosed = errors.New("server closed")

// Serve accepts connections on ln in a new goroutine and returns at once.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		ln.Close()
		return ErrClosed
	}
	s.mu.listeners = append(s.mu.listeners, ln)
	s.wg.Add(1)
	go s.acceptLoop(ln)
	return nil
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, a connection aborted before
			// accept: wait and keep serving, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.cfg.Logger.Error("accept failed; retrying", "addr", ln.Addr().String(), "err", err, "in", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-s.ctx.Done():
				return
			}
		}
		backoff = 0
		c := newConn(s, nc)
		s.mu.Lock()
		if s.mu.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.mu.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.run()
			s.mu.Lock()
			delete(s.mu.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops every listener and connection and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return nil
	}
	s.mu.closed = true
	s.cancel()
	for _, ln := range s.mu.listeners {
		ln.Close()
	}
	for c := range s.mu.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
