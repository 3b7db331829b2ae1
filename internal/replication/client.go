package replication

import (
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Client is the inter-broker connection the follower fetchers use,
// exported for the broker's other senders (the transaction
// coordinator's WriteTxnMarkers): a plain Kafka protocol connection to
// another broker, one request at a time. Do is not safe for concurrent
// use; Close may be called from another goroutine to interrupt a request
// in flight.
type Client struct{ c *conn }

// Dial connects to a broker at addr (host:port).
func Dial(addr, clientID string, timeout time.Duration) (*Client, error) {
	c, err := dial(addr, clientID, timeout)
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// Do sends req (at the version it carries) and reads its response, all
// before deadline. After an error the connection must be closed: its
// framing may be out of step.
func (c *Client) Do(req kmsg.Request, deadline time.Time) (kmsg.Response, error) {
	return c.c.do(req, deadline)
}

// Close closes the connection.
func (c *Client) Close() error { return c.c.close() }
