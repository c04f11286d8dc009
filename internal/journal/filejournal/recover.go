package filejournal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// RecoveryReport describes what Open found in the journal directory.
type RecoveryReport struct {
	Segments      int    // segment files scanned
	Records       uint64 // records found in them, after any truncation
	LastIndex     uint64 // index of the last good record, 0 if none
	SnapshotIndex uint64 // index of the newest snapshot with a valid header, 0 if none

	// Truncated reports that a damaged tail was cut from the last segment.
	// The fields after it say where and why.
	Truncated    bool
	Segment      string // base name of the truncated segment
	Offset       int64  // offset of the first damaged frame, the new file size
	DroppedBytes int64  // bytes cut off, up to the last non-zero one
	Reason       string // what was wrong with the first damaged frame
}

// recover scans the directory and leaves the journal ready for its writer:
// segments listed, the last one's damaged tail truncated, the active segment
// open, and the next index known.
func (j *Journal) recover() error {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return fmt.Errorf("filejournal: %w", err)
	}
	var firsts, snaps []uint64
	removedTmp := false
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, tmpSuffix) {
			// An unfinished snapshot or spare segment.
			if err := os.Remove(filepath.Join(j.dir, name)); err != nil {
				return fmt.Errorf("filejournal: %w", err)
			}
			j.log.Info("filejournal: removed unfinished file", "file", name)
			removedTmp = true
		} else if first, ok := parseIndexName(name, "", segmentSuffix); ok {
			if first == 0 {
				return fmt.Errorf("filejournal: invalid segment name %s: indexes start at 1", name)
			}
			firsts = append(firsts, first)
		} else if index, ok := parseIndexName(name, snapshotPrefix, snapshotSuffix); ok {
			snaps = append(snaps, index)
		}
	}
	if removedTmp {
		if err := syncDir(j.dir); err != nil {
			return fmt.Errorf("filejournal: %w", err)
		}
	}
	slices.Sort(firsts)
	slices.Sort(snaps)

	for _, index := range slices.Backward(snaps) {
		h, err := readSnapshotHeader(filepath.Join(j.dir, snapshotName(index)), index)
		if err != nil {
			j.log.Warn("filejournal: ignoring damaged snapshot", "err", err)
			continue
		}
		j.snapIndex, j.snapBytes = index, int64(h.length)
		break
	}

	rep := RecoveryReport{Segments: len(firsts), SnapshotIndex: j.snapIndex}
	var (
		last     uint64 // index of the last record seen so far
		lastSegN uint64 // records in the last segment scanned
		fileEnd  int64  // size of the last segment's file
		buf      []byte
	)
	for i, first := range firsts {
		name := segmentName(first)
		isLast := i == len(firsts)-1
		// A gap is harmless where the snapshot covers it; anywhere else
		// records that were confirmed are missing.
		switch {
		case i == 0 && first > j.snapIndex+1:
			return fmt.Errorf("filejournal: %s starts at index %d but the snapshot covers only up to %d: records are missing", name, first, j.snapIndex)
		case i > 0 && first != last+1 && first > j.snapIndex+1:
			return fmt.Errorf("filejournal: index gap: %s ends at %d but %s starts at %d", segmentName(firsts[i-1]), last, name, first)
		}
		n, size, damage, err := j.scanSegment(first, &buf)
		if err != nil {
			return err
		}
		fileEnd = size
		if damage != nil {
			if !isLast {
				return fmt.Errorf("filejournal: %s is damaged before the last segment: %w", name, damage)
			}
			end, err := zeroTailOf(filepath.Join(j.dir, name), damage.offset)
			if err != nil {
				return fmt.Errorf("filejournal: %w", err)
			}
			if end > damage.offset {
				// Not just preallocated zeros: a torn or damaged write.
				if err := j.truncateTail(&rep, name, end-damage.offset, damage, first+n-1); err != nil {
					return err
				}
				fileEnd = damage.offset
			}
			size = damage.offset
		}
		j.segs = append(j.segs, segment{first: first, size: size})
		last, lastSegN = first+n-1, n
		rep.Records += n
	}
	rep.LastIndex = last
	j.recovery = rep

	next := max(last, j.snapIndex) + 1
	if err := j.openActive(next, lastSegN, fileEnd); err != nil {
		return err
	}
	j.next = next
	j.w.next = next
	j.written.Store(next - 1)
	j.snapBoundary = j.bytesThrough(j.segs, j.snapIndex)
	j.log.Info("filejournal: opened", "dir", j.dir, "segments", len(j.segs), "records", rep.Records,
		"last_index", next-1, "snapshot_index", j.snapIndex)
	return nil
}

