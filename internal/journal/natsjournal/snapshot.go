package natsjournal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/sluicehq/sluice/internal/journal"
)

// InstallSnapshot waits until index is durable, stores what write produces
// as a new object, publishes the marker naming it through the writer (so
// that a fenced journal cannot install one), and then purges the log
// batches it covers and the objects it replaces. See journal.Journal.
func (j *Journal) InstallSnapshot(ctx context.Context, index uint64, write func(w io.Writer) error) error {
	j.snapMu.Lock()
	defer j.snapMu.Unlock()
	if err := j.checkSnapshot(index); err != nil {
		return err
	}
	if err := j.waitDurable(ctx, index); err != nil {
		return err
	}

	name := fmt.Sprintf("snap-%020d-%s", index, nuid.Next())
	pr, pw := io.Pipe()
	writeErr := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err)
		writeErr <- err
	}()
	info, err := j.objs.Put(ctx, jetstream.ObjectMeta{Name: name}, pr)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks write if Put stopped reading
	if werr := <-writeErr; werr != nil {
		j.deleteObject(name)
		return fmt.Errorf("natsjournal: %s: write snapshot %d: %w", j.name, index, werr)
	}
	if err != nil {
		j.deleteObject(name)
		return fmt.Errorf("natsjournal: %s: store snapshot %d: %w", j.name, index, err)
	}

	marker := nats.NewMsg(j.snapSubj)
	marker.Header.Set(hdrIndex, strconv.FormatUint(index, 10))
	marker.Header.Set(hdrObject, name)
	marker.Header.Set(hdrSize, strconv.FormatUint(info.Size, 10))
	done := make(chan error, 1)
	j.mu.Lock()
	if err := j.checkSnapshotLocked(index); err != nil {
		j.mu.Unlock()
		j.deleteObject(name)
		return err
	}
	j.queue = append(j.queue, item{marker: marker, done: func(err error) { done <- err }})
	j.mu.Unlock()
	j.wake()
	if err := <-done; err != nil {
		j.deleteObject(name)
		return err
	}

	j.mu.Lock()
	old := j.snapObj
	j.snapIndex, j.snapBytes, j.snapObj = index, int64(info.Size), name
	var purgeTo uint64 // purge the log below this sequence
	keep := j.spans[:0]
	for _, s := range j.spans {
		if s.last <= index {
			purgeTo = s.next
			j.bytes -= s.bytes
		} else {
			keep = append(keep, s)
		}
	}
	j.spans = keep
	j.mu.Unlock()

	// What follows reclaims space; the snapshot is installed whatever
	// happens, and a later snapshot purges what this one could not.
	if purgeTo > 0 {
		if err := j.stream.Purge(ctx, jetstream.WithPurgeSubject(j.logSubj), jetstream.WithPurgeSequence(purgeTo)); err != nil {
			j.log.Warn("purging the log after a snapshot failed", "stream", j.name, "index", index, "err", err)
		}
	}
	if err := j.stream.Purge(ctx, jetstream.WithPurgeSubject(j.snapSubj), jetstream.WithPurgeKeep(1)); err != nil {
		j.log.Warn("purging old snapshot markers failed", "stream", j.name, "err", err)
	}
	if old != "" {
		j.deleteObject(old)
	}
	return nil
}

// checkSnapshot returns why a snapshot at index cannot be installed.
func (j *Journal) checkSnapshot(index uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.checkSnapshotLocked(index)
}

// checkSnapshotLocked is checkSnapshot with j.mu held.
func (j *Journal) checkSnapshotLocked(index uint64) error {
	switch {
	case j.closed:
		return journal.ErrClosed
	case j.err != nil:
		return j.err
	case index > j.lastIndex:
		return fmt.Errorf("natsjournal: %s: snapshot index %d is beyond the last index %d", j.name, index, j.lastIndex)
	case index < j.snapIndex:
		return fmt.Errorf("natsjournal: %s: snapshot index %d is below the installed snapshot's %d", j.name, index, j.snapIndex)
	}
	return nil
}

// deleteObject removes a snapshot object that is no longer, or never was,
// the snapshot.
func (j *Journal) deleteObject(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), j.opts.Timeout)
	defer cancel()
	if err := j.objs.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		j.log.Warn("deleting a snapshot object failed", "stream", j.name, "object", name, "err", err)
	}
}

// OpenSnapshot returns the newest installed snapshot, read from the object
// store (whose digest is checked at the end of the read), or
// journal.ErrNoSnapshot.
func (j *Journal) OpenSnapshot(ctx context.Context) (uint64, io.ReadCloser, error) {
	j.mu.Lock()
	closed, index, name := j.closed, j.snapIndex, j.snapObj
	j.mu.Unlock()
	if closed {
		return 0, nil, journal.ErrClosed
	}
	if name == "" {
		return 0, nil, journal.ErrNoSnapshot
	}
	r, err := j.objs.Get(ctx, name)
	if err != nil {
		return 0, nil, fmt.Errorf("natsjournal: %s: open snapshot %d: %w", j.name, index, err)
	}
	return index, r, nil
}
