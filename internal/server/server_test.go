package server

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"

	"github.com/gregor-streaming/gregor/internal/handler"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testTable serves ApiVersions v0-4 and Metadata v0-12 (answering with an
// empty broker list, after an optional delay to test ordering).
func testTable(delay time.Duration) *handler.Table {
	var t *handler.Table
	t = handler.NewTable(quiet,
		handler.Entry{Key: 18, MinVersion: 0, MaxVersion: 4, Handle: func(r *handler.Request) handler.Reply {
			resp := kmsg.NewPtrApiVersionsResponse()
			resp.SetVersion(r.Version)
			for _, e := range t.Entries() {
				resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: e.Key, MinVersion: e.MinVersion, MaxVersion: e.MaxVersion})
			}
			return handler.Now(resp)
		}},
		handler.Entry{Key: 3, MinVersion: 0, MaxVersion: 12, Handle: func(r *handler.Request) handler.Reply {
			resp := kmsg.NewPtrMetadataResponse()
			resp.SetVersion(r.Version)
			return handler.Later(func() kmsg.Response {
				time.Sleep(delay) // simulate a slow handler; not waiting for state
				return resp
			})
		}},
	)
	return t
}

func startServer(t *testing.T, cfg Config) string {
	t.Helper()
	if cfg.Table == nil {
		cfg.Table = testTable(0)
	}
	cfg.Logger = quiet
	s := New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// frame builds a request frame with header v1 or v2.
func frame(key, version int16, corr int32, clientID string, flexible bool, body []byte) (size, rest []byte) {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
	b = append(b, clientID...)
	if flexible {
		b = append(b, 0)
	}
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(nil, uint32(len(b))), b
}

func writeFrame(t *testing.T, c net.Conn, key, version int16, corr int32, req kmsg.Request) {
	t.Helper()
	req.SetVersion(version)
	size, b := frame(key, version, corr, "test", req.IsFlexible() && key != 18 || (key == 18 && version >= 3), req.AppendTo(nil))
	if _, err := c.Write(append(size, b...)); err != nil {
		t.Fatal(err)
	}
}

func readFrame(t *testing.T, c net.Conn) (int32, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var sz [4]byte
	if _, err := io.ReadFull(c, sz[:]); err != nil {
		t.Fatalf("read size: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(sz[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read body: %v", err)
	}
	return int32(binary.BigEndian.Uint32(b)), b[4:]
}

func dial(t *testing.T, addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestApiVersionsEveryVersion(t *testing.T) {
	addr := startServer(t, Config{})
	c := dial(t, addr)
	for v := int16(0); v <= 4; v++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1"
		writeFrame(t, c, 18, v, int32(100+v), req)
		corr, body := readFrame(t, c)
		if corr != int32(100+v) {
			t.Fatalf("v%d: correlation id %d", v, corr)
		}
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.SetVersion(v)
		if err := resp.ReadFrom(body); err != nil {
			t.Fatalf("v%d: decode: %v", v, err)
		}
		if resp.ErrorCode != 0 || len(resp.ApiKeys) != 2 {
			t.Fatalf("v%d: error %d, %d keys", v, resp.ErrorCode, len(resp.ApiKeys))
		}
	}
}

func TestApiVersionsTooNewAnswersV0(t *testing.T) {
	addr := startServer(t, Config{})
	c := dial(t, addr)
	// Version 9 does not exist; the body is garbage and must be skipped.
	size, b := frame(18, 9, 7, "future-client", true, []byte{1, 2, 3, 4, 5})
	c.Write(append(size, b...))
	corr, body := readFrame(t, c)
	if corr != 7 {
		t.Fatalf("correlation id %d", corr)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("error %d, want UNSUPPORTED_VERSION", resp.ErrorCode)
	}
	if len(resp.ApiKeys) != 1 || resp.ApiKeys[0].ApiKey != 18 || resp.ApiKeys[0].MaxVersion != 4 {
		t.Fatalf("api keys %+v, want only ApiVersions v0-4", resp.ApiKeys)
	}
}

func TestResponsesInRequestOrder(t *testing.T) {
	addr := startServer(t, Config{Table: testTable(20 * time.Millisecond)})
	c := dial(t, addr)
	// A slow (deferred) Metadata, then a fast ApiVersions: answers must
	// come back in the order asked.
	writeFrame(t, c, 3, 12, 1, kmsg.NewPtrMetadataRequest())
	writeFrame(t, c, 18, 3, 2, kmsg.NewPtrApiVersionsRequest())
	writeFrame(t, c, 3, 1, 3, kmsg.NewPtrMetadataRequest())
	for want := int32(1); want <= 3; want++ {
		if corr, _ := readFrame(t, c); corr != want {
			t.Fatalf("got correlation id %d, want %d", corr, want)
		}
	}
}

// expectClosed asserts the server closed the connection.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	if _, err := c.Read(b[:]); err == nil {
		t.Fatal("connection still open, want it closed")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("connection still open after 10s, want it closed")
	}
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	addr := startServer(t, Config{MaxRequestSize: 1 << 10})
	cases := map[string][]byte{
		"oversized frame":     binary.BigEndian.AppendUint32(nil, 1<<20),
		"negative size":       binary.BigEndian.AppendUint32(nil, 0xffffffff),
		"short header":        {0, 0, 0, 3, 0, 18, 0},
		"unknown api key":     func() []byte { s, b := frame(999, 0, 1, "x", false, nil); return append(s, b...) }(),
		"unsupported version": func() []byte { s, b := frame(3, 99, 1, "x", false, nil); return append(s, b...) }(),
		"garbage body":        func() []byte { s, b := frame(3, 1, 1, "x", false, []byte{0xff, 0xff, 0xff}); return append(s, b...) }(),
		"bad client id":       func() []byte { s, b := frame(3, 1, 1, "", false, nil); b[9] = 0x7f; return append(s, b...) }(),
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			c := dial(t, addr)
			c.Write(input)
			expectClosed(t, c)
		})
	}
	// The server still serves others.
	c := dial(t, addr)
	writeFrame(t, c, 18, 3, 5, kmsg.NewPtrApiVersionsRequest())
	if corr, _ := readFrame(t, c); corr != 5 {
		t.Fatalf("correlation id %d", corr)
	}
}

func TestHandlerPanicClosesConnection(t *testing.T) {
	table := handler.NewTable(quiet, handler.Entry{Key: 3, MinVersion: 0, MaxVersion: 12, Handle: func(*handler.Request) handler.Reply {
		panic("boom")
	}})
	addr := startServer(t, Config{Table: table})
	c := dial(t, addr)
	writeFrame(t, c, 3, 1, 1, kmsg.NewPtrMetadataRequest())
	expectClosed(t, c)
}
