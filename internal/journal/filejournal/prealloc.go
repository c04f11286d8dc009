package filejournal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Segments are preallocated (see "Files" in the package comment): the
// preparer goroutine zero-fills spares and the writer renames them into
// place when it rolls.

const (
	// spareChunk is how much zero-filling is written and synced at a
	// time, so that one large flush never holds up the writer's syncs.
	spareChunk = 1 << 20
	// earlyRollSize is how far a segment that was not preallocated (the
	// first of a new journal, or one cut short by recovery) fills before a
	// spare is prepared; the writer moves to the spare as soon as it is
	// ready.
	earlyRollSize = 1 << 20
)

// prepare is the spare-preparing goroutine. Each request on j.spareReq
// yields a zero-filled file of SegmentSize bytes on j.spares.
func (j *Journal) prepare() {
	defer close(j.prepDone)
	var zeros []byte
	for n := 0; ; n++ {
		select {
		case <-j.stopPrep:
			return
		case <-j.spareReq:
		}
		if zeros == nil {
			zeros = make([]byte, min(spareChunk, j.opts.SegmentSize))
		}
		path := filepath.Join(j.dir, fmt.Sprintf("spare-%d%s", n, tmpSuffix))
		f, err := j.makeSpare(path, zeros)
		if err != nil {
			if f != nil {
				f.Close()
				os.Remove(path)
			}
			if err != errStopped {
				// The writer keeps waiting for this spare, so it asks for no
				// more: segments are appended to from now on.
				j.log.Warn("filejournal: cannot preallocate a segment; appending instead", "err", err)
				continue
			}
			return
		}
		// The writer asks for one spare at a time, so this does not block.
		select {
		case j.spares <- f:
		case <-j.stopPrep:
			f.Close()
			os.Remove(path)
			return
		}
	}
}

var errStopped = errors.New("stopped")

// makeSpare creates path and fills it with SegmentSize zero bytes, synced.
func (j *Journal) makeSpare(path string, zeros []byte) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	for off := int64(0); off < j.opts.SegmentSize; off += int64(len(zeros)) {
		select {
		case <-j.stopPrep:
			return f, errStopped
		default:
		}
		n := min(int64(len(zeros)), j.opts.SegmentSize-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return f, err
		}
		if err := fdatasync(f); err != nil {
			return f, err
		}
	}
	return f, nil
}

// stopPreparing stops the preparer and removes any spare it left.
func (j *Journal) stopPreparing() {
	close(j.stopPrep)
	<-j.prepDone
	select {
	case f := <-j.spares:
		f.Close()
		os.Remove(f.Name())
	default:
	}
}

// wantSpare asks for a spare once the active segment is half full, or has
// passed earlyRollSize without being preallocated.
func (j *Journal) wantSpare() {
	w := &j.w
	if w.spareAsked || (w.size < j.opts.SegmentSize/2 && (w.prealloc || w.size < earlyRollSize)) {
		return
	}
	select {
	case j.spareReq <- struct{}{}:
		w.spareAsked = true
	default:
	}
}

// takeSpare returns a ready spare, or nil.
func (j *Journal) takeSpare() *os.File {
	select {
	case f := <-j.spares:
		j.w.spareAsked = false
		return f
	default:
		return nil
	}
}

// zeroTail returns the offset just past the last non-zero byte of f at or
// after from, or from if every byte there is zero.
func zeroTail(f *os.File, from int64) (int64, error) {
	buf := make([]byte, 256<<10)
	end := from
	for off := from; ; {
		n, err := f.ReadAt(buf, off)
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				end = off + int64(i) + 1
				break
			}
		}
		off += int64(n)
		if err == io.EOF {
			return end, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
