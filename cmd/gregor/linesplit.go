package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// splitKey splits one input line into key and value at the first sep. With
// an empty sep, or when the line has no sep, the key is nil (a null key) and
// the whole line is the value.
func splitKey(line, sep []byte) (key, value []byte) {
	if len(sep) == 0 {
		return nil, line
	}
	k, v, ok := bytes.Cut(line, sep)
	if !ok {
		return nil, line
	}
	return k, v
}

// lineReader yields the lines of r without their "\n" or "\r\n" ending. Lines
// may be of any length. A last line without a newline is still a line; an
// empty input has no lines. Each returned slice is freshly allocated, so the
// caller may keep it.
type lineReader struct {
	r *bufio.Reader
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line, or io.EOF after the last one.
func (lr *lineReader) next() ([]byte, error) {
	line, err := lr.r.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(line) == 0 && err != nil {
		return nil, io.EOF
	}
	if l, ok := bytes.CutSuffix(line, []byte("\n")); ok {
		line = bytes.TrimSuffix(l, []byte("\r"))
	}
	return line, nil
}
