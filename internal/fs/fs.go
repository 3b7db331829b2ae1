package fs

import (
	"io"
	"os"
)

// File is an open file. Write appends at the current offset (files are
// opened positioned at their end by OpenReadWrite), ReadAt reads anywhere.
type File interface {
	io.Writer
	io.ReaderAt
	io.Closer
	// Sync makes every byte written so far durable.
	Sync() error
	// Truncate cuts the file to size bytes and moves the write offset
	// there.
	Truncate(size int64) error
	// Size returns the current length of the file in bytes.
	Size() (int64, error)
	// Name returns the path the file was opened with.
	Name() string
}

// FS is a filesystem. Paths are slash-separated OS paths.
type FS interface {
	// Create creates (or truncates) a file for reading and writing.
	Create(name string) (File, error)
	// OpenReadWrite opens an existing file for reading and appending; the
	// write offset starts at the end of the file.
	OpenReadWrite(name string) (File, error)
	// Open opens an existing file read-only.
	Open(name string) (File, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes a path and everything under it.
	RemoveAll(name string) error
	// Rename atomically renames a file, replacing newname if it exists.
	Rename(oldname, newname string) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(dir string) error
	// ReadDir lists the names (not paths) in a directory, sorted.
	ReadDir(dir string) ([]string, error)
	// Stat reports whether a path exists and whether it is a directory;
	// a missing path returns an error for which os.IsNotExist is true.
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the directory entries of dir durable.
	SyncDir(dir string) error
}
