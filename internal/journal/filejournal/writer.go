package filejournal

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const (
	// flushSize is the buffer size at which a batch is written before it is
	// fully encoded, so that large batches do not need large buffers.
	flushSize = 1 << 20
	// directSize is the payload size from which a record is written from
	// the caller's slice rather than copied into the buffer.
	directSize = 64 << 10
)

// writer is the state of the writer goroutine.
type writer struct {
	f          *os.File  // active segment; nil once closed
	size       int64     // bytes of frames in the active segment: where the next is written
	fileEnd    int64     // size of the active segment's file, past size if preallocated
	prealloc   bool      // the active segment was zero-filled ahead of size
	spareAsked bool      // a spare was asked for and not yet taken
	next       uint64    // index of the next record to write
	bytes      int64     // bytes written to segments since Open, for the Observer
	buf        []byte    // frames encoded but not yet written
	unsynced   uint64    // records written since the last sync
	idle       []request // the queue's other buffer, swapped in for the next batch
	closeErr   error     // from the final sync and close, for Close
}

// run is the writer goroutine: it commits queued batches until Close.
func (j *Journal) run() {
	defer close(j.stopped)
	var tick <-chan time.Time
	if d := j.opts.Sync.interval(); d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-j.wake:
		case <-tick:
			if j.w.unsynced > 0 && j.stickyErr() == nil {
				if err := j.sync(); err != nil {
					j.fail(err)
				}
			}
			continue
		}
		j.mu.Lock()
		batch := j.queue
		j.queue = j.w.idle[:0]
		closed := j.closed
		j.mu.Unlock()
		if len(batch) > 0 {
			j.commit(batch)
			clear(batch) // drop the callers' records and callbacks
			j.w.idle = batch[:0]
		}
		if closed {
			j.shutdown()
			return
		}
	}
}

// commit writes batch, syncs it if the policy or a barrier asks, and calls
// its callbacks in order.
func (j *Journal) commit(batch []request) {
	err := j.stickyErr()
	if err == nil {
		if err = j.writeBatch(batch); err != nil {
			j.fail(err)
			err = j.stickyErr()
		}
	}
	for i := range batch {
		batch[i].done(err)
	}
}

// writeBatch encodes and writes every record in batch, rolling segments as
// they fill, and syncs when needed.
func (j *Journal) writeBatch(batch []request) error {
	w := &j.w
	needSync := j.opts.Sync == SyncAlways
	startBytes, startNext := w.bytes, w.next
	if !w.prealloc && w.size > 0 {
		// Leave a segment that was not preallocated as soon as a spare is.
		if spare := j.takeSpare(); spare != nil {
			if err := j.roll(spare); err != nil {
				return err
			}
		}
	}
	for i := range batch {
		r := &batch[i]
		needSync = needSync || r.sync
		if len(r.recs) > 0 && r.first != w.next {
			return fmt.Errorf("filejournal: internal error: batch starts at index %d, want %d", r.first, w.next)
		}
		for _, rec := range r.recs {
			if len(rec) > maxRecordSize {
				return fmt.Errorf("filejournal: record %d is %d bytes, above the limit of %d", w.next, len(rec), maxRecordSize)
			}
			if pending := w.size + int64(len(w.buf)); pending > 0 && pending >= j.opts.SegmentSize {
				if err := j.roll(j.takeSpare()); err != nil {
					return err
				}
			}
			if len(rec) >= directSize {
				w.buf = appendFrameHeader(w.buf, w.next, rec)
				if err := j.flush(); err != nil {
					return err
				}
				if err := j.write(rec); err != nil {
					return err
				}
			} else {
				w.buf = appendFrame(w.buf, w.next, rec)
				if len(w.buf) >= flushSize {
					if err := j.flush(); err != nil {
						return err
					}
				}
			}
			w.next++
			w.unsynced++
		}
	}
	if err := j.flush(); err != nil {
		return err
	}
	if cap(w.buf) > 4*flushSize {
		w.buf = nil // a rare huge batch; do not keep its buffer
	}
	j.written.Store(w.next - 1)
	j.segMu.Lock()
	j.segs[len(j.segs)-1].size = w.size
	j.segMu.Unlock()
	j.wantSpare()
	if w.next > startNext {
		j.opts.Observer.Commit(len(batch), int(w.next-startNext), w.bytes-startBytes)
	}
	if needSync && w.unsynced > 0 {
		return j.sync()
	}
	return nil
}

