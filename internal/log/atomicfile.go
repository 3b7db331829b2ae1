package log

import (
	"errors"
	"fmt"
	"path"

	"github.com/gregor-streaming/gregor/internal/fs"
)

const tmpSuffix = ".tmp"

// writeFileAtomic replaces dir/name with data so that after a crash the
// file holds either the old or the new content: write name.tmp, fsync,
// rename over name, fsync the directory.
func writeFileAtomic(fsys fs.FS, dir, name string, data []byte) error {
	final := path.Join(dir, name)
	tmp := final + tmpSuffix
	f, err := fsys.Create(tmp)
	if err != nil {
		return fmt.Errorf("write %s: %w", final, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", tmp, errors.Join(err, removeIfExists(fsys, tmp)))
	}
	if err := fsys.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// readFileIfExists reads dir/name; ok is false if it does not exist.
func readFileIfExists(fsys fs.FS, p string) (data []byte, ok bool, err error) {
	f, err := fsys.Open(p)
	if errors.Is(err, fsNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	data, err = readAll(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return data, err == nil, err
}

func removeIfExists(fsys fs.FS, p string) error {
	if err := fsys.Remove(p); err != nil && !errors.Is(err, fsNotExist) {
		return err
	}
	return nil
}
