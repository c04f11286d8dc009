package filejournal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
)

// frameHeaderSize is the size of a frame's header: length, checksum, index.
const frameHeaderSize = 16

// maxRecordSize is the largest record a frame can hold. Larger records break
// the journal (see Journal.Append).
const maxRecordSize = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Reasons a frame is rejected. They appear in RecoveryReport.Reason and in
// errors from Open and Replay.
var (
	errShortFrame   = errors.New("short frame")
	errZeroFrame    = errors.New("zero length: zero-filled frame header")
	errBadChecksum  = errors.New("bad checksum")
	errFrameTooLong = errors.New("frame length above limit")
)

// appendFrame appends the frame for the record at index to dst.
func appendFrame(dst []byte, index uint64, payload []byte) []byte {
	dst = slices.Grow(dst, frameHeaderSize+len(payload))
	dst = appendFrameHeader(dst, index, payload)
	return append(dst, payload...)
}

// appendFrameHeader appends the header of the frame for the record at index
// to dst. The header is built in dst itself: a local array would escape to
// the heap through the checksum call, costing an allocation per record.
func appendFrameHeader(dst []byte, index uint64, payload []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, frameHeaderSize)[:n+frameHeaderSize]
	putFrameHeader(dst[n:], index, payload)
	return dst
}

// putFrameHeader writes the header of the frame for the record at index to h.
func putFrameHeader(h []byte, index uint64, payload []byte) {
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[8:16], index)
	crc := crc32.Update(0, castagnoli, h[8:16])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[4:8], crc)
}

// frameHeader is a decoded frame header.
type frameHeader struct {
	length uint32
	crc    uint32
	index  uint64
}

// parseFrameHeader decodes h, which holds frameHeaderSize bytes. It rejects
// an all-zero header, which is what a crash leaves where a file was extended
// but its data never reached the disk; a valid header never has index 0.
func parseFrameHeader(h []byte) (frameHeader, error) {
	fh := frameHeader{
		length: binary.LittleEndian.Uint32(h[0:4]),
		crc:    binary.LittleEndian.Uint32(h[4:8]),
		index:  binary.LittleEndian.Uint64(h[8:16]),
	}
	if fh.length == 0 && fh.crc == 0 && fh.index == 0 {
		return fh, errZeroFrame
	}
	if fh.length > maxRecordSize {
		return fh, errFrameTooLong
	}
	return fh, nil
}

// verify reports whether payload matches the checksum in h, the frame's
// encoded header.
func (fh frameHeader) verify(h, payload []byte) error {
	crc := crc32.Update(0, castagnoli, h[8:16])
	crc = crc32.Update(crc, castagnoli, payload)
	if crc != fh.crc {
		return errBadChecksum
	}
	return nil
}

// decodeFrame decodes the frame at the start of b, returning its index, its
// payload (a sub-slice of b) and the frame's size.
func decodeFrame(b []byte) (index uint64, payload []byte, n int, err error) {
	if len(b) < frameHeaderSize {
		return 0, nil, 0, errShortFrame
	}
	fh, err := parseFrameHeader(b[:frameHeaderSize])
	if err != nil {
		return 0, nil, 0, err
	}
	if uint64(len(b)-frameHeaderSize) < uint64(fh.length) {
		return 0, nil, 0, errShortFrame
	}
	n = frameHeaderSize + int(fh.length)
	payload = b[frameHeaderSize:n]
	if err := fh.verify(b[:frameHeaderSize], payload); err != nil {
		return 0, nil, 0, err
	}
	return fh.index, payload, n, nil
}

// frameError describes a frame that could not be read from a segment.
type frameError struct {
	offset int64  // where the bad frame starts
	reason string // what is wrong with it
	err    error  // the underlying error, if it is one of the errXxx values or I/O
}

func (e *frameError) Error() string {
	return fmt.Sprintf("bad frame at offset %d: %s", e.offset, e.reason)
}

func (e *frameError) Unwrap() error { return e.err }
