package fs

import (
	"errors"
	"os"
	"sync"
)

// ErrInjected is the error a Fault returns when it names none.
var ErrInjected = errors.New("fs: injected fault")

// Op is a set of filesystem operations a Fault applies to.
type Op uint32

// Operations. Combine them with |.
const (
	OpCreate   Op = 1 << iota // FS.Create
	OpOpen                    // FS.Open and FS.OpenReadWrite
	OpWrite                   // File.Write
	OpRead                    // File.ReadAt
	OpSync                    // File.Sync
	OpTruncate                // File.Truncate
	OpClose                   // File.Close (the inner file is closed anyway)
	OpRemove                  // FS.Remove and FS.RemoveAll
	OpRename                  // FS.Rename (the path predicate sees both names)
	OpMkdir                   // FS.MkdirAll
	OpSyncDir                 // FS.SyncDir
	OpReadDir                 // FS.ReadDir
	OpStat                    // FS.Stat and File.Size

	OpAll Op = 1<<iota - 1 // every operation
)

// Fault describes an injected failure: among the calls whose operation is
// in Op and whose path matches Path, the first After succeed, then the next
// Times fail with Err (Times 0: every later one fails).
type Fault struct {
	Op    Op
	Path  func(path string) bool // nil matches every path
	After int
	Times int
	Err   error // nil: ErrInjected
	// Partial makes a failing Write first pass the first half of its
	// bytes to the inner file (a short write), then return the error.
	Partial bool
}

// Rule is an injected Fault; it counts the calls it matched and failed.
type Rule struct {
	fault   Fault
	matched int // guarded by FaultFS.mu
	fired   int // guarded by FaultFS.mu
	ffs     *FaultFS
}

// Fired returns how many calls this rule has failed so far.
func (r *Rule) Fired() int {
	r.ffs.mu.Lock()
	defer r.ffs.mu.Unlock()
	return r.fired
}

// FaultFS wraps an FS and fails the calls that injected Faults select. It
// is safe for concurrent use; rules are checked in the order injected and
// the first that fires decides the error.
type FaultFS struct {
	inner FS
	mu    sync.Mutex
	rules []*Rule // guarded by mu
}

var _ FS = (*FaultFS)(nil)

// NewFault wraps inner; with no rules injected it passes every call
// through.
func NewFault(inner FS) *FaultFS { return &FaultFS{inner: inner} }

// Inject adds a rule and returns it.
func (f *FaultFS) Inject(fault Fault) *Rule {
	if fault.Err == nil {
		fault.Err = ErrInjected
	}
	r := &Rule{fault: fault, ffs: f}
	f.mu.Lock()
	f.rules = append(f.rules, r)
	f.mu.Unlock()
	return r
}

// Clear removes every rule.
func (f *FaultFS) Clear() {
	f.mu.Lock()
	f.rules = nil
	f.mu.Unlock()
}

// check counts a call on every matching rule and returns the rule that
// fails it, or nil.
func (f *FaultFS) check(op Op, paths ...string) *Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	var firing *Rule
	for _, r := range f.rules {
		if r.fault.Op&op == 0 || !r.matches(paths) {
			continue
		}
		r.matched++
		if r.matched <= r.fault.After {
			continue
		}
		if r.fault.Times > 0 && r.fired >= r.fault.Times {
			continue
		}
		if firing == nil {
			r.fired++
			firing = r
		}
	}
	return firing
}

func (r *Rule) matches(paths []string) bool {
	if r.fault.Path == nil {
		return true
	}
	for _, p := range paths {
		if r.fault.Path(p) {
			return true
		}
	}
	return false
}

func (f *FaultFS) fail(op Op, opName string, paths ...string) error {
	if r := f.check(op, paths...); r != nil {
		return &os.PathError{Op: opName, Path: paths[0], Err: r.fault.Err}
	}
	return nil
}

// Create implements FS.
func (f *FaultFS) Create(name string) (File, error) {
	if err := f.fail(OpCreate, "create", name); err != nil {
		return nil, err
	}
	file, err := f.inner.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

// OpenReadWrite implements FS.
func (f *FaultFS) OpenReadWrite(name string) (File, error) {
	if err := f.fail(OpOpen, "open", name); err != nil {
		return nil, err
	}
	file, err := f.inner.OpenReadWrite(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

// Open implements FS.
func (f *FaultFS) Open(name string) (File, error) {
	if err := f.fail(OpOpen, "open", name); err != nil {
		return nil, err
	}
	file, err := f.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

// Remove implements FS.
func (f *FaultFS) Remove(name string) error {
	if err := f.fail(OpRemove, "remove", name); err != nil {
		return err
	}
	return f.inner.Remove(name)
}

// RemoveAll implements FS.
func (f *FaultFS) RemoveAll(name string) error {
	if err := f.fail(OpRemove, "removeall", name); err != nil {
		return err
	}
	return f.inner.RemoveAll(name)
}

// Rename implements FS.
func (f *FaultFS) Rename(oldname, newname string) error {
	if err := f.fail(OpRename, "rename", oldname, newname); err != nil {
		return err
	}
	return f.inner.Rename(oldname, newname)
}

// MkdirAll implements FS.
func (f *FaultFS) MkdirAll(dir string) error {
	if err := f.fail(OpMkdir, "mkdir", dir); err != nil {
		return err
	}
	return f.inner.MkdirAll(dir)
}

// ReadDir implements FS.
func (f *FaultFS) ReadDir(dir string) ([]string, error) {
	if err := f.fail(OpReadDir, "readdir", dir); err != nil {
		return nil, err
	}
	return f.inner.ReadDir(dir)
}

// Stat implements FS.
func (f *FaultFS) Stat(name string) (os.FileInfo, error) {
	if err := f.fail(OpStat, "stat", name); err != nil {
		return nil, err
	}
	return f.inner.Stat(name)
}

// SyncDir implements FS.
func (f *FaultFS) SyncDir(dir string) error {
	if err := f.fail(OpSyncDir, "syncdir", dir); err != nil {
		return err
	}
	return f.inner.SyncDir(dir)
}

// faultFile wraps a File of the inner FS.
type faultFile struct {
	File
	fs *FaultFS
}

// Write implements File.
func (f *faultFile) Write(p []byte) (int, error) {
	r := f.fs.check(OpWrite, f.Name())
	if r == nil {
		return f.File.Write(p)
	}
	err := &os.PathError{Op: "write", Path: f.Name(), Err: r.fault.Err}
	if !r.fault.Partial || len(p) < 2 {
		return 0, err
	}
	n, werr := f.File.Write(p[:len(p)/2])
	if werr != nil {
		return n, errors.Join(err, werr)
	}
	return n, err
}

// ReadAt implements File.
func (f *faultFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.fail(OpRead, "read", f.Name()); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

// Sync implements File.
func (f *faultFile) Sync() error {
	if err := f.fs.fail(OpSync, "sync", f.Name()); err != nil {
		return err
	}
	return f.File.Sync()
}

// Truncate implements File.
func (f *faultFile) Truncate(size int64) error {
	if err := f.fs.fail(OpTruncate, "truncate", f.Name()); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

// Close implements File. The inner file is closed even when a fault fires,
// so no descriptor leaks.
func (f *faultFile) Close() error {
	ferr := f.fs.fail(OpClose, "close", f.Name())
	err := f.File.Close()
	if ferr != nil {
		return errors.Join(ferr, err)
	}
	return err
}

// Size implements File.
func (f *faultFile) Size() (int64, error) {
	if err := f.fs.fail(OpStat, "stat", f.Name()); err != nil {
		return 0, err
	}
	return f.File.Size()
}