// scanSegment reads every frame of the segment starting at first. It returns
// the number of good records and the file size, and the first damaged frame
// if there is one. I/O errors are returned as err.
func (j *Journal) scanSegment(first uint64, buf *[]byte) (n uint64, size int64, damage *frameError, err error) {
	name := segmentName(first)
	f, err := os.Open(filepath.Join(j.dir, name))
	if err != nil {
		return 0, 0, nil, fmt.Errorf("filejournal: %w", err)
	}
	defer f.Close()
	sc, err := newScanner(f, first, *buf)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("filejournal: %w", err)
	}
	defer func() { *buf = sc.buf }()
	for {
		_, _, err := sc.scan()
		if err == io.EOF {
			return n, sc.size, nil, nil
		}
		if fe := (*frameError)(nil); errors.As(err, &fe) {
			return n, sc.size, fe, nil
		}
		if err != nil {
			return 0, 0, nil, fmt.Errorf("filejournal: %w", err)
		}
		n++
	}
}

// truncateTail cuts the damaged tail off the last segment, logs it and
// records it in rep. dropped is the number of bytes up to the last non-zero
// one; lastGood is the index of the last record kept overall.
func (j *Journal) truncateTail(rep *RecoveryReport, name string, dropped int64, damage *frameError, lastGood uint64) error {
	if err := truncateFile(filepath.Join(j.dir, name), damage.offset); err != nil {
		return fmt.Errorf("filejournal: truncate damaged tail: %w", err)
	}
	rep.Truncated = true
	rep.Segment = name
	rep.Offset = damage.offset
	rep.DroppedBytes = dropped
	rep.Reason = damage.reason
	j.log.Warn("filejournal: dropped damaged tail of the last segment",
		"segment", name, "offset", damage.offset, "bytes", rep.DroppedBytes,
		"reason", damage.reason, "last_good_index", lastGood)
	return nil
}

// openActive opens the segment the writer will append to: the last one if
// it ends just before next, or a new one named next. lastN is the number of
// records in the last segment and fileEnd the size of its file, which is
// larger than its frames if it was preallocated.
func (j *Journal) openActive(next, lastN uint64, fileEnd int64) error {
	if len(j.segs) > 0 {
		last := j.segs[len(j.segs)-1]
		path := filepath.Join(j.dir, segmentName(last.first))
		switch {
		case last.first+lastN == next:
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return fmt.Errorf("filejournal: %w", err)
			}
			j.w.f, j.w.size, j.w.fileEnd, j.w.prealloc = f, last.size, fileEnd, fileEnd > last.size
			return nil
		case lastN == 0:
			// An empty segment named before the snapshot: replace it.
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("filejournal: %w", err)
			}
			j.segs = j.segs[:len(j.segs)-1]
		default:
			// The snapshot is ahead of every record: the segments hold
			// nothing it does not cover. Seal the last one as the writer
			// would, without its preallocated zeros, and start after it.
			j.log.Warn("filejournal: snapshot is ahead of the log; starting a new segment after it",
				"snapshot_index", j.snapIndex, "last_record", last.first+lastN-1)
			if fileEnd > last.size {
				if err := truncateFile(path, last.size); err != nil {
					return fmt.Errorf("filejournal: %w", err)
				}
			}
		}
	}
	f, err := createSegment(j.dir, next)
	if err != nil {
		return fmt.Errorf("filejournal: %w", err)
	}
	j.w.f, j.w.size = f, 0
	j.segs = append(j.segs, segment{first: next})
	return nil
}

// truncateFile truncates the file at path to size and syncs it.
func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// zeroTailOf returns the offset just past the last non-zero byte of the file
// at path at or after from, or from if there is none.
func zeroTailOf(path string, from int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return zeroTail(f, from)
}

// bytesThrough returns the bytes of the frames in segs with index <= index.
// It reads the segment holding index to find where that record ends.
func (j *Journal) bytesThrough(segs []segment, index uint64) int64 {
	var total int64
	for i, s := range segs {
		if s.first > index {
			break
		}
		if i+1 < len(segs) && segs[i+1].first <= index+1 {
			total += s.size // every record is at or before index
			continue
		}
		off, err := j.offsetAfter(s.first, index)
		if err != nil {
			j.log.Warn("filejournal: cannot measure journal size", "err", err)
			off = s.size
		}
		return total + off
	}
	return total
}

// offsetAfter returns the offset just past the record at index in the
// segment starting at first.
func (j *Journal) offsetAfter(first, index uint64) (int64, error) {
	f, err := os.Open(filepath.Join(j.dir, segmentName(first)))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc, err := newScanner(f, first, nil)
	if err != nil {
		return 0, err
	}
	for sc.next <= index {
		if _, _, err := sc.scan(); err != nil {
			if err == io.EOF {
				break
			}
			return 0, err
		}
	}
	return sc.off, nil
}
