package replication

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// pipeConn returns a conn whose peer answers every request with resp
// (the raw bytes after the frame's length prefix are resp itself).
func pipeConn(t testing.TB, frame []byte) *conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	go func() {
		var size [4]byte
		if _, err := io.ReadFull(b, size[:]); err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, b, int64(binary.BigEndian.Uint32(size[:]))); err != nil {
			return
		}
		b.Write(frame)
		b.Close()
	}()
	return &conn{c: a, r: newReader(a), fmt: kmsg.NewRequestFormatter()}
}

func fetchReq() *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(fetchVersion)
	return req
}

func TestConnRoundTrip(t *testing.T) {
	resp := kmsg.NewPtrFetchResponse()
	resp.SetVersion(fetchVersion)
	resp.ErrorCode = 7
	body := append([]byte{0, 0, 0, 1, 0}, resp.AppendTo(nil)...) // correlation id 1, empty header tags
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c := pipeConn(t, append(frame, body...))
	got, err := c.do(fetchReq(), time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got.(*kmsg.FetchResponse).ErrorCode != 7 {
		t.Fatalf("response %+v", got)
	}
}

func TestConnRejectsBadFrames(t *testing.T) {
	for name, frame := range map[string][]byte{
		"wrong correlation id": {0, 0, 0, 5, 0, 0, 0, 9, 0},
		"huge size":            {0x7f, 0, 0, 0, 0, 0, 0, 1},
		"tiny size":            {0, 0, 0, 2, 0, 0, 0, 1},
		"header tags":          {0, 0, 0, 5, 0, 0, 0, 1, 3},
	} {
		t.Run(name, func(t *testing.T) {
			c := pipeConn(t, frame)
			if _, err := c.do(fetchReq(), time.Now().Add(5*time.Second)); !errors.Is(err, errBadResponse) {
				t.Fatalf("err = %v, want errBadResponse", err)
			}
		})
	}
}

// FuzzConnResponse feeds arbitrary leader answers to the follower's
// connection: it must return an error or a response, never panic or
// allocate beyond maxResponse.
func FuzzConnResponse(f *testing.F) {
	f.Add([]byte{0, 0, 0, 5, 0, 0, 0, 1, 0})
	f.Add([]byte{0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, frame []byte) {
		c := pipeConn(t, frame)
		c.do(fetchReq(), time.Now().Add(time.Second))
	})
}
