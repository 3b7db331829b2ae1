package main

import (
	"os"
	"syscall"
)

// datasync is fdatasync(2): what a log append needs (data and size, not
// the modification time).
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// raiseFileLimit lifts RLIMIT_NOFILE (soft and, when allowed, hard) to at
// least want for this process and the brokers it starts: a log keeps three
// files open per partition, so 10,000 partitions need over 30,000
// descriptors, beyond many systems' default (as Kafka's ops docs warn). It
// returns the limit in force.
func raiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	next := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err != nil {
		// Not allowed to raise the hard limit: take what it permits.
		next = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err != nil {
			return lim.Cur, err
		}
	}
	return next.Cur, nil
}
