package fs

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrStaleHandle is returned by every method of a File opened on a MemFS
// before its last Crash: after a power loss no process holds open files.
var ErrStaleHandle = errors.New("fs: file handle opened before a simulated crash")

// MemFS is an in-memory FS that can simulate a power loss (see Crash).
//
// Every file keeps its current content and the content it had at its last
// Sync; every directory keeps its current entries and the entries it had at
// its last SyncDir. Directories made by MkdirAll are durable at once (as if
// MkdirAll synced each parent), a simplification that keeps tests short.
//
// Paths are cleaned and a leading "/" is ignored, so "/a/b", "a/b" and
// "a//b/" name the same file. The zero value is not usable; call NewMem.
type MemFS struct {
	mu struct {
		sync.Mutex
		root *inode
		gen  uint64 // bumped by Crash; handles from older generations are stale
	}
}

var _ FS = (*MemFS)(nil)

// inode is a file or a directory. All fields are guarded by MemFS.mu.
type inode struct {
	dir bool

	// Files.
	data      []byte // current content
	synced    []byte // content as of the last Sync (never aliases data)
	dirtyFrom int    // data[:dirtyFrom] == synced[:dirtyFrom]; dirtyFrom <= len(synced)

	// Directories.
	children map[string]*inode // current entries
	durable  map[string]*inode // entries as of the last SyncDir
}

func newDir() *inode {
	return &inode{dir: true, children: map[string]*inode{}, durable: map[string]*inode{}}
}

// NewMem returns an empty in-memory filesystem holding only the root
// directory.
func NewMem() *MemFS {
	m := &MemFS{}
	m.mu.root = newDir()
	return m
}

// splitPath cleans p and returns its components; the root has none.
func splitPath(p string) []string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// lookupLocked returns the inode at p, or a *os.PathError.
func (m *MemFS) lookupLocked(op, p string) (*inode, error) {
	n := m.mu.root
	for _, c := range splitPath(p) {
		if !n.dir {
			return nil, &os.PathError{Op: op, Path: p, Err: syscall.ENOTDIR}
		}
		next, ok := n.children[c]
		if !ok {
			return nil, &os.PathError{Op: op, Path: p, Err: os.ErrNotExist}
		}
		n = next
	}
	return n, nil
}

// parentLocked returns the directory that holds p and p's last component.
func (m *MemFS) parentLocked(op, p string) (*inode, string, error) {
	parts := splitPath(p)
	if len(parts) == 0 {
		return nil, "", &os.PathError{Op: op, Path: p, Err: syscall.EINVAL}
	}
	dir, err := m.lookupLocked(op, strings.Join(parts[:len(parts)-1], "/"))
	if err != nil {
		return nil, "", err
	}
	if !dir.dir {
		return nil, "", &os.PathError{Op: op, Path: p, Err: syscall.ENOTDIR}
	}
	return dir, parts[len(parts)-1], nil
}

// Create implements FS.
func (m *MemFS) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("create", name)
	if err != nil {
		return nil, err
	}
	n, ok := dir.children[base]
	switch {
	case ok && n.dir:
		return nil, &os.PathError{Op: "create", Path: name, Err: syscall.EISDIR}
	case ok:
		n.data = n.data[:0]
		n.dirtyFrom = 0
	default:
		n = &inode{}
		dir.children[base] = n
	}
	return &memFile{fs: m, node: n, name: name, gen: m.mu.gen}, nil
}

// OpenReadWrite implements FS.
func (m *MemFS) OpenReadWrite(name string) (File, error) {
	return m.open("open", name, false)
}

// Open implements FS.
func (m *MemFS) Open(name string) (File, error) {
	return m.open("open", name, true)
}

func (m *MemFS) open(op, name string, readOnly bool) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked(op, name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, &os.PathError{Op: op, Path: name, Err: syscall.EISDIR}
	}
	return &memFile{fs: m, node: n, name: name, gen: m.mu.gen, readOnly: readOnly, off: int64(len(n.data))}, nil
}

