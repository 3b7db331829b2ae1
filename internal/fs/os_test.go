package fs

import (
	"path/filepath"
	"testing"
)

func TestOSMkdirAllCreatesNestedDirs(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "c")
	if err := (OS{}).MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	if st, err := (OS{}).Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("stat %s: %v", dir, err)
	}
	// Existing directories are fine too.
	if err := (OS{}).MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
}
