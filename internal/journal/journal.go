// Package journal defines the durable log the engine writes its state changes
// to, and the snapshot that bounds how much of it must be replayed.
//
// A journal is an ordered sequence of opaque records numbered from 1 with no
// gaps. Records are appended in the order Append is called; when the callback
// for a record reports success, that record and every record before it
// survive a crash. Recovery yields a prefix of what was appended: never a
// record with a hole before it.
//
// A snapshot captures the engine's state as of one index. Installing it lets
// the journal drop every record at or before that index. After a restart the
// engine loads the newest snapshot and replays the records that follow it.
//
// The contract is written so that it can be met by local files (filejournal)
// and by a NATS JetStream stream whose appends are fenced with an expected
// last sequence; journaltest holds the conformance suite every implementation
// runs.
package journal

import (
	"context"
	"errors"
	"io"
)

// ErrClosed is returned by operations on a closed journal.
var ErrClosed = errors.New("journal: closed")

// ErrFenced is returned, wrapped, by a journal shared between nodes once
// another node has taken it over: nothing this journal writes afterwards is
// kept, and its owner must stop serving the partition at once.
var ErrFenced = errors.New("journal: fenced: another owner has taken the journal over")

// ErrNoSnapshot is returned by OpenSnapshot when no snapshot was installed.
var ErrNoSnapshot = errors.New("journal: no snapshot")

// Journal is a durable, append-only sequence of records.
//
// All methods are safe for concurrent use, but the engine calls Append from
// one goroutine per journal so that record order is the order of its state
// changes.
type Journal interface {
	// Append queues recs to be written after every record appended before
	// and returns at once. The records get the indexes LastIndex()+1 onwards,
	// as counted at the call, consecutively. done is called exactly once,
	// when the records are durable (as the journal's sync policy defines it)
	// or have failed; it may run on the journal's goroutine or before Append
	// returns, so it must not block or take locks the caller of Append holds.
	// For appends made by one goroutine, done callbacks run in Append order.
	// After a failed write every later Append fails too: the journal is
	// broken and must be reopened. After Close, done gets ErrClosed.
	// The caller must not modify recs until done is called; the journal
	// does not retain them afterwards. Empty records are allowed.
	Append(recs [][]byte, done func(err error))

	// LastIndex returns the index of the last record appended (durable or
	// not), or of the snapshot when nothing follows it, or 0 for a new journal.
	LastIndex() uint64

	// Replay calls fn with every record whose index is above after, in order.
	// It is called once at startup, before the first Append, with the index of
	// the snapshot the caller loaded (0 for none). fn must not keep rec. It
	// fails if records above after were already dropped by a snapshot.
	Replay(ctx context.Context, after uint64, fn func(index uint64, rec []byte) error) error

	// InstallSnapshot waits until every record up to index is durable, stores
	// the snapshot that write produces, and then drops what it covers. Only
	// after it returns nil does the snapshot replace the previous one. It may
	// run concurrently with Append. An index above LastIndex or below the
	// current snapshot's is an error; an equal one replaces it.
	InstallSnapshot(ctx context.Context, index uint64, write func(w io.Writer) error) error

	// OpenSnapshot returns the newest installed snapshot and the index it
	// covers, or ErrNoSnapshot. The caller must close the reader.
	OpenSnapshot(ctx context.Context) (index uint64, r io.ReadCloser, err error)

	// Close waits for appended records to be written, calls their callbacks
	// and releases resources. It is safe to call more than once.
	Close() error
}

// Stats describes a journal's size, for deciding when to snapshot and for
// metrics. Journals that can report it implement StatsReporter.
type Stats struct {
	Records       uint64 // records after the snapshot
	Bytes         int64  // bytes of records after the snapshot
	SnapshotIndex uint64
	SnapshotBytes int64
	Syncs         uint64 // fsyncs (or replicated acknowledgements) so far
	SyncedRecords uint64 // records made durable by those syncs
}

// StatsReporter is implemented by journals that report Stats.
type StatsReporter interface {
	Stats() Stats
}

// AppendWait appends recs and waits until they are durable or ctx is done.
// It is a convenience for tests and for callers outside the engine.
func AppendWait(ctx context.Context, j Journal, recs ...[]byte) error {
	ch := make(chan error, 1)
	j.Append(recs, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
