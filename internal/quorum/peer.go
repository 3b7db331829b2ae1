package quorum

import (
	"bufio"
	"net"
	"sync/atomic"
	"time"
)

// peer is the writing side towards one other voter: a bounded queue and
// the goroutine that drains it into a connection, reconnecting as needed.
type peer struct {
	t    *Transport
	id   uint64
	addr atomic.Pointer[string] // SetPeer may change it
	q    chan outMsg
	stop chan struct{} // closed by RemovePeer
}

// enqueue never blocks: a full queue drops the message.
func (p *peer) enqueue(m outMsg) {
	select {
	case p.q <- m:
	default:
		p.dropped(m)
	}
}

// dropped tells Raft about a message that will not be delivered, when
// that matters to it (a snapshot).
func (p *peer) dropped(m outMsg) {
	if r := p.t.receiver(); m.snap && r != nil {
		r.ReportSnapshot(p.id, false)
	}
}

func (p *peer) run() {
	defer p.t.wg.Done()
	backoff := p.t.cfg.MinBackoff
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-p.t.stop:
			return
		case <-p.stop:
			return
		case <-timer.C:
		}
		c, err := p.dial()
		if err != nil {
			p.t.log.Debug("cannot reach controller peer", "peer", p.id, "addr", *p.addr.Load(), "err", err)
			p.unreachable()
			timer.Reset(backoff)
			backoff = min(2*backoff, p.t.cfg.MaxBackoff)
			continue
		}
		backoff = p.t.cfg.MinBackoff
		p.t.log.Info("connected to controller peer", "peer", p.id, "addr", *p.addr.Load())
		p.write(c)
		c.Close()
		p.unreachable()
		timer.Reset(backoff)
	}
}

func (p *peer) dial() (net.Conn, error) {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.Dial("tcp", *p.addr.Load())
	if err != nil {
		return nil, err
	}
	if err := c.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.Write(p.t.helloFrame()); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// write drains the queue into c until a write fails or the transport
// stops. Whatever is queued is written in one go (one syscall for a burst).
func (p *peer) write(c net.Conn) {
	w := bufio.NewWriterSize(c, 64<<10)
	for {
		var batch []outMsg
		select {
		case <-p.t.stop:
			return
		case <-p.stop:
			return
		case m := <-p.q:
			batch = append(batch, m)
		}
		for len(batch) < 256 && len(p.q) > 0 {
			batch = append(batch, <-p.q)
		}
		if err := p.flush(c, w, batch); err != nil {
			p.t.log.Debug("controller peer connection failed", "peer", p.id, "err", err)
			for _, m := range batch {
				p.dropped(m)
			}
			return
		}
		for _, m := range batch {
			if m.snap {
				p.t.receiver().ReportSnapshot(p.id, true)
			}
		}
	}
}

func (p *peer) flush(c net.Conn, w *bufio.Writer, batch []outMsg) error {
	if err := c.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	for _, m := range batch {
		if _, err := w.Write(m.frame); err != nil {
			return err
		}
	}
	return w.Flush()
}

// unreachable drops what is queued (it is stale by the time a connection
// comes back; Raft retransmits what matters) and tells Raft.
func (p *peer) unreachable() {
	for {
		select {
		case m := <-p.q:
			p.dropped(m)
		default:
			p.t.receiver().ReportUnreachable(p.id)
			return
		}
	}
}
