package log

import (
	"fmt"
	"testing"

	"github.com/gregor-streaming/gregor/internal/fs"
)

// kib returns a batch of about 1 KiB (10 records of 90 bytes).
func kib(b *testing.B) []byte {
	return makeBatch(b, batchSpec{records: 10, ts: 1, pid: -1, epoch: -1, seq: -1, valueSize: 90})
}

func BenchmarkAppend(b *testing.B) {
	for _, every := range []int{0, 1, 16, 256} {
		name := "no-fsync"
		if every > 0 {
			name = fmt.Sprintf("flush-every-%d", every)
		}
		b.Run(name, func(b *testing.B) {
			l, err := Open(fs.OS{}, b.TempDir(), DefaultConfig(), Options{Logger: discard})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			src := kib(b)
			buf := make([]byte, len(src))
			b.SetBytes(int64(len(src)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				copy(buf, src)
				if _, err := l.Append(buf, AppendOptions{LeaderEpoch: 0, LogAppendTime: -1}); err != nil {
					b.Fatal(err)
				}
				if every > 0 && (i+1)%every == 0 {
					if err := l.Flush(l.NextOffset()); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	l, err := Open(fs.OS{}, b.TempDir(), DefaultConfig(), Options{Logger: discard})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	src := kib(b)
	for i := 0; i < 20000; i++ {
		if _, err := l.Append(append([]byte(nil), src...), AppendOptions{LogAppendTime: -1}); err != nil {
			b.Fatal(err)
		}
	}
	end := l.NextOffset()
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := int64(i*977) % end
		if _, err := l.Read(off, 1<<20, end); err != nil {
			b.Fatal(err)
		}
	}
}
