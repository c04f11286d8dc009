package filejournal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	segmentSuffix  = ".log"
	snapshotPrefix = "snapshot-"
	snapshotSuffix = ".snap"
	tmpSuffix      = ".tmp"
	lockName       = "LOCK"
	indexDigits    = 20
)

// segment describes one segment file.
type segment struct {
	first uint64 // index of the first record the file holds (its name)
	size  int64  // bytes of valid frames; for the active segment, as of the last write
}

func segmentName(first uint64) string {
	return fmt.Sprintf("%0*d%s", indexDigits, first, segmentSuffix)
}

func snapshotName(index uint64) string {
	return fmt.Sprintf("%s%0*d%s", snapshotPrefix, indexDigits, index, snapshotSuffix)
}

// parseIndexName returns the index in a name of the form prefix + 20 digits +
// suffix.
func parseIndexName(name, prefix, suffix string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, suffix)
	if !ok || len(s) != indexDigits {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// syncDir fsyncs the directory so that files created, renamed or removed in
// it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// scanner reads the frames of one segment file in order, checking each
// frame's checksum and that indexes are consecutive from the file's first.
type scanner struct {
	name string // base name, for errors
	r    *bufio.Reader
	size int64  // file size when opened
	off  int64  // offset of the next frame
	next uint64 // index the next frame must carry
	hdr  [frameHeaderSize]byte
	buf  []byte
}

// newScanner returns a scanner over f, whose first record must be first. buf
// is reused for payloads when it is large enough.
func newScanner(f *os.File, first uint64, buf []byte) (*scanner, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &scanner{
		name: filepath.Base(f.Name()),
		r:    bufio.NewReaderSize(f, 256<<10),
		size: fi.Size(),
		next: first,
		buf:  buf,
	}, nil
}

// scan returns the next record. The payload is valid until the next call. At
// the clean end of the file it returns io.EOF; a damaged frame is reported as
// a *frameError and s.off stays at its start.
func (s *scanner) scan() (index uint64, payload []byte, err error) {
	if s.off == s.size {
		return 0, nil, io.EOF
	}
	bad := func(reason string, err error) (uint64, []byte, error) {
		return 0, nil, &frameError{offset: s.off, reason: reason, err: err}
	}
	if s.size-s.off < frameHeaderSize {
		return bad(errShortFrame.Error(), errShortFrame)
	}
	if _, err := io.ReadFull(s.r, s.hdr[:]); err != nil {
		return 0, nil, fmt.Errorf("%s: read at offset %d: %w", s.name, s.off, err)
	}
	fh, err := parseFrameHeader(s.hdr[:])
	if err != nil {
		return bad(err.Error(), err)
	}
	if int64(fh.length) > s.size-s.off-frameHeaderSize {
		return bad(errShortFrame.Error(), errShortFrame)
	}
	if cap(s.buf) < int(fh.length) {
		s.buf = make([]byte, fh.length)
	}
	payload = s.buf[:fh.length]
	if _, err := io.ReadFull(s.r, payload); err != nil {
		return 0, nil, fmt.Errorf("%s: read at offset %d: %w", s.name, s.off, err)
	}
	if err := fh.verify(s.hdr[:], payload); err != nil {
		return bad(err.Error(), err)
	}
	if fh.index != s.next {
		return bad(fmt.Sprintf("wrong index %d, want %d", fh.index, s.next), nil)
	}
	s.off += frameHeaderSize + int64(fh.length)
	s.next++
	return fh.index, payload, nil
}

// isFrameError reports whether err is damage found in a frame rather than a
// failure to read the file.
func isFrameError(err error) bool {
	var fe *frameError
	return errors.As(err, &fe)
}
