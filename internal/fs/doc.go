// Package fs is the one interface through which Gregor does disk I/O.
//
// Every package that touches the disk (the log, the metadata quorum's
// storage) takes an FS, so that tests can run the same code on an in-memory
// filesystem that simulates a crash (MemFS: only synced bytes survive) or on
// one that injects I/O errors (FaultFS). Production uses OS.
//
// Durability contract, the same as POSIX with ext4/xfs:
//   - bytes written to a File survive a crash only after File.Sync returns;
//   - a created, removed or renamed directory entry survives a crash only
//     after SyncDir on its parent directory returns (MemFS makes directories
//     created by MkdirAll durable at once, see MemFS).
//
// Concurrency: an FS and its Files are safe for concurrent use by several
// goroutines, except that concurrent Write calls on one File must be
// serialized by the caller (as with *os.File, whose writes are appends at
// the current offset).
//
// Errors: a missing path gives an error for which errors.Is(err,
// os.ErrNotExist) holds, on every implementation. MemFS reports other
// failures as *os.PathError wrapping the errno the OS would give
// (syscall.ENOTEMPTY, EISDIR, ENOTDIR, ...), os.ErrClosed after Close, and
// ErrStaleHandle for a File opened before a simulated crash. FaultFS
// returns *os.PathError wrapping the Fault's error (ErrInjected when it
// names none).
//
// Ownership: a File belongs to whoever opened it and must be closed by
// them; closing an FS is not needed (none holds resources beyond its
// Files).
package fs
