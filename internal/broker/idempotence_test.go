package broker_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/broker/brokertest"
)

// cuttingProxy forwards Kafka connections to a broker and, for every
// cutEvery-th Produce response, closes the client's connection instead of
// forwarding the response: the broker appended the batch, the client never
// heard, so it retries on a new connection.
type cuttingProxy struct {
	ln       net.Listener
	target   string
	cutEvery int64
	produces atomic.Int64
	cuts     atomic.Int64
	wg       sync.WaitGroup
}

func newCuttingProxy(t *testing.T, cutEvery int64) *cuttingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{ln: ln, cutEvery: cutEvery}
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *cuttingProxy) serve() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := p.ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.wg.Add(2)
			keys := &sync.Map{} // correlation id -> api key
			go func() { defer p.wg.Done(); p.requests(c, s, keys) }()
			go func() { defer p.wg.Done(); p.responses(s, c, keys) }()
		}
	}()
}

func readFrame(r io.Reader) ([]byte, error) {
	var sz [4]byte
	if _, err := io.ReadFull(r, sz[:]); err != nil {
		return nil, err
	}
	b := make([]byte, 4+binary.BigEndian.Uint32(sz[:]))
	copy(b, sz[:])
	_, err := io.ReadFull(r, b[4:])
	return b, err
}

func (p *cuttingProxy) requests(client, server net.Conn, keys *sync.Map) {
	defer server.Close()
	for {
		f, err := readFrame(client)
		if err != nil || len(f) < 12 {
			return
		}
		keys.Store(binary.BigEndian.Uint32(f[8:]), binary.BigEndian.Uint16(f[4:]))
		if _, err := server.Write(f); err != nil {
			return
		}
	}
}

func (p *cuttingProxy) responses(server, client net.Conn, keys *sync.Map) {
	defer client.Close()
	for {
		f, err := readFrame(server)
		if err != nil || len(f) < 8 {
			return
		}
		key, _ := keys.LoadAndDelete(binary.BigEndian.Uint32(f[4:]))
		if key == uint16(0) && p.produces.Add(1)%p.cutEvery == 0 {
			p.cuts.Add(1)
			client.Close()
			server.Close()
			return
		}
		if _, err := client.Write(f); err != nil {
			return
		}
	}
}

// TestIdempotentRetryAfterCutConnection: the broker appends a batch, the
// connection dies before the answer, the idempotent producer retries; the
// log must hold every record exactly once, in order.
func TestIdempotentRetryAfterCutConnection(t *testing.T) {
	proxy := newCuttingProxy(t, 4)
	b := brokertest.Start(t, brokertest.Options{Props: map[string]string{
		"advertised.listeners": "PLAINTEXT://" + proxy.ln.Addr().String(),
	}})
	proxy.target = b.Addr()
	proxy.serve()

	adm := kadm.NewClient(newClient(t, proxy.ln.Addr().String()))
	createTopic(t, adm, "idem", 1, nil)
	p := newClient(t, proxy.ln.Addr().String(), kgo.DefaultProduceTopic("idem"), kgo.ProducerLinger(0),
		kgo.RecordRetries(100))
	const n = 400
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		p.Produce(ctxT(t), &kgo.Record{Value: []byte(fmt.Sprint(i))}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				failed.Add(1)
				t.Errorf("produce: %v", err)
			}
		})
		if i%20 == 19 {
			p.Flush(ctxT(t))
		}
	}
	wg.Wait()
	if proxy.cuts.Load() == 0 {
		t.Fatal("the proxy cut no connection; the test tested nothing")
	}
	got := consumeN(t, b.Addr(), "idem", n)
	for i, r := range got {
		if string(r.Value) != fmt.Sprint(i) || r.Offset != int64(i) {
			t.Fatalf("offset %d holds %q, want %d: duplicate or reordered record", r.Offset, r.Value, i)
		}
	}
	ends, _ := adm.ListEndOffsets(ctxT(t), "idem")
	if o, _ := ends.Lookup("idem", 0); o.Offset != n {
		t.Fatalf("log holds %d records, want exactly %d (%d connections cut)", o.Offset, n, proxy.cuts.Load())
	}
	t.Logf("%d connections cut after the append; %d records, each once", proxy.cuts.Load(), n)
}
