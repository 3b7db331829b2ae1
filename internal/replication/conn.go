package replication

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxResponse bounds a response frame read from a leader.
const maxResponse = 128 << 20

var errBadResponse = errors.New("replication: malformed response from leader")

// conn is a plain Kafka protocol connection to a leader broker, one
// request at a time.
type conn struct {
	c    net.Conn
	r    *bufio.Reader
	fmt  *kmsg.RequestFormatter
	corr int32
	buf  []byte
}

func dial(addr, clientID string, timeout time.Duration) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: newReader(c), fmt: kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID))}, nil
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(c, 64<<10) }

func (c *conn) close() error { return c.c.Close() }

// do sends req and reads its response, all before deadline.
func (c *conn) do(req kmsg.Request, deadline time.Time) (kmsg.Response, error) {
	if err := c.c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	c.corr++
	c.buf = c.fmt.AppendRequest(c.buf[:0], req, c.corr)
	if _, err := c.c.Write(c.buf); err != nil {
		return nil, err
	}
	var hdr [8]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(hdr[:4]))
	if size < 4 || size > maxResponse {
		return nil, fmt.Errorf("%w: frame size %d", errBadResponse, size)
	}
	if corr := int32(binary.BigEndian.Uint32(hdr[4:])); corr != c.corr {
		return nil, fmt.Errorf("%w: correlation id %d, want %d", errBadResponse, corr, c.corr)
	}
	body := make([]byte, size-4)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if resp.IsFlexible() {
		// The response header's tag buffer: we expect none.
		if len(body) == 0 || body[0] != 0 {
			return nil, fmt.Errorf("%w: response header tags", errBadResponse)
		}
		body = body[1:]
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadResponse, err)
	}
	return resp, nil
}
