// Package fault is the fault-injection harness of a Gregor cluster: it
// runs three `gregor serve` processes (combined broker + controller) on
// loopback, writes to replicated topics with acks=all and idempotent
// producers while a seeded schedule kills, pauses, restarts and cuts off
// nodes, then heals the cluster and checks that no acknowledged record was
// lost, duplicated or rewritten, that the replicas' logs agree below the
// high watermark and that no consumer saw the high watermark go backwards.
//
// The package holds only test code and its helpers; nothing imports it.
// See docs/reliability.md for how to run it and the last results.
//
// # Network cuts
//
// Every node is reached by its peers through userspace TCP proxies (Proxy),
// one in front of its Kafka listener (the advertised listener, used by the
// followers' replica fetches and by clients) and one in front of its
// controller listener (the voter address in controller.quorum.voters). A
// proxy tells who opened a connection by looking the client socket up in
// /proc/net/tcp and in the node processes' descriptor tables, so a cut can
// drop node-to-node traffic in both directions while clients (this test
// process) still reach every node: Linux only.
//
// # Goroutines
//
// Per proxy: one accept loop, one goroutine per connection being set up
// (it identifies the source and dials the node) and two copiers per
// proxied connection, all ended by Proxy.Close. Per node process: one
// waiter (exec.Cmd.Wait). The workload runs one goroutine per producer, a
// tailing consumer and a high-watermark poller, ended by Workload.Stop.
// Tests check for leaks with goleak.
package fault
