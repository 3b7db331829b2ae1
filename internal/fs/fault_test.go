package fs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestFaultNthSync(t *testing.T) {
	ffs := NewFault(NewMem())
	rule := ffs.Inject(Fault{
		Op:    OpSync,
		Path:  func(p string) bool { return strings.HasSuffix(p, ".log") },
		After: 2,
		Times: 1,
		Err:   syscall.EIO,
	})
	f, err := ffs.Create("seg.log")
	must(t, err)
	defer f.Close()
	idx, err := ffs.Create("seg.index")
	must(t, err)
	defer idx.Close()
	var errs []error
	for range 4 {
		must(t, idx.Sync()) // never matches the predicate
		errs = append(errs, f.Sync())
	}
	for i, err := range errs {
		wantFail := i == 2
		if got := errors.Is(err, syscall.EIO); got != wantFail {
			t.Errorf("sync %d: %v, want failure %v", i, err, wantFail)
		}
	}
	if rule.Fired() != 1 {
		t.Errorf("Fired = %d, want 1", rule.Fired())
	}
}

func TestFaultEverythingAfter(t *testing.T) {
	ffs := NewFault(NewMem())
	ffs.Inject(Fault{Op: OpAll, After: 3})
	must(t, ffs.MkdirAll("d"))
	f, err := ffs.Create("d/a")
	must(t, err)
	_, err = f.Write([]byte("x"))
	must(t, err)
	for _, err := range []error{
		f.Sync(),
		ffs.SyncDir("d"),
		ffs.Rename("d/a", "d/b"),
		second(ffs.Open("d/a")),
		second(ffs.Stat("d/a")),
		f.Close(),
	} {
		if !errors.Is(err, ErrInjected) {
			t.Errorf("got %v, want ErrInjected", err)
		}
	}
	ffs.Clear()
	if _, err := ffs.Stat("d/a"); err != nil {
		t.Errorf("after Clear: %v", err)
	}
}

func TestFaultShortWrite(t *testing.T) {
	mem := NewMem()
	ffs := NewFault(mem)
	ffs.Inject(Fault{Op: OpWrite, Times: 1, Partial: true, Err: syscall.ENOSPC})
	f, err := ffs.Create("a")
	must(t, err)
	defer f.Close()
	n, err := f.Write([]byte("abcdef"))
	if n != 3 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("short write = %d, %v; want 3, ENOSPC", n, err)
	}
	n, err = f.Write([]byte("XY"))
	if n != 2 || err != nil {
		t.Fatalf("next write = %d, %v", n, err)
	}
	if got, _ := readAll(t, mem, "a"); got != "abcXY" {
		t.Errorf("content %q, want abcXY", got)
	}
}

func TestFaultRenameMatchesEitherPath(t *testing.T) {
	ffs := NewFault(NewMem())
	ffs.Inject(Fault{Op: OpRename, Path: func(p string) bool { return p == "target" }})
	writeFile(t, ffs, "src", "x", false).Close()
	if err := ffs.Rename("src", "target"); !errors.Is(err, ErrInjected) {
		t.Errorf("rename to target: %v", err)
	}
	if err := ffs.Rename("src", "other"); err != nil {
		t.Errorf("rename to other: %v", err)
	}
}

// TestFaultOverOS checks the wrapper passes through to a real FS.
func TestFaultOverOS(t *testing.T) {
	dir := t.TempDir()
	ffs := NewFault(OS{})
	ffs.Inject(Fault{Op: OpOpen, Err: os.ErrPermission, Times: 1})
	name := filepath.Join(dir, "a")
	f, err := ffs.Create(name)
	must(t, err)
	_, err = f.Write([]byte("hi"))
	must(t, err)
	must(t, f.Sync())
	must(t, f.Close())
	must(t, ffs.SyncDir(dir))
	if _, err := ffs.Open(name); !errors.Is(err, os.ErrPermission) {
		t.Errorf("first open: %v", err)
	}
	got, ok := readAll(t, ffs, name)
	if !ok || got != "hi" {
		t.Errorf("read %q %v", got, ok)
	}
}
