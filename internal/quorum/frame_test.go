package quorum

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var b []byte
	b = appendFrame(b, kindHello, []byte(`{"v":1}`))
	b = appendFrame(b, kindRaft, nil)
	b = appendFrame(b, kindHeartbeat, bytes.Repeat([]byte{7}, 1000))
	r := bytes.NewReader(b)
	for _, want := range []struct {
		kind byte
		n    int
	}{{kindHello, 7}, {kindRaft, 0}, {kindHeartbeat, 1000}} {
		kind, body, err := readFrame(r)
		if err != nil || kind != want.kind || len(body) != want.n {
			t.Fatalf("frame: kind %d len %d err %v, want %+v", kind, len(body), err, want)
		}
	}
	if _, _, err := readFrame(r); err != io.EOF {
		t.Fatalf("after the last frame: %v", err)
	}
}

func TestFrameRejects(t *testing.T) {
	good := appendFrame(nil, kindRaft, []byte("payload"))
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	huge := bytes.Clone(good)
	huge[0] = 0xff
	empty := []byte{0, 0, 0, 0, 0, 0, 0, 0}
	for name, b := range map[string][]byte{"crc": flipped, "too long": huge, "empty": empty} {
		if _, _, err := readFrame(bytes.NewReader(b)); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
	if _, _, err := readFrame(bytes.NewReader(good[:len(good)-2])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("torn frame: %v", err)
	}
}

// FuzzReadFrame: any bytes from the network give a frame or an error,
// never a panic or an allocation beyond MaxFrame.
func FuzzReadFrame(f *testing.F) {
	f.Add(appendFrame(nil, kindHello, []byte(`{"v":1,"node_id":1,"cluster_id":"c"}`)))
	f.Add(appendFrame(nil, kindRaft, []byte{8, 1}))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			kind, body, err := readFrame(r)
			if err != nil {
				return
			}
			again := appendFrame(nil, kind, body)
			if _, _, err := readFrame(bytes.NewReader(again)); err != nil {
				t.Fatalf("re-encoded frame does not read back: %v", err)
			}
		}
	})
}
