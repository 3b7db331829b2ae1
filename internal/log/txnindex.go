package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"

	"github.com/gregor-streaming/gregor/internal/fs"
)

// txnIndexSuffix names a segment's aborted-transaction index.
const txnIndexSuffix = ".txnindex"

// txnEntrySize is the size of one <base>.txnindex entry, Kafka's format:
// version int16 (0) | producer id int64 | first offset int64 |
// last offset int64 | last stable offset int64, big-endian.
const txnEntrySize = 2 + 8 + 8 + 8 + 8

// txnIndex is a segment's aborted transactions: every ABORT marker in the
// segment, in log order. The file is created with the first entry. Guarded
// like the rest of the segment (Log.mu; the file is closed or removed
// under Log.files held exclusively).
type txnIndex struct {
	f       fs.File // nil until the segment has an entry
	entries []AbortedTxn
}

func encodeTxnEntry(b []byte, e AbortedTxn) []byte {
	be := binary.BigEndian
	b = be.AppendUint16(b, 0)
	b = be.AppendUint64(b, uint64(e.ProducerID))
	b = be.AppendUint64(b, uint64(e.FirstOffset))
	b = be.AppendUint64(b, uint64(e.LastOffset))
	return be.AppendUint64(b, uint64(e.LastStableOffset))
}

// decodeTxnIndex decodes whole entries; a torn last entry is ignored and
// an entry of an unknown version ends the file (both are reported by n,
// the count of good entries).
func decodeTxnIndex(b []byte) []AbortedTxn {
	be := binary.BigEndian
	var out []AbortedTxn
	for len(b) >= txnEntrySize {
		if be.Uint16(b) != 0 {
			break
		}
		out = append(out, AbortedTxn{
			ProducerID:       int64(be.Uint64(b[2:])),
			FirstOffset:      int64(be.Uint64(b[10:])),
			LastOffset:       int64(be.Uint64(b[18:])),
			LastStableOffset: int64(be.Uint64(b[26:])),
		})
		b = b[txnEntrySize:]
	}
	return out
}

// append writes e to the index of the segment at base, creating the file.
// Not fsynced: the segment's syncAll covers it.
func (x *txnIndex) append(fsys fs.FS, dir string, base int64, e AbortedTxn) error {
	if x.f == nil {
		f, err := fsys.Create(path.Join(dir, segmentName(base, txnIndexSuffix)))
		if err != nil {
			return fmt.Errorf("create transaction index: %w", err)
		}
		x.f = f
	}
	if _, err := x.f.Write(encodeTxnEntry(nil, e)); err != nil {
		return fmt.Errorf("append to %s: %w", x.f.Name(), err)
	}
	x.entries = append(x.entries, e)
	return nil
}

// load reads the index of the segment at base if it exists, keeping the
// entries whose marker is below from and cutting the file after them.
func (x *txnIndex) load(fsys fs.FS, dir string, base, from int64) error {
	if x.f != nil {
		if err := x.f.Close(); err != nil {
			return err
		}
		x.f = nil
	}
	x.entries = nil
	p := path.Join(dir, segmentName(base, txnIndexSuffix))
	f, err := fsys.OpenReadWrite(p)
	if errors.Is(err, fsNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	b, err := readAll(f)
	if err != nil {
		return errors.Join(fmt.Errorf("read %s: %w", p, err), f.Close())
	}
	all := decodeTxnIndex(b)
	n := 0
	for n < len(all) && all[n].LastOffset < from {
		n++
	}
	if int64(n*txnEntrySize) != int64(len(b)) {
		if err := f.Truncate(int64(n * txnEntrySize)); err != nil {
			return errors.Join(fmt.Errorf("truncate %s: %w", p, err), f.Close())
		}
	}
	x.f, x.entries = f, all[:n]
	return nil
}

func (x *txnIndex) sync() error {
	if x.f == nil {
		return nil
	}
	return x.f.Sync()
}

func (x *txnIndex) close() error {
	if x.f == nil {
		return nil
	}
	err := x.f.Close()
	x.f = nil
	return err
}