// Remove implements FS.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("remove", name)
	if err != nil {
		return err
	}
	n, ok := dir.children[base]
	if !ok {
		return &os.PathError{Op: "remove", Path: name, Err: os.ErrNotExist}
	}
	if n.dir && len(n.children) > 0 {
		return &os.PathError{Op: "remove", Path: name, Err: syscall.ENOTEMPTY}
	}
	delete(dir.children, base)
	return nil
}

// RemoveAll implements FS. Like os.RemoveAll, a missing path is not an
// error.
func (m *MemFS) RemoveAll(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(splitPath(name)) == 0 {
		// Removing the root: empty it instead.
		m.mu.root.children = map[string]*inode{}
		return nil
	}
	dir, base, err := m.parentLocked("removeall", name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	delete(dir.children, base)
	return nil
}

// Rename implements FS. Renaming a directory moves its whole subtree; it
// may replace only an empty directory.
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	odir, obase, err := m.parentLocked("rename", oldname)
	if err != nil {
		return err
	}
	n, ok := odir.children[obase]
	if !ok {
		return &os.PathError{Op: "rename", Path: oldname, Err: os.ErrNotExist}
	}
	ndir, nbase, err := m.parentLocked("rename", newname)
	if err != nil {
		return err
	}
	if odir == ndir && obase == nbase {
		return nil
	}
	if n.dir && isUnder(splitPath(newname), splitPath(oldname)) {
		return &os.PathError{Op: "rename", Path: newname, Err: syscall.EINVAL}
	}
	if old, ok := ndir.children[nbase]; ok {
		switch {
		case old.dir && !n.dir:
			return &os.PathError{Op: "rename", Path: newname, Err: syscall.EISDIR}
		case !old.dir && n.dir:
			return &os.PathError{Op: "rename", Path: newname, Err: syscall.ENOTDIR}
		case old.dir && len(old.children) > 0:
			return &os.PathError{Op: "rename", Path: newname, Err: syscall.ENOTEMPTY}
		}
	}
	delete(odir.children, obase)
	ndir.children[nbase] = n
	return nil
}

// isUnder reports whether p is prefix or below it.
func isUnder(p, prefix []string) bool {
	if len(p) < len(prefix) {
		return false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}

// MkdirAll implements FS. Every directory it creates is durable at once.
func (m *MemFS) MkdirAll(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.mu.root
	for _, c := range splitPath(dir) {
		next, ok := n.children[c]
		if !ok {
			next = newDir()
			n.children[c] = next
			n.durable[c] = next
		} else if !next.dir {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		n = next
	}
	return nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked("readdir", dir)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: syscall.ENOTDIR}
	}
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Stat implements FS.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked("stat", name)
	if err != nil {
		return nil, err
	}
	info := memInfo{name: path.Base(path.Clean("/" + name)), dir: n.dir}
	if !n.dir {
		info.size = int64(len(n.data))
	}
	return info, nil
}

// SyncDir implements FS.
func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked("syncdir", dir)
	if err != nil {
		return err
	}
	if !n.dir {
		return &os.PathError{Op: "syncdir", Path: dir, Err: syscall.ENOTDIR}
	}
	n.durable = cloneEntries(n.children)
	return nil
}

