package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
)

// Producer snapshot file format (ours), big-endian:
//
//	magic "GPS2" | crc32c uint32 of everything after it | count uint32 |
//	count x { producer id int64 | epoch int16 | last timestamp int64 |
//	          open transaction's first offset int64 (-1: none) |
//	          batches uint8 | batches x { first seq int32 | last seq int32 |
//	          first offset int64 | last offset int64 | append time int64 } }
//
// "GPS1" files (before transactions) lack the transaction field and are
// still read. A file <offset>.snapshot holds the state after every batch
// below offset.
const (
	snapshotMagic   = "GPS2"
	snapshotMagicV1 = "GPS1"
)

const (
	snapshotProducerSize = 8 + 2 + 8 + 8 + 1
	snapshotBatchSize    = 4 + 4 + 8 + 8 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadSnapshot marks a snapshot file that does not decode.
var errBadSnapshot = errors.New("bad producer snapshot")

func encodeSnapshot(p producers) []byte {
	ids := make([]int64, 0, len(p))
	for id := range p {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	b := make([]byte, 12, 12+len(p)*(snapshotProducerSize+snapshotBatchSize))
	copy(b, snapshotMagic)
	be := binary.BigEndian
	be.PutUint32(b[8:], uint32(len(ids)))
	for _, id := range ids {
		st := p[id]
		b = be.AppendUint64(b, uint64(id))
		b = be.AppendUint16(b, uint16(st.Epoch))
		b = be.AppendUint64(b, uint64(st.LastTimestamp))
		b = be.AppendUint64(b, uint64(st.TxnFirst))
		b = append(b, byte(len(st.Batches)))
		for _, m := range st.Batches {
			b = be.AppendUint32(b, uint32(m.FirstSeq))
			b = be.AppendUint32(b, uint32(m.LastSeq))
			b = be.AppendUint64(b, uint64(m.FirstOffset))
			b = be.AppendUint64(b, uint64(m.LastOffset))
			b = be.AppendUint64(b, uint64(m.AppendTime))
		}
	}
	be.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b
}

func decodeSnapshot(b []byte) (producers, error) {
	if len(b) < 12 || (string(b[:4]) != snapshotMagic && string(b[:4]) != snapshotMagicV1) {
		return nil, fmt.Errorf("%w: no header", errBadSnapshot)
	}
	entrySize := snapshotProducerSize
	if string(b[:4]) == snapshotMagicV1 {
		entrySize -= 8
	}
	be := binary.BigEndian
	if crc32.Checksum(b[8:], castagnoli) != be.Uint32(b[4:]) {
		return nil, fmt.Errorf("%w: CRC mismatch", errBadSnapshot)
	}
	count := int(be.Uint32(b[8:]))
	b = b[12:]
	p := make(producers, min(count, len(b)/entrySize))
	for range count {
		if len(b) < entrySize {
			return nil, fmt.Errorf("%w: short producer entry", errBadSnapshot)
		}
		id := int64(be.Uint64(b))
		st := &producerState{Epoch: int16(be.Uint16(b[8:])), LastTimestamp: int64(be.Uint64(b[10:])), TxnFirst: -1}
		if entrySize == snapshotProducerSize {
			st.TxnFirst = int64(be.Uint64(b[18:]))
		}
		nb := int(b[entrySize-1])
		b = b[entrySize:]
		if nb > maxProducerBatches || len(b) < nb*snapshotBatchSize {
			return nil, fmt.Errorf("%w: bad batch list for producer %d", errBadSnapshot, id)
		}
		for range nb {
			st.Batches = append(st.Batches, batchMeta{
				FirstSeq: int32(be.Uint32(b)), LastSeq: int32(be.Uint32(b[4:])),
				FirstOffset: int64(be.Uint64(b[8:])), LastOffset: int64(be.Uint64(b[16:])),
				AppendTime: int64(be.Uint64(b[24:])),
			})
			b = b[snapshotBatchSize:]
		}
		p[id] = st
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errBadSnapshot, len(b))
	}
	return p, nil
}
