package fault

import (
	"io"
	"net"
	"os"
	"testing"
)

// echoServer accepts connections and echoes them until closed.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// roundTrip dials addr and reports whether a byte comes back.
func roundTrip(t *testing.T, addr string) (net.Conn, bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte{42}); err != nil {
		return c, false
	}
	b := make([]byte, 1)
	_, err = io.ReadFull(c, b)
	return c, err == nil && b[0] == 42
}

// TestProxyCut: the proxy names this process as the source of its own
// connections (through /proc), refuses them while it is blocked, closes
// the open ones when the block starts, and lets them through after Heal.
func TestProxyCut(t *testing.T) {
	const self = 7
	src := func(remote *net.TCPAddr) int {
		inode, err := socketInode(remote)
		if err != nil {
			t.Errorf("socket of %s: %v", remote, err)
			return 0
		}
		if ownsSocket(os.Getpid(), inode) {
			return self
		}
		return 0
	}
	p, err := NewProxy(echoServer(t), src)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	open, ok := roundTrip(t, p.Addr())
	if !ok {
		t.Fatal("no echo through the proxy")
	}
	defer open.Close()
	p.Block(self)
	if _, err := io.ReadFull(open, make([]byte, 1)); err == nil {
		t.Fatal("the open connection survived the block")
	}
	c, ok := roundTrip(t, p.Addr())
	c.Close()
	if ok {
		t.Fatal("a blocked source got through")
	}
	p.Heal()
	c, ok = roundTrip(t, p.Addr())
	c.Close()
	if !ok {
		t.Fatal("no echo after Heal")
	}
}
