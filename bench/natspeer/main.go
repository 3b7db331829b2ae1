// Command natspeer runs a NATS server with JetStream on file storage, as a
// benchmark peer for bench/compare. It prints "ready <addr>" on stdout once
// it accepts clients and runs until SIGTERM/SIGINT.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	port := flag.Int("port", -1, "port to listen on (-1: any free port)")
	dir := flag.String("dir", "", "JetStream store directory (required)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "natspeer: -dir is required")
		os.Exit(2)
	}
	opts := &server.Options{
		Host: "127.0.0.1", Port: *port, JetStream: true, StoreDir: *dir,
		NoLog: true, NoSigs: true, MaxPayload: 8 << 20,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natspeer:", err)
		os.Exit(1)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		fmt.Fprintln(os.Stderr, "natspeer: not ready after 30s")
		os.Exit(1)
	}
	fmt.Println("ready", s.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	s.Shutdown()
	s.WaitForShutdown()
}
