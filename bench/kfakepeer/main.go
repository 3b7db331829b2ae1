// Command kfakepeer runs franz-go's kfake as a standalone single-broker,
// in-memory Kafka cluster, as a benchmark peer for bench/compare (an upper
// bound for protocol overhead: it keeps nothing on disk). It prints
// "ready <addr>" on stdout once it listens and runs until SIGTERM/SIGINT.
//
// kfake is used here only, as a peer; never in broker code or tests.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 0, "port to listen on (0: any free port)")
	flag.Parse()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(*port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfakepeer:", err)
		os.Exit(1)
	}
	fmt.Println("ready", c.ListenAddrs()[0])
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	c.Close()
}
