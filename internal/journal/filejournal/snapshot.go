package filejournal

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sluicehq/sluice/internal/journal"
)

const (
	snapHeaderSize = 32
	snapMagic      = "slsnap01"
)

// snapHeader is a decoded snapshot header.
type snapHeader struct {
	index  uint64
	length uint64 // bytes after the header
	crc    uint32 // CRC-32C of those bytes
}

func (h snapHeader) encode() []byte {
	b := make([]byte, snapHeaderSize)
	copy(b, snapMagic)
	binary.LittleEndian.PutUint64(b[8:16], h.index)
	binary.LittleEndian.PutUint64(b[16:24], h.length)
	binary.LittleEndian.PutUint32(b[24:28], h.crc)
	binary.LittleEndian.PutUint32(b[28:32], crc32.Checksum(b[:28], castagnoli))
	return b
}

// readSnapshotHeader reads and checks the header of the snapshot file at
// path, which must be for index, and checks the file's size against it.
func readSnapshotHeader(path string, index uint64) (snapHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return snapHeader{}, err
	}
	defer f.Close()
	return checkSnapshotHeader(f, index)
}

func checkSnapshotHeader(f *os.File, index uint64) (snapHeader, error) {
	name := filepath.Base(f.Name())
	fi, err := f.Stat()
	if err != nil {
		return snapHeader{}, err
	}
	b := make([]byte, snapHeaderSize)
	if _, err := io.ReadFull(f, b); err != nil {
		return snapHeader{}, fmt.Errorf("%s: short header: %w", name, err)
	}
	if string(b[:8]) != snapMagic {
		return snapHeader{}, fmt.Errorf("%s: not a snapshot file (bad magic)", name)
	}
	if crc32.Checksum(b[:28], castagnoli) != binary.LittleEndian.Uint32(b[28:32]) {
		return snapHeader{}, fmt.Errorf("%s: bad header checksum", name)
	}
	h := snapHeader{
		index:  binary.LittleEndian.Uint64(b[8:16]),
		length: binary.LittleEndian.Uint64(b[16:24]),
		crc:    binary.LittleEndian.Uint32(b[24:28]),
	}
	if h.index != index {
		return snapHeader{}, fmt.Errorf("%s: header says index %d", name, h.index)
	}
	if want := snapHeaderSize + int64(h.length); fi.Size() != want || h.length > 1<<62 {
		return snapHeader{}, fmt.Errorf("%s: file is %d bytes, header says %d", name, fi.Size(), want)
	}
	return h, nil
}

// InstallSnapshot waits until every record up to index is synced to disk,
// whatever the sync policy, writes the snapshot produced by write to a
// temporary file, syncs it and renames it into place. Then it deletes older
// snapshots and every segment other than the active one whose records are
// all at or before index; failing to delete is logged, not returned, since
// the snapshot is installed by then. It returns an error if index is beyond
// LastIndex or below the installed snapshot's, if the journal is broken or
// closed, if write fails (wrapping its error) or if ctx is done before the
// rename. It may run concurrently with Append; calls are serialized.
func (j *Journal) InstallSnapshot(ctx context.Context, index uint64, write func(w io.Writer) error) error {
	j.snapMu.Lock()
	defer j.snapMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if last := j.LastIndex(); index > last {
		return fmt.Errorf("filejournal: snapshot index %d is beyond the last index %d", index, last)
	}
	j.segMu.Lock()
	cur := j.snapIndex
	j.segMu.Unlock()
	if index < cur {
		return fmt.Errorf("filejournal: snapshot index %d is below the installed snapshot's %d", index, cur)
	}
	start := time.Now()
	if err := j.barrier(ctx); err != nil {
		return err
	}
	size, err := j.writeSnapshot(ctx, index, write)
	j.opts.Observer.Snapshot(time.Since(start), size, err)
	if err != nil {
		return err
	}
	j.dropCovered(index, size)
	return nil
}

