package fault

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SourceFunc names the node that opened a connection whose client end is
// remote (0: not a node, e.g. this test process).
type SourceFunc func(remote *net.TCPAddr) int

// Proxy forwards TCP connections from its listener to target. Connections
// opened by blocked nodes are refused (accepted and closed at once) and,
// when a node becomes blocked, its open connections are closed. While the
// target process is down (Down), the proxy does not listen, so clients
// get "connection refused" as from a dead node rather than a connection
// closed at once.
type Proxy struct {
	addr   string
	target string
	source SourceFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		blocked map[int]bool
		conns   map[*proxied]struct{}
		closed  bool
		ln      net.Listener // nil while Down
	}
}

// proxied is one client connection and its upstream connection.
type proxied struct {
	src       int
	down, up  net.Conn
	closeOnce sync.Once
}

func (c *proxied) close() {
	c.closeOnce.Do(func() {
		// Errors closing a connection we are dropping carry nothing.
		_ = c.down.Close()
		_ = c.up.Close()
	})
}

// NewProxy listens on a free loopback port and forwards to target.
func NewProxy(target string, source SourceFunc) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	p := &Proxy{addr: ln.Addr().String(), target: target, source: source}
	p.mu.blocked = map[int]bool{}
	p.mu.conns = map[*proxied]struct{}{}
	p.mu.ln = ln
	p.wg.Add(1)
	go p.acceptLoop(ln)
	return p, nil
}

// Addr is the address peers dial.
func (p *Proxy) Addr() string { return p.addr }

// Down stops listening (the target process is gone) and closes the
// proxied connections.
func (p *Proxy) Down() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.mu.conns {
		c.close()
	}
	clear(p.mu.conns)
	if p.mu.ln == nil {
		return nil
	}
	err := p.mu.ln.Close()
	p.mu.ln = nil
	return err
}

// Up listens again on the same address (the target is starting).
func (p *Proxy) Up() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.ln != nil || p.mu.closed {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("proxy listen again on %s: %w", p.addr, err)
	}
	p.mu.ln = ln
	p.wg.Add(1)
	go p.acceptLoop(ln)
	return nil
}

// Block refuses connections from the given nodes and closes theirs.
func (p *Proxy) Block(nodes ...int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range nodes {
		p.mu.blocked[n] = true
	}
	for c := range p.mu.conns {
		if p.mu.blocked[c.src] {
			c.close()
			delete(p.mu.conns, c)
		}
	}
}

// Heal lets every node through again.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.mu.blocked)
}

// Close stops accepting, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.mu.closed = true
	for c := range p.mu.conns {
		c.close()
	}
	clear(p.mu.conns)
	var err error
	if p.mu.ln != nil {
		err = p.mu.ln.Close()
		p.mu.ln = nil
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) acceptLoop(ln net.Listener) {
	defer p.wg.Done()
	for {
		down, err := ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go p.serve(down)
	}
}

// serve identifies down's source, refuses it if blocked, else connects it
// to the target and copies both ways.
func (p *Proxy) serve(down net.Conn) {
	defer p.wg.Done()
	src := p.source(down.RemoteAddr().(*net.TCPAddr))
	if !p.admit(src) {
		_ = down.Close() // refused: the cut
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = down.Close() // target down (killed node): the client sees a reset, as it would
		return
	}
	c := &proxied{src: src, down: down, up: up}
	if !p.track(c) {
		c.close()
		return
	}
	p.wg.Add(2)
	go p.copy(c, c.up, c.down)
	go p.copy(c, c.down, c.up)
}

func (p *Proxy) admit(src int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.mu.closed && !p.mu.blocked[src]
}

// track registers c unless the proxy closed or c's source was blocked
// since it was admitted.
func (p *Proxy) track(c *proxied) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.closed || p.mu.blocked[c.src] {
		return false
	}
	p.mu.conns[c] = struct{}{}
	return true
}

func (p *Proxy) copy(c *proxied, dst, src net.Conn) {
	defer p.wg.Done()
	// io.Copy ends when either side closes; the other copier is then
	// unblocked by close.
	_, _ = io.Copy(dst, src)
	c.close()
	p.mu.Lock()
	delete(p.mu.conns, c)
	p.mu.Unlock()
}

// errNoSocket: the client socket was not found in /proc/net/tcp.
var errNoSocket = errors.New("socket not in /proc/net/tcp")

// socketInode finds the inode of the IPv4 TCP socket whose local address
// is local (the client end of a loopback connection).
func socketInode(local *net.TCPAddr) (string, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return "", err
	}
	defer f.Close()
	ip4 := local.IP.To4()
	if ip4 == nil {
		return "", fmt.Errorf("%w: %s is not IPv4", errNoSocket, local)
	}
	// /proc/net/tcp prints the address as the 32-bit value in host
	// (little-endian) order, then the port in hex.
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip4[3], ip4[2], ip4[1], ip4[0], local.Port)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[1] != want {
			continue
		}
		return fields[9], nil
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%w: %s", errNoSocket, want)
}

// ownsSocket reports whether process pid has socket inode open.
func ownsSocket(pid int, inode string) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false // the process is gone
	}
	want := "socket:[" + inode + "]"
	for _, e := range ents {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && l == want {
			return true
		}
	}
	return false
}
