// Package memjournal is an in-memory journal for tests of the engine.
//
// Every record is durable the moment it is appended: Append calls its
// callback before it returns, on the caller's goroutine, and the journal runs
// no goroutines of its own, so it works inside testing/synctest bubbles.
// Reopen simulates a restart over the same records and snapshot, and FailWith
// simulates a failed disk.
package memjournal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/sluicehq/sluice/internal/journal"
)

// Journal is a journal.Journal held in memory. Create one with New. All
// methods are safe for concurrent use.
type Journal struct {
	s *store
	// The fields below are guarded by s.mu.
	closed bool
	err    error // set by FailWith
}

var (
	_ journal.Journal       = (*Journal)(nil)
	_ journal.StatsReporter = (*Journal)(nil)
)

// store is the "disk": what survives Reopen.
type store struct {
	mu            sync.Mutex // guards everything in store and in the Journals over it
	records       [][]byte   // records[i] has index first+i
	first         uint64     // index of records[0]
	bytes         int64      // total length of records
	snapIndex     uint64
	snap          []byte // nil if no snapshot was installed
	syncs         uint64
	syncedRecords uint64
}

// New returns an empty journal.
func New() *Journal {
	return &Journal{s: &store{first: 1}}
}

// Reopen closes j and returns a new journal over the same records and
// snapshot, as after a restart. Records are durable once appended, so none
// is lost. The new journal is not failed even if j was.
func (j *Journal) Reopen() *Journal {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	j.closed = true
	return &Journal{s: j.s}
}

// FailWith makes every later Append and InstallSnapshot fail with err, as
// after a failed write. It lasts until Reopen.
func (j *Journal) FailWith(err error) {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	j.err = err
}

// Append stores copies of recs and then calls done, before returning and on
// the caller's goroutine. done gets the error given to FailWith if one was,
// or journal.ErrClosed after Close.
func (j *Journal) Append(recs [][]byte, done func(err error)) {
	err := j.append(recs)
	done(err)
}

func (j *Journal) append(recs [][]byte) error {
	s := j.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.closed {
		return journal.ErrClosed
	}
	if j.err != nil {
		return j.err
	}
	for _, rec := range recs {
		s.records = append(s.records, bytes.Clone(rec))
		s.bytes += int64(len(rec))
	}
	s.syncs++
	s.syncedRecords += uint64(len(recs))
	return nil
}

// LastIndex returns the index of the last record appended, or the
// snapshot's index if none follows it, or 0.
func (j *Journal) LastIndex() uint64 {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	return j.s.lastIndex()
}

// lastIndex returns the last index; s.mu must be held.
func (s *store) lastIndex() uint64 {
	return s.first + uint64(len(s.records)) - 1
}

// Replay calls fn with every record above after, in order. It returns an
// error if some of them were dropped by a snapshot, fn's error unchanged, or
// journal.ErrClosed after Close. fn may call other methods of j.
func (j *Journal) Replay(ctx context.Context, after uint64, fn func(index uint64, rec []byte) error) error {
	s := j.s
	s.mu.Lock()
	if j.closed {
		s.mu.Unlock()
		return journal.ErrClosed
	}
	if after+1 < s.first {
		s.mu.Unlock()
		return fmt.Errorf("memjournal: cannot replay after index %d: records up to %d were dropped by a snapshot", after, s.first-1)
	}
	first := s.first
	var recs [][]byte
	if after+1 <= s.lastIndex() {
		recs = s.records[after+1-first:]
	}
	s.mu.Unlock()
	for i, rec := range recs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(after+1+uint64(i), bytes.Clone(rec)); err != nil {
			return err
		}
	}
	return nil
}

// InstallSnapshot stores what write produces as the snapshot at index and
// drops the records it covers. It returns an error if index is beyond
// LastIndex or below the installed snapshot's, if write fails (wrapping its
// error), the error given to FailWith, or journal.ErrClosed after Close.
// write runs without j's lock held.
func (j *Journal) InstallSnapshot(ctx context.Context, index uint64, write func(w io.Writer) error) error {
	s := j.s
	s.mu.Lock()
	err := j.checkSnapshot(index)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("memjournal: write snapshot %d: %w", index, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := j.checkSnapshot(index); err != nil {
		return err
	}
	drop := int(index + 1 - s.first)
	for _, rec := range s.records[:drop] {
		s.bytes -= int64(len(rec))
	}
	s.records = append([][]byte(nil), s.records[drop:]...)
	s.first = index + 1
	s.snapIndex = index
	s.snap = buf.Bytes()
	if s.snap == nil {
		s.snap = []byte{}
	}
	return nil
}

// checkSnapshot returns why a snapshot at index cannot be installed; s.mu
// must be held.
func (j *Journal) checkSnapshot(index uint64) error {
	s := j.s
	switch {
	case j.closed:
		return journal.ErrClosed
	case j.err != nil:
		return j.err
	case index > s.lastIndex():
		return fmt.Errorf("memjournal: snapshot index %d is beyond the last index %d", index, s.lastIndex())
	case index < s.snapIndex:
		return fmt.Errorf("memjournal: snapshot index %d is below the installed snapshot's %d", index, s.snapIndex)
	}
	return nil
}

// OpenSnapshot returns the installed snapshot and its index, or
// journal.ErrNoSnapshot, or journal.ErrClosed after Close.
func (j *Journal) OpenSnapshot(ctx context.Context) (uint64, io.ReadCloser, error) {
	s := j.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.closed {
		return 0, nil, journal.ErrClosed
	}
	if s.snap == nil {
		return 0, nil, journal.ErrNoSnapshot
	}
	return s.snapIndex, io.NopCloser(bytes.NewReader(s.snap)), nil
}

// Close marks j closed. Records are already durable, so it has nothing to
// wait for. It always returns nil.
func (j *Journal) Close() error {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	j.closed = true
	return nil
}

// Stats returns the journal's size. Each Append counts as one sync.
func (j *Journal) Stats() journal.Stats {
	s := j.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return journal.Stats{
		Records:       uint64(len(s.records)),
		Bytes:         s.bytes,
		SnapshotIndex: s.snapIndex,
		SnapshotBytes: int64(len(s.snap)),
		Syncs:         s.syncs,
		SyncedRecords: s.syncedRecords,
	}
}
