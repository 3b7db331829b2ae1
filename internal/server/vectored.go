package server

import (
	"bufio"
	"encoding/binary"
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// PartedResponse is a response that encodes its body in parts, so that
// large byte fields (a fetch's record batches) are written to the socket
// from the buffers that hold them (writev) instead of being copied into
// the response frame first. The concatenation of the parts must be
// exactly what AppendTo would have appended. A handler returns one
// through handler.Now or handler.Later like any kmsg.Response; the
// interface is structural, so the handler package does not import this
// one.
type PartedResponse interface {
	kmsg.Response
	// AppendParts encodes the body: the small encoded runs are appended
	// to dst (parts may alias it), the large fields are returned as
	// their own parts, in order.
	AppendParts(dst []byte) net.Buffers
}

// writeParted writes a parted response frame: the header through bw (which
// it flushes), then the body parts with one vectored write. buf is scratch
// space for the encoded runs.
func writeParted(bw *bufio.Writer, nc net.Conn, buf []byte, correlationID int32, resp PartedResponse) error {
	var hdr [9]byte
	h := binary.BigEndian.AppendUint32(hdr[:4], uint32(correlationID))
	if resp.IsFlexible() && resp.Key() != 18 {
		h = append(h, 0)
	}
	parts := resp.AppendParts(buf[:0])
	size := len(h) - 4
	for _, p := range parts {
		size += len(p)
	}
	binary.BigEndian.PutUint32(h, uint32(size))
	if _, err := bw.Write(h); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := parts.WriteTo(nc)
	return err
}
