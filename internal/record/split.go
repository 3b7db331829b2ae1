package record

import "fmt"

// Split cuts buf, a concatenation of batches (a Produce payload, a log
// read), into its batches without validating them (see Validate). The
// batches alias buf. If buf ends inside a batch, Split returns the whole
// batches before it and an error wrapping ErrTruncated (a fetch may end so;
// a produce payload must not). A length field too small for a header
// returns the batches before it and an ErrCorrupt-wrapped error.
func Split(buf []byte) ([][]byte, error) {
	var out [][]byte
	for pos := 0; pos < len(buf); {
		rest := buf[pos:]
		if len(rest) < LengthOffset {
			return out, fmt.Errorf("%w: %d bytes at position %d", ErrTruncated, len(rest), pos)
		}
		size := BatchSize(rest)
		if size < HeaderSize {
			return out, fmt.Errorf("%w: batch at position %d claims %d bytes, less than a header", ErrCorrupt, pos, size)
		}
		if size > len(rest) {
			return out, fmt.Errorf("%w: batch at position %d needs %d bytes, %d left", ErrTruncated, pos, size, len(rest))
		}
		out = append(out, rest[:size:size])
		pos += size
	}
	return out, nil
}
