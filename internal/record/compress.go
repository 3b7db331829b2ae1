package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// DefaultMaxDecompressed bounds the decompressed size of one batch's
// records section when the caller names no bound: a zip-bomb guard well
// above any sane max.message.bytes.
const DefaultMaxDecompressed = 64 << 20

// xerialMagic opens snappy data framed the way Java producers (xerial
// snappy-java) frame it: the magic, a 4-byte version and a 4-byte
// compatible version, then blocks of a 4-byte big-endian length and raw
// snappy.
var xerialMagic = []byte("\x82SNAPPY\x00")

const xerialHeaderSize = 16

var (
	gzipReaders sync.Pool // *gzip.Reader
	lz4Readers  = sync.Pool{New: func() any { return lz4.NewReader(nil) }}
	zstdReaders sync.Pool // *zstd.Decoder, synchronous (no goroutines)
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	lz4Writers  = sync.Pool{New: func() any { return lz4.NewWriter(nil) }}
	zstdEncOnce sync.Once
	zstdEnc     *zstd.Encoder
	zstdEncErr  error
)

// Decompress returns the decompressed form of src, compressed with codec
// (one of the Compression constants; CompressionNone returns src itself).
// It fails with an ErrCorrupt-wrapped error if src is not valid for the
// codec or decompresses to more than max bytes (max <= 0 means
// DefaultMaxDecompressed), and with ErrUnsupportedCompression for an
// unknown codec.
func Decompress(codec int8, src []byte, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxDecompressed
	}
	var out []byte
	var err error
	switch codec {
	case CompressionNone:
		return src, nil
	case CompressionGzip:
		out, err = gunzip(src, max)
	case CompressionSnappy:
		out, err = unsnappy(src, max)
	case CompressionLz4:
		r := lz4Readers.Get().(*lz4.Reader)
		r.Reset(bytes.NewReader(src))
		out, err = readBounded(r, max)
		r.Reset(nil)
		lz4Readers.Put(r)
	case CompressionZstd:
		out, err = unzstd(src, max)
	default:
		return nil, fmt.Errorf("%w: codec %d", ErrUnsupportedCompression, codec)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s records: %w", ErrCorrupt, codecName(codec), err)
	}
	return out, nil
}

func codecName(codec int8) string {
	switch codec {
	case CompressionNone:
		return "uncompressed"
	case CompressionGzip:
		return "gzip"
	case CompressionSnappy:
		return "snappy"
	case CompressionLz4:
		return "lz4"
	case CompressionZstd:
		return "zstd"
	}
	return fmt.Sprintf("codec %d", codec)
}

var errTooLarge = errors.New("decompressed size exceeds the limit")

// readBounded reads r to its end, failing if it yields more than max bytes.
func readBounded(r io.Reader, max int) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if n > int64(max) {
		return nil, fmt.Errorf("%w (%d bytes)", errTooLarge, max)
	}
	return buf.Bytes(), nil
}

func gunzip(src []byte, max int) ([]byte, error) {
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(src))
	} else {
		err = zr.Reset(bytes.NewReader(src))
	}
	if err != nil {
		return nil, err
	}
	defer gzipReaders.Put(zr)
	return readBounded(zr, max)
}

func unzstd(src []byte, max int) ([]byte, error) {
	d, _ := zstdReaders.Get().(*zstd.Decoder)
	if d == nil {
		var err error
		d, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, err
		}
	}
	if err := d.Reset(bytes.NewReader(src)); err != nil {
		return nil, err
	}
	out, err := readBounded(d, max)
	if rerr := d.Reset(nil); rerr != nil && err == nil {
		err = rerr
	}
	zstdReaders.Put(d)
	return out, err
}

// unsnappy decodes raw snappy or xerial-framed snappy.
func unsnappy(src []byte, max int) ([]byte, error) {
	if !bytes.HasPrefix(src, xerialMagic) {
		return unsnappyBlock(nil, src, max)
	}
	if len(src) < xerialHeaderSize {
		return nil, errors.New("xerial snappy header is truncated")
	}
	var out []byte
	for rest := src[xerialHeaderSize:]; len(rest) > 0; {
		if len(rest) < 4 {
			return nil, errors.New("xerial snappy block length is truncated")
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("xerial snappy block of %d bytes, only %d left", n, len(rest))
		}
		var err error
		if out, err = unsnappyBlock(out, rest[:n], max); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// unsnappyBlock appends the decoding of one raw snappy block to dst,
// keeping the total within max.
func unsnappyBlock(dst, block []byte, max int) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return nil, err
	}
	if n > max-len(dst) {
		return nil, fmt.Errorf("%w (%d bytes)", errTooLarge, max)
	}
	if len(dst) == 0 {
		return s2.Decode(nil, block)
	}
	dec, err := s2.Decode(nil, block)
	if err != nil {
		return nil, err
	}
	return append(dst, dec...), nil
}

// Compress appends src compressed with codec to dst. Snappy is written raw
// (not xerial-framed); every Kafka client reads raw snappy.
func Compress(dst []byte, codec int8, src []byte) ([]byte, error) {
	switch codec {
	case CompressionNone:
		return append(dst, src...), nil
	case CompressionGzip:
		buf := bytes.NewBuffer(dst)
		w := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(w)
		w.Reset(buf)
		return finishWriter(buf, w, src)
	case CompressionSnappy:
		return append(dst, s2.EncodeSnappy(nil, src)...), nil
	case CompressionLz4:
		buf := bytes.NewBuffer(dst)
		w := lz4Writers.Get().(*lz4.Writer)
		defer lz4Writers.Put(w)
		w.Reset(buf)
		return finishWriter(buf, w, src)
	case CompressionZstd:
		zstdEncOnce.Do(func() {
			zstdEnc, zstdEncErr = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		})
		if zstdEncErr != nil {
			return nil, zstdEncErr
		}
		return zstdEnc.EncodeAll(src, dst), nil
	}
	return nil, fmt.Errorf("%w: codec %d", ErrUnsupportedCompression, codec)
}

func finishWriter(buf *bytes.Buffer, w io.WriteCloser, src []byte) ([]byte, error) {
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