// flush writes the encoded buffer to the active segment.
func (j *Journal) flush() error {
	if len(j.w.buf) == 0 {
		return nil
	}
	err := j.write(j.w.buf)
	j.w.buf = j.w.buf[:0]
	return err
}

// write appends b to the frames in the active segment.
func (j *Journal) write(b []byte) error {
	w := &j.w
	n, err := w.f.WriteAt(b, w.size)
	w.size += int64(n)
	w.bytes += int64(n)
	w.fileEnd = max(w.fileEnd, w.size)
	return err
}

// sync makes the active segment durable.
func (j *Journal) sync() error {
	start := time.Now()
	if err := fdatasync(j.w.f); err != nil {
		return err
	}
	j.opts.Observer.Sync(time.Since(start))
	j.syncs.Add(1)
	j.syncedRecords.Add(j.w.unsynced)
	j.w.unsynced = 0
	return nil
}

// roll seals the active segment, cutting off any preallocated tail and
// syncing it under every policy, and starts a new one named by the next
// index: spare, renamed, if it is not nil, or else a new empty file.
func (j *Journal) roll(spare *os.File) error {
	w := &j.w
	if err := j.flush(); err != nil {
		return err
	}
	truncated := false
	if w.fileEnd > w.size {
		// Sealed segments end with their last frame.
		if err := w.f.Truncate(w.size); err != nil {
			return err
		}
		w.fileEnd, truncated = w.size, true
	}
	if w.unsynced > 0 || truncated {
		if err := j.sync(); err != nil {
			return err
		}
	}
	j.segMu.Lock()
	j.segs[len(j.segs)-1].size = w.size
	j.segMu.Unlock()
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return err
	}
	var f *os.File
	if spare != nil {
		f, err = useSpare(j.dir, spare, w.next)
		w.fileEnd, w.prealloc = j.opts.SegmentSize, true
	} else {
		f, err = createSegment(j.dir, w.next)
		w.fileEnd, w.prealloc = 0, false
	}
	if err != nil {
		return err
	}
	w.f, w.size = f, 0
	j.segMu.Lock()
	j.segs = append(j.segs, segment{first: w.next})
	j.segMu.Unlock()
	return nil
}

// createSegment creates the empty segment file for first and syncs the
// directory.
func createSegment(dir string, first uint64) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, segmentName(first)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// useSpare renames the zero-filled spare to be the segment for first, syncs
// the directory and opens the segment.
func useSpare(dir string, spare *os.File, first uint64) (*os.File, error) {
	path := filepath.Join(dir, segmentName(first))
	spare.Close()
	if err := os.Rename(spare.Name(), path); err != nil {
		os.Remove(spare.Name())
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY, 0)
}

// shutdown syncs what the last batches wrote and closes the active segment.
func (j *Journal) shutdown() {
	w := &j.w
	if w.f == nil {
		return
	}
	if w.unsynced > 0 && j.stickyErr() == nil {
		if err := j.sync(); err != nil {
			j.fail(err)
			w.closeErr = err
		}
	}
	if err := w.f.Close(); err != nil && w.closeErr == nil {
		w.closeErr = err
	}
	w.f = nil
}

// stickyErr returns the error that broke the journal, or nil.
func (j *Journal) stickyErr() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// fail breaks the journal with err unless it is already broken.
func (j *Journal) fail(err error) {
	j.mu.Lock()
	first := j.err == nil
	if first {
		j.err = fmt.Errorf("filejournal: journal is broken and must be reopened: %w", err)
	}
	j.mu.Unlock()
	if first {
		j.log.Error("filejournal: write failed; every later append will fail", "err", err)
	}
}
