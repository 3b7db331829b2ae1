package server

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrMalformed marks a request that cannot be decoded; the connection that
// sent it is closed.
var ErrMalformed = errors.New("malformed request")

// header is a decoded request header (v1 or v2).
type header struct {
	key           int16
	version       int16
	correlationID int32
	clientID      string
	flexible      bool
}

// parseHeader decodes the request header at the start of frame and returns
// the body that follows. A request uses header v2 (with tagged fields) only
// when its version is flexible; client_id keeps the int16 length in both.
func parseHeader(frame []byte) (header, []byte, error) {
	var h header
	if len(frame) < 8 {
		return h, nil, fmt.Errorf("%w: %d-byte frame is shorter than a request header", ErrMalformed, len(frame))
	}
	be := binary.BigEndian
	h.key = int16(be.Uint16(frame[0:]))
	h.version = int16(be.Uint16(frame[2:]))
	h.correlationID = int32(be.Uint32(frame[4:]))
	rest := frame[8:]
	if len(rest) < 2 {
		return h, nil, fmt.Errorf("%w: missing client id", ErrMalformed)
	}
	n := int16(be.Uint16(rest))
	rest = rest[2:]
	if n > 0 {
		if int(n) > len(rest) {
			return h, nil, fmt.Errorf("%w: client id length %d beyond the frame", ErrMalformed, n)
		}
		h.clientID = string(rest[:n])
		rest = rest[n:]
	} else if n < -1 {
		return h, nil, fmt.Errorf("%w: client id length %d", ErrMalformed, n)
	}
	if req := kmsg.RequestForKey(h.key); req != nil {
		req.SetVersion(h.version)
		h.flexible = req.IsFlexible()
	}
	if h.flexible {
		var err error
		if rest, err = skipTags(rest); err != nil {
			return h, nil, err
		}
	}
	return h, rest, nil
}

// skipTags skips a tagged-field section (KIP-482): a count, then for each
// field a tag and a length-prefixed value. Unknown tags are ignored.
func skipTags(b []byte) ([]byte, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad tagged field count", ErrMalformed)
	}
	b = b[n:]
	for i := uint64(0); i < count; i++ {
		if _, n = binary.Uvarint(b); n <= 0 {
			return nil, fmt.Errorf("%w: bad tag", ErrMalformed)
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return nil, fmt.Errorf("%w: bad tagged field size", ErrMalformed)
		}
		b = b[n+int(size):]
	}
	return b, nil
}

// appendResponse appends a whole response frame: size, correlation id, the
// response header's tag section when flexible (never for ApiVersions, whose
// response header is always v0, KIP-511), and the body.
func appendResponse(dst []byte, correlationID int32, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(correlationID))
	if resp.IsFlexible() && resp.Key() != 18 {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
