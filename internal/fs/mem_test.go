package fs

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"reflect"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, m FS, name, content string, sync bool) File {
	t.Helper()
	must(t, m.MkdirAll(path.Dir(name)))
	f, err := m.Create(name)
	must(t, err)
	_, err = f.Write([]byte(content))
	must(t, err)
	if sync {
		must(t, f.Sync())
	}
	return f
}

func readAll(t *testing.T, m FS, name string) (string, bool) {
	t.Helper()
	f, err := m.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	must(t, err)
	defer f.Close()
	size, err := f.Size()
	must(t, err)
	buf := make([]byte, size)
	if _, err := f.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return string(buf), true
}

// TestMemCrash is the story of what survives a power loss.
func TestMemCrash(t *testing.T) {
	const absent = "<absent>"
	tests := []struct {
		name  string
		setup func(t *testing.T, m *MemFS)
		want  map[string]string // path -> content after crash, or absent
	}{{
		name: "synced file in synced dir survives",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/a", "hello", true)
			must(t, m.SyncDir("d"))
		},
		want: map[string]string{"d/a": "hello"},
	}, {
		name: "created file without SyncDir disappears",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/a", "hello", true)
		},
		want: map[string]string{"d/a": absent},
	}, {
		name: "unsynced bytes are lost",
		setup: func(t *testing.T, m *MemFS) {
			f := writeFile(t, m, "d/a", "hello", true)
			must(t, m.SyncDir("d"))
			_, err := f.Write([]byte(" world"))
			must(t, err)
		},
		want: map[string]string{"d/a": "hello"},
	}, {
		name: "never synced file is empty",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/a", "hello", false)
			must(t, m.SyncDir("d"))
		},
		want: map[string]string{"d/a": ""},
	}, {
		name: "unsynced truncate is undone",
		setup: func(t *testing.T, m *MemFS) {
			f := writeFile(t, m, "d/a", "hello", true)
			must(t, m.SyncDir("d"))
			must(t, f.Truncate(2))
			_, err := f.Write([]byte("LP"))
			must(t, err)
		},
		want: map[string]string{"d/a": "hello"},
	}, {
		name: "synced truncate and rewrite survive",
		setup: func(t *testing.T, m *MemFS) {
			f := writeFile(t, m, "d/a", "hello", true)
			must(t, m.SyncDir("d"))
			must(t, f.Truncate(2))
			_, err := f.Write([]byte("LP"))
			must(t, err)
			must(t, f.Sync())
		},
		want: map[string]string{"d/a": "heLP"},
	}, {
		name: "rename without SyncDir is reverted",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/tmp", "new", true)
			writeFile(t, m, "d/cur", "old", true)
			must(t, m.SyncDir("d"))
			must(t, m.Rename("d/tmp", "d/cur"))
		},
		want: map[string]string{"d/tmp": "new", "d/cur": "old"},
	}, {
		name: "rename with SyncDir survives",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/tmp", "new", true)
			writeFile(t, m, "d/cur", "old", true)
			must(t, m.SyncDir("d"))
			must(t, m.Rename("d/tmp", "d/cur"))
			must(t, m.SyncDir("d"))
		},
		want: map[string]string{"d/tmp": absent, "d/cur": "new"},
	}, {
		name: "remove without SyncDir is undone",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/a", "x", true)
			must(t, m.SyncDir("d"))
			must(t, m.Remove("d/a"))
		},
		want: map[string]string{"d/a": "x"},
	}, {
		name: "remove with SyncDir is kept",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/a", "x", true)
			must(t, m.SyncDir("d"))
			must(t, m.Remove("d/a"))
			must(t, m.SyncDir("d"))
		},
		want: map[string]string{"d/a": absent},
	}, {
		name: "directory rename without SyncDir is reverted",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/p/a", "x", true)
			must(t, m.SyncDir("d/p"))
			must(t, m.Rename("d/p", "d/p-delete"))
		},
		want: map[string]string{"d/p/a": "x", "d/p-delete/a": absent},
	}, {
		name: "directory rename with SyncDir moves the subtree",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/p/a", "x", true)
			must(t, m.SyncDir("d/p"))
			must(t, m.Rename("d/p", "d/p-delete"))
			must(t, m.SyncDir("d"))
		},
		want: map[string]string{"d/p/a": absent, "d/p-delete/a": "x"},
	}, {
		name: "RemoveAll without SyncDir is undone",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/p/a", "x", true)
			must(t, m.SyncDir("d/p"))
			must(t, m.RemoveAll("d/p"))
		},
		want: map[string]string{"d/p/a": "x"},
	}, {
		name: "cross-directory rename durable only in target shows both names",
		setup: func(t *testing.T, m *MemFS) {
			writeFile(t, m, "d/a", "x", true)
			must(t, m.SyncDir("d"))
			must(t, m.MkdirAll("e"))
			must(t, m.Rename("d/a", "e/a"))
			must(t, m.SyncDir("e"))
		},
		want: map[string]string{"d/a": "x", "e/a": "x"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMem()
			must(t, m.MkdirAll("d"))
			tt.setup(t, m)
			m.Crash()
			for p, want := range tt.want {
				got, ok := readAll(t, m, p)
				if !ok {
					got = absent
				}
				if got != want {
					t.Errorf("%s after crash = %q, want %q", p, got, want)
				}
			}
		})
	}
}

