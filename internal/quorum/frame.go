package quorum

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// MaxFrame bounds a frame's payload (a snapshot of the metadata image is
// the largest thing sent).
const MaxFrame = 64 << 20

// Frame kinds, the first byte of a payload.
const (
	kindHello     byte = 1
	kindRaft      byte = 2
	kindHeartbeat byte = 3
	kindJoin      byte = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrBadFrame marks a frame that is too long, fails its CRC or is empty.
var ErrBadFrame = errors.New("quorum: bad frame")

// appendFrame appends one frame holding kind and body.
func appendFrame(dst []byte, kind byte, body []byte) []byte {
	var hdr [9]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(len(body)+1))
	crc := crc32.Update(crc32.Checksum([]byte{kind}, castagnoli), castagnoli, body)
	binary.BigEndian.PutUint32(hdr[4:], crc)
	hdr[8] = kind
	dst = append(dst, hdr[:]...)
	return append(dst, body...)
}

// readFrame reads one frame and returns its kind and body.
func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[0:])
	if n == 0 || n > MaxFrame {
		return 0, nil, fmt.Errorf("%w: length %d", ErrBadFrame, n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, err
	}
	if crc32.Checksum(p, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
		return 0, nil, fmt.Errorf("%w: crc mismatch", ErrBadFrame)
	}
	return p[0], p[1:], nil
}