func cloneEntries(src map[string]*inode) map[string]*inode {
	dst := make(map[string]*inode, len(src))
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

// Crash simulates a power loss: every file reverts to its content at its
// last Sync, every directory to its entries at its last SyncDir (a file
// created but never made durable by SyncDir disappears, a rename or remove
// not made durable is undone), and every open File becomes stale
// (ErrStaleHandle).
func (m *MemFS) Crash() {
	m.crash(func(n *inode) int { return n.dirtyFrom })
}

// CrashKeepingUnsynced is Crash with torn writes: for each file, a random
// number of the bytes written since its last Sync (a prefix of the
// unsynced region, which starts at the first byte changed since that Sync)
// survive, as a disk that persisted part of its write cache would leave
// them. Directory entries follow the same rules as Crash.
func (m *MemFS) CrashKeepingUnsynced(rng *rand.Rand) {
	m.crash(func(n *inode) int {
		return n.dirtyFrom + rng.IntN(len(n.data)-n.dirtyFrom+1)
	})
}

// crash rebuilds the tree from durable state; keep(n) says how many bytes
// of n's current data survive (at least n.dirtyFrom).
func (m *MemFS) crash(keep func(n *inode) int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mu.gen++
	seen := map[*inode]bool{}
	m.mu.root = crashNode(m.mu.root, seen, keep)
}

// crashNode returns n as it is after a crash. An inode reachable twice
// through durable entries (a cross-directory rename made durable only in
// the target directory) is copied so the two names do not share content.
func crashNode(n *inode, seen map[*inode]bool, keep func(n *inode) int) *inode {
	if seen[n] {
		c := *n
		c.data = append([]byte(nil), n.data...)
		c.synced = append([]byte(nil), n.synced...)
		c.children, c.durable = cloneEntries(n.children), cloneEntries(n.durable)
		return &c
	}
	seen[n] = true
	if !n.dir {
		k := keep(n)
		data := append([]byte(nil), n.data[:k]...)
		if len(n.synced) > k {
			data = append(data, n.synced[k:]...)
		}
		n.data = data
		n.synced = append([]byte(nil), data...)
		n.dirtyFrom = len(data)
		return n
	}
	entries := make(map[string]*inode, len(n.durable))
	for name, child := range n.durable {
		entries[name] = crashNode(child, seen, keep)
	}
	n.children = entries
	n.durable = cloneEntries(entries)
	return n
}

// memFile is a handle on a MemFS file. Its fields off and closed are
// guarded by fs.mu.
type memFile struct {
	fs       *MemFS
	node     *inode
	name     string
	gen      uint64
	readOnly bool
	off      int64
	closed   bool
}

func (f *memFile) checkLocked(op string) error {
	if f.closed {
		return &os.PathError{Op: op, Path: f.name, Err: os.ErrClosed}
	}
	if f.gen != f.fs.mu.gen {
		return &os.PathError{Op: op, Path: f.name, Err: ErrStaleHandle}
	}
	return nil
}

// Write implements File.
func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("write"); err != nil {
		return 0, err
	}
	if f.readOnly {
		return 0, &os.PathError{Op: "write", Path: f.name, Err: syscall.EBADF}
	}
	n := f.node
	end := int(f.off) + len(p)
	if end > len(n.data) {
		if end > cap(n.data) {
			grown := make([]byte, len(n.data), max(end, 2*cap(n.data)))
			copy(grown, n.data)
			n.data = grown
		}
		// Bytes between the old end and f.off (after another handle
		// truncated) read as zeros, as in a sparse file.
		clear(n.data[len(n.data):end])
		n.data = n.data[:end]
	}
	copy(n.data[f.off:], p)
	n.dirtyFrom = min(n.dirtyFrom, int(f.off))
	f.off = int64(end)
	return len(p), nil
}

// ReadAt implements File.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: syscall.EINVAL}
	}
	if off >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Close implements File.
func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return &os.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	f.closed = true
	return nil
}

// Sync implements File.
func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("sync"); err != nil {
		return err
	}
	n := f.node
	n.synced = append(n.synced[:n.dirtyFrom], n.data[n.dirtyFrom:]...)
	n.dirtyFrom = len(n.data)
	return nil
}

// Truncate implements File.
func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("truncate"); err != nil {
		return err
	}
	if f.readOnly {
		return &os.PathError{Op: "truncate", Path: f.name, Err: syscall.EBADF}
	}
	if size < 0 {
		return &os.PathError{Op: "truncate", Path: f.name, Err: syscall.EINVAL}
	}
	n := f.node
	if int(size) <= len(n.data) {
		n.data = n.data[:size]
	} else {
		n.data = append(n.data, make([]byte, int(size)-len(n.data))...)
	}
	n.dirtyFrom = min(n.dirtyFrom, int(size))
	f.off = size
	return nil
}

// Size implements File.
func (f *memFile) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("stat"); err != nil {
		return 0, err
	}
	return int64(len(f.node.data)), nil
}

// Name implements File.
func (f *memFile) Name() string { return f.name }

// memInfo implements os.FileInfo.
type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() os.FileMode {
	if i.dir {
		return os.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