func TestMemCrashStaleHandles(t *testing.T) {
	m := NewMem()
	f := writeFile(t, m, "a", "x", true)
	m.Crash()
	if _, err := f.Write([]byte("y")); !errors.Is(err, ErrStaleHandle) {
		t.Errorf("Write after crash: %v, want ErrStaleHandle", err)
	}
	if err := f.Sync(); !errors.Is(err, ErrStaleHandle) {
		t.Errorf("Sync after crash: %v, want ErrStaleHandle", err)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrStaleHandle) {
		t.Errorf("ReadAt after crash: %v, want ErrStaleHandle", err)
	}
	must(t, f.Close())
}

func TestMemCrashKeepingUnsynced(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 200 {
		m := NewMem()
		f := writeFile(t, m, "a", "abc", true)
		must(t, m.SyncDir("/"))
		_, err := f.Write([]byte("defgh"))
		must(t, err)
		m.CrashKeepingUnsynced(rng)
		got, ok := readAll(t, m, "a")
		if !ok || !bytes.HasPrefix([]byte("abcdefgh"), []byte(got)) || len(got) < 3 {
			t.Fatalf("after torn crash a = %q (exists %v), want a prefix of abcdefgh of at least abc", got, ok)
		}
		seen[got] = true
	}
	if len(seen) < 3 {
		t.Errorf("torn crash produced only %v; want several different prefixes", seen)
	}
}

func TestMemTornCrashOverSyncedBytes(t *testing.T) {
	// Overwriting synced bytes after a truncate: a torn crash shows new
	// bytes up to some point and the old synced bytes after it.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		m := NewMem()
		f := writeFile(t, m, "a", "abcdef", true)
		must(t, m.SyncDir("/"))
		must(t, f.Truncate(2))
		_, err := f.Write([]byte("XY"))
		must(t, err)
		m.CrashKeepingUnsynced(rng)
		got, _ := readAll(t, m, "a")
		switch got {
		case "abcdef", "abXdef", "abXYef":
		default:
			t.Fatalf("torn crash gave %q", got)
		}
	}
}

func TestMemErrors(t *testing.T) {
	m := NewMem()
	writeFile(t, m, "d/f", "x", false)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"open missing", second(m.Open("nope")), os.ErrNotExist},
		{"create in missing dir", second(m.Create("nope/f")), os.ErrNotExist},
		{"create over dir", second(m.Create("d")), syscall.EISDIR},
		{"open dir", second(m.Open("d")), syscall.EISDIR},
		{"remove non-empty dir", m.Remove("d"), syscall.ENOTEMPTY},
		{"remove missing", m.Remove("d/nope"), os.ErrNotExist},
		{"rename missing", m.Rename("d/nope", "d/x"), os.ErrNotExist},
		{"rename dir into itself", m.Rename("d", "d/sub"), syscall.EINVAL},
		{"mkdir through file", m.MkdirAll("d/f/g"), syscall.ENOTDIR},
		{"readdir file", second(m.ReadDir("d/f")), syscall.ENOTDIR},
		{"stat missing", second(m.Stat("d/nope")), os.ErrNotExist},
		{"syncdir missing", m.SyncDir("nope"), os.ErrNotExist},
		{"removeall missing", m.RemoveAll("nope/deeper"), nil},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) || (tt.want == nil && tt.err != nil) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if _, err := m.Stat("nope"); !os.IsNotExist(err) {
		t.Errorf("os.IsNotExist(Stat missing) is false for %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestMemFileOps(t *testing.T) {
	m := NewMem()
	must(t, m.MkdirAll("/data/t-0"))
	f := writeFile(t, m, "/data/t-0/seg.log", "hello", false)
	must(t, f.Close())
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after close: %v", err)
	}

	f, err := m.OpenReadWrite("data/t-0/seg.log")
	must(t, err)
	defer f.Close()
	_, err = f.Write([]byte(" world"))
	must(t, err)
	if got, _ := readAll(t, m, "data//t-0/seg.log"); got != "hello world" {
		t.Errorf("content %q", got)
	}
	buf := make([]byte, 10)
	n, err := f.ReadAt(buf, 6)
	if n != 5 || !errors.Is(err, io.EOF) || string(buf[:n]) != "world" {
		t.Errorf("ReadAt past end = %d, %v, %q", n, err, buf[:n])
	}
	must(t, f.Truncate(8))
	if size, _ := f.Size(); size != 8 {
		t.Errorf("size after truncate %d", size)
	}
	ro, err := m.Open("data/t-0/seg.log")
	must(t, err)
	defer ro.Close()
	if _, err := ro.Write([]byte("x")); !errors.Is(err, syscall.EBADF) {
		t.Errorf("write on read-only: %v", err)
	}
	info, err := m.Stat("data/t-0/seg.log")
	must(t, err)
	if info.Name() != "seg.log" || info.Size() != 8 || info.IsDir() {
		t.Errorf("stat = %s %d %v", info.Name(), info.Size(), info.IsDir())
	}
	names, err := m.ReadDir("data")
	must(t, err)
	if !reflect.DeepEqual(names, []string{"t-0"}) {
		t.Errorf("ReadDir = %v", names)
	}
}

func TestMemConcurrent(t *testing.T) {
	m := NewMem()
	must(t, m.MkdirAll("d"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "d/" + string(rune('a'+i))
			f, err := m.Create(name)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			for range 100 {
				if _, err := f.Write([]byte("0123456789")); err != nil {
					t.Error(err)
					return
				}
				if err := f.Sync(); err != nil {
					t.Error(err)
					return
				}
				if err := m.SyncDir("d"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	m.Crash()
	names, err := m.ReadDir("d")
	must(t, err)
	if len(names) != 8 {
		t.Fatalf("after crash %d files, want 8", len(names))
	}
	for _, n := range names {
		if got, _ := readAll(t, m, "d/"+n); len(got) != 1000 {
			t.Errorf("%s has %d bytes, want 1000", n, len(got))
		}
	}
}
