// Package server accepts Kafka protocol connections and runs them.
//
// Each connection has one reader goroutine and one writer goroutine. The
// reader reads a frame (4-byte size, then the request), decodes the request
// header and body with kmsg, and calls the handler from the dispatch table
// (package handler) synchronously, so requests on one connection take effect
// in the order they were sent (an idempotent producer's five in-flight
// batches are appended in order). A handler may defer its response (a produce
// waiting for fsync, a fetch waiting for data); the writer resolves and
// writes responses strictly in request order, as every Kafka client requires.
//
// A response that implements PartedResponse (a fetch) is written as its
// header followed by its body parts in one vectored write, so its record
// batches go from the buffers the log read them into straight to the
// socket, without a copy into the response frame.
//
// Bad input closes only the connection that sent it, with a log line: a
// frame larger than socket.request.max.bytes, a truncated header, an unknown
// API key, a version outside the served range (except ApiVersions, which is
// answered with v0 and UNSUPPORTED_VERSION so clients can downgrade), or a
// body kmsg cannot decode. A panic in a handler is recovered, logged, and
// closes that connection; it never takes the broker down.
//
// Goroutines: Serve runs one accept loop per listener; each connection runs
// a reader and a writer. Close stops accepting, closes every connection, and
// waits for all of them.
package server
