package filejournal

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/sluicehq/sluice/internal/journal"
)

// Replay calls fn with every record whose index is above after, in order,
// checking each frame's checksum. fn's rec is valid only during the call. It
// stops at the first error fn returns and returns it unchanged. It returns
// an error if some of those records were deleted after a snapshot or a
// segment is damaged, and journal.ErrClosed after Close. It reads records written
// before the call; it is meant to run once, before the first Append.
func (j *Journal) Replay(ctx context.Context, after uint64, fn func(index uint64, rec []byte) error) error {
	if j.isClosed() {
		return journal.ErrClosed
	}
	limit := j.written.Load()
	if after >= limit {
		return nil
	}
	j.segMu.Lock()
	segs := slices.Clone(j.segs)
	j.segMu.Unlock()
	start := -1
	for i, s := range segs {
		if s.first > after+1 {
			break
		}
		start = i
	}
	if start < 0 {
		return fmt.Errorf("filejournal: cannot replay after index %d: records up to %d were deleted after a snapshot", after, segs[0].first-1)
	}
	next := segs[start].first
	var buf []byte
	for _, s := range segs[start:] {
		if s.first != next {
			return fmt.Errorf("filejournal: index gap: %s starts at %d, want %d", segmentName(s.first), s.first, next)
		}
		var err error
		next, err = j.replaySegment(ctx, s.first, after, limit, fn, &buf)
		if err != nil {
			return err
		}
		if next > limit {
			return nil
		}
	}
	return fmt.Errorf("filejournal: replay ended at index %d, want %d", next-1, limit)
}

// replaySegment calls fn for the records in (after, limit] in the segment
// starting at first and returns the index following its last record.
func (j *Journal) replaySegment(ctx context.Context, first, after, limit uint64, fn func(uint64, []byte) error, buf *[]byte) (uint64, error) {
	name := segmentName(first)
	f, err := os.Open(filepath.Join(j.dir, name))
	if err != nil {
		return 0, fmt.Errorf("filejournal: replay: %w", err)
	}
	defer f.Close()
	sc, err := newScanner(f, first, *buf)
	if err != nil {
		return 0, fmt.Errorf("filejournal: replay: %w", err)
	}
	defer func() { *buf = sc.buf }()
	for sc.next <= limit {
		if sc.next%256 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		index, rec, err := sc.scan()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("filejournal: replay %s: %w", name, err)
		}
		if index > after {
			if err := fn(index, rec); err != nil {
				return 0, err
			}
		}
	}
	return sc.next, nil
}