// barrier waits until every record appended before it is synced.
func (j *Journal) barrier(ctx context.Context) error {
	ch := make(chan error, 1)
	if !j.enqueue(request{sync: true, done: func(err error) { ch <- err }}) {
		return journal.ErrClosed
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeSnapshot writes and renames the snapshot file and returns the size
// of the snapshot's bytes.
func (j *Journal) writeSnapshot(ctx context.Context, index uint64, write func(io.Writer) error) (size int64, err error) {
	final := filepath.Join(j.dir, snapshotName(index))
	tmp := final + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("filejournal: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(make([]byte, snapHeaderSize)); err != nil {
		return 0, fmt.Errorf("filejournal: %w", err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	cw := &checksumWriter{w: bw, crc: crc32.New(castagnoli)}
	if err := write(cw); err != nil {
		return 0, fmt.Errorf("filejournal: write snapshot %d: %w", index, err)
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("filejournal: %w", err)
	}
	h := snapHeader{index: index, length: uint64(cw.n), crc: cw.crc.Sum32()}
	if _, err := f.WriteAt(h.encode(), 0); err != nil {
		return 0, fmt.Errorf("filejournal: %w", err)
	}
	if err := fdatasync(f); err != nil {
		return 0, fmt.Errorf("filejournal: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("filejournal: %w", err)
	}
	if err := ctx.Err(); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("filejournal: %w", err)
	}
	if err := syncDir(j.dir); err != nil {
		return 0, fmt.Errorf("filejournal: %w", err)
	}
	return cw.n, nil
}

// checksumWriter counts and checksums what passes through it.
type checksumWriter struct {
	w   io.Writer
	crc hash.Hash32
	n   int64
}

func (c *checksumWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// dropCovered records the snapshot at index as installed and deletes older
// snapshots and the sealed segments it covers.
func (j *Journal) dropCovered(index uint64, size int64) {
	removed := false
	if entries, err := os.ReadDir(j.dir); err != nil {
		j.log.Warn("filejournal: cannot list old snapshots", "err", err)
	} else {
		for _, e := range entries {
			if i, ok := parseIndexName(e.Name(), snapshotPrefix, snapshotSuffix); ok && i < index {
				if err := os.Remove(filepath.Join(j.dir, e.Name())); err != nil {
					j.log.Warn("filejournal: cannot delete old snapshot", "err", err)
					continue
				}
				removed = true
			}
		}
	}

	j.segMu.Lock()
	n := 0
	for n+1 < len(j.segs) && j.segs[n+1].first <= index+1 {
		n++
	}
	covered := slices.Clone(j.segs[:n])
	j.segMu.Unlock()
	deleted := 0
	for _, s := range covered {
		err := os.Remove(filepath.Join(j.dir, segmentName(s.first)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			j.log.Warn("filejournal: cannot delete segment covered by snapshot", "err", err)
			break
		}
		deleted++
	}
	if removed || deleted > 0 {
		if err := syncDir(j.dir); err != nil {
			j.log.Warn("filejournal: cannot sync directory after deleting files", "err", err)
		}
	}

	// Update the list and the figures Stats uses together, so that it never
	// sees one without the other.
	j.segMu.Lock()
	remaining := slices.Clone(j.segs[deleted:])
	j.segMu.Unlock()
	boundary := j.bytesThrough(remaining, index)
	j.segMu.Lock()
	j.segs = slices.Delete(j.segs, 0, deleted)
	j.snapIndex, j.snapBytes, j.snapBoundary = index, size, boundary
	j.segMu.Unlock()
}

// OpenSnapshot returns the newest snapshot whose checksum is correct and the
// index it covers. A damaged snapshot is logged and skipped in favour of the
// one before it, if any is left. It returns journal.ErrNoSnapshot if there
// is none and journal.ErrClosed after Close. The caller must close the
// reader; it stays valid if a newer snapshot replaces this one.
func (j *Journal) OpenSnapshot(ctx context.Context) (uint64, io.ReadCloser, error) {
	j.snapMu.Lock()
	defer j.snapMu.Unlock()
	if j.isClosed() {
		return 0, nil, journal.ErrClosed
	}
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return 0, nil, fmt.Errorf("filejournal: %w", err)
	}
	var snaps []uint64
	for _, e := range entries {
		if i, ok := parseIndexName(e.Name(), snapshotPrefix, snapshotSuffix); ok {
			snaps = append(snaps, i)
		}
	}
	slices.Sort(snaps)
	for _, index := range slices.Backward(snaps) {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		r, err := openSnapshotFile(filepath.Join(j.dir, snapshotName(index)), index)
		if err != nil {
			j.log.Warn("filejournal: skipping damaged snapshot", "index", index, "err", err)
			continue
		}
		return index, r, nil
	}
	return 0, nil, journal.ErrNoSnapshot
}

// openSnapshotFile opens the snapshot file at path and verifies its
// checksum, returning a reader over the snapshot's bytes.
func openSnapshotFile(path string, index uint64) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	h, err := checkSnapshotHeader(f, index)
	if err != nil {
		f.Close()
		return nil, err
	}
	crc := crc32.New(castagnoli)
	body := io.NewSectionReader(f, snapHeaderSize, int64(h.length))
	if _, err := io.CopyBuffer(crc, body, make([]byte, 256<<10)); err != nil {
		f.Close()
		return nil, err
	}
	if crc.Sum32() != h.crc {
		f.Close()
		return nil, fmt.Errorf("%s: bad checksum", filepath.Base(path))
	}
	return &snapshotReader{SectionReader: io.NewSectionReader(f, snapHeaderSize, int64(h.length)), f: f}, nil
}

// snapshotReader reads a snapshot's bytes and closes its file.
type snapshotReader struct {
	*io.SectionReader
	f *os.File
}

func (r *snapshotReader) Close() error { return r.f.Close() }
