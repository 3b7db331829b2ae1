package main

import (
	"os"
	"syscall"
)

// datasync is fdatasync(2): what a log append needs (data and size, not
// the modification time).
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
