// Package filejournal is Sluice's embedded journal: records in segmented,
// append-only files on the local disk, made durable by group commit, with
// snapshots that let old segments be deleted.
//
// # Files
//
// A journal directory holds:
//
//	00000000000000000001.log    segments, named by the index of their first record
//	00000000000000004097.log    (20 decimal digits); the last one is active
//	snapshot-00000000000000004000.snap   the newest snapshot, named by its index
//	LOCK                        locked while a process has the journal open
//	spare-0.tmp                 a segment being preallocated (see below)
//
// A segment is a sequence of frames, one per record, with no other header:
//
//	length   uint32  little-endian, bytes of payload
//	crc      uint32  little-endian, CRC-32C (Castagnoli) of index and payload
//	index    uint64  little-endian, the record's index
//	payload  length bytes
//
// Indexes are consecutive within a segment, starting at the one in its name,
// and continue from one segment to the next. A new segment is started when
// the active one has reached Options.SegmentSize; a frame is never split
// across segments, so one large record may make a segment larger.
//
// Segments are preallocated: a helper goroutine fills a spare file with
// zeros and syncs it while the active segment fills, and the writer renames
// it into place when it rolls. Overwriting blocks that are already allocated
// lets fdatasync skip the file system's metadata journal, which roughly
// halves its latency on ext4. So the active segment may end in zeros after
// its last frame; a sealed segment is cut back to its last frame. A new
// journal's first segment is not preallocated, and is left for a
// preallocated one once it holds 1 MiB.
//
// A snapshot file is a 32-byte header followed by the snapshot's bytes:
//
//	magic     8 bytes  "slsnap01"
//	index     uint64   little-endian, the journal index the snapshot covers
//	length    uint64   little-endian, bytes that follow the header
//	crc       uint32   little-endian, CRC-32C of those bytes
//	hdrcrc    uint32   little-endian, CRC-32C of the 28 header bytes before it
//
// It is written as snapshot-<index>.snap.tmp, synced, and renamed into place.
//
// # Durability
//
// One writer goroutine owns the active segment. Each time it wakes it takes
// every Append queued since its last write, encodes them into one buffer,
// writes it with one write(2) and, under SyncAlways, makes it durable with
// one fdatasync before calling the callbacks in order. Batches grow with load
// and need no timer. The directory is synced whenever a file is created,
// renamed or removed. A failed write or sync breaks the journal: that batch
// and every later one fail with the same error until it is reopened.
//
// # Recovery
//
// Open scans every segment. In the last segment, zeros after the last frame
// are preallocated space. Other damage at its end (a torn write: a short
// frame, a bad checksum, an unexpected index, a zero-filled header followed
// by data) is what a crash leaves behind; it is truncated away, logged at
// WARN and described by Journal.Recovery. Damage anywhere else, or a gap in the
// indexes, means records that were confirmed are gone, so Open refuses with
// an error naming the file and offset.
package filejournal

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/journal"
)

// DefaultSegmentSize is the segment size used when Options.SegmentSize is 0.
const DefaultSegmentSize = 64 << 20

// Options configures a Journal. A zero field means the default.
type Options struct {
	// Sync says when records are made durable (default SyncAlways).
	Sync SyncPolicy
	// SegmentSize is the size at which a new segment is started (default
	// DefaultSegmentSize). A busy journal also keeps one preallocated
	// segment of this size ready.
	SegmentSize int64
	// Logger receives recovery reports and write failures (default: discard).
	Logger *slog.Logger
	// Observer, when set, is told about every group commit, sync and
	// snapshot, for metrics.
	Observer Observer
}

// Observer receives measurements of a journal's work. Commit and Sync are
// called on the journal's writer goroutine and Snapshot on the caller of
// InstallSnapshot, so they must be fast and must not block or call the
// journal; they may run concurrently with each other.
type Observer interface {
	// Commit reports one group commit: the Append calls and records it
	// wrote together and the bytes of their frames.
	Commit(appends, records int, bytes int64)
	// Sync reports the duration of one fdatasync of a segment.
	Sync(d time.Duration)
	// Snapshot reports one InstallSnapshot that wrote a snapshot: how long
	// it took (including the wait for earlier records), its size, and its
	// error if it failed.
	Snapshot(d time.Duration, bytes int64, err error)
}

// nopObserver is the Observer of a journal given none.
type nopObserver struct{}

func (nopObserver) Commit(int, int, int64)               {}
func (nopObserver) Sync(time.Duration)                   {}
func (nopObserver) Snapshot(time.Duration, int64, error) {}

// Journal is a journal.Journal stored in a directory. Create one with Open;
// the caller must Close it. All methods are safe for concurrent use.
//
// A record larger than 1 GiB cannot be framed; appending one breaks the
// journal like a failed write.
type Journal struct {
	dir      string
	opts     Options
	log      *slog.Logger
	lock     *os.File // holds the directory lock until Close
	recovery RecoveryReport

	wake    chan struct{} // capacity 1: the queue became non-empty, or Close was called
	stopped chan struct{} // closed when the writer goroutine returns

	spareReq chan struct{} // capacity 1: the writer wants a preallocated segment
	spares   chan *os.File // capacity 1: a preallocated segment, ready
	stopPrep chan struct{} // closed by Close to stop the preparer
	prepDone chan struct{} // closed when the preparer returns

	mu     sync.Mutex // guards queue, next, closed and err
	queue  []request  // appended but not yet taken by the writer
	next   uint64     // index the next appended record gets
	closed bool       // Close was called
	err    error      // sticky write error, set by the writer

	closeOnce sync.Once
	closeErr  error

	// snapMu serializes InstallSnapshot and OpenSnapshot. Lock order:
	// snapMu, then mu or segMu; mu and segMu are never held together.
	snapMu sync.Mutex

	segMu        sync.Mutex // guards the fields below
	segs         []segment  // retained segments in index order; the last is active
	snapIndex    uint64     // index of the installed snapshot, 0 for none
	snapBytes    int64      // its size, excluding the header
	snapBoundary int64      // bytes of retained frames with index <= snapIndex

	written       atomic.Uint64 // index of the last record written to a segment
	syncs         atomic.Uint64 // fdatasyncs of segments, for Stats
	syncedRecords atomic.Uint64 // records those syncs made durable, for Stats

	w writer // owned by the writer goroutine (and by Open before it starts)
}

var (
	_ journal.Journal       = (*Journal)(nil)
	_ journal.StatsReporter = (*Journal)(nil)
)

// request is one Append (or an InstallSnapshot barrier) waiting for the
// writer.
type request struct {
	recs  [][]byte
	first uint64 // index of recs[0]
	done  func(error)
	sync  bool // sync before done whatever the policy
}

// Open opens the journal in dir, creating the directory if needed, recovers
// it (see the package comment) and starts its writer and preparer
// goroutines, which Close stops. It fails if another
// process has the journal open, if a segment other than the last is damaged,
// or if records are missing between the snapshot and the segments. The
// caller must call Close.
func Open(dir string, opts Options) (*Journal, error) {
	if opts.SegmentSize < 0 {
		return nil, fmt.Errorf("filejournal: negative segment size %d", opts.SegmentSize)
	}
	opts.SegmentSize = cmp.Or(opts.SegmentSize, DefaultSegmentSize)
	opts.Logger = cmp.Or(opts.Logger, slog.New(slog.DiscardHandler))
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("filejournal: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("filejournal: %w", err)
	}
	j := &Journal{
		dir:      dir,
		opts:     opts,
		log:      opts.Logger,
		lock:     lock,
		wake:     make(chan struct{}, 1),
		stopped:  make(chan struct{}),
		spareReq: make(chan struct{}, 1),
		spares:   make(chan *os.File, 1),
		stopPrep: make(chan struct{}),
		prepDone: make(chan struct{}),
	}
	if err := j.recover(); err != nil {
		if j.w.f != nil {
			j.w.f.Close()
		}
		lock.Close()
		return nil, err
	}
	go j.run()
	go j.prepare()
	return j, nil
}

// Recovery describes what Open found, including any damaged tail it cut off.
func (j *Journal) Recovery() RecoveryReport { return j.recovery }

// Append queues recs to be written after every record appended before them;
// see journal.Journal. done is called on the writer goroutine, in the order
// of the Append calls, once the records are durable under the sync policy or
// have failed. After Close, done is called at once with journal.ErrClosed.
// The journal reads recs until done is called, so the caller must not change
// them before then.
func (j *Journal) Append(recs [][]byte, done func(err error)) {
	if !j.enqueue(request{recs: recs, done: done}) {
		done(journal.ErrClosed)
	}
}

// enqueue assigns r its indexes and queues it for the writer. It reports
// false if the journal is closed.
func (j *Journal) enqueue(r request) bool {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return false
	}
	r.first = j.next
	j.next += uint64(len(r.recs))
	wasEmpty := len(j.queue) == 0
	j.queue = append(j.queue, r)
	j.mu.Unlock()
	if wasEmpty {
		j.signal()
	}
	return true
}

// signal wakes the writer if it is not already due to wake.
func (j *Journal) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// LastIndex returns the index of the last record appended, durable or not,
// or the snapshot's index if no record follows it, or 0.
func (j *Journal) LastIndex() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.next - 1
}

// Close writes and syncs every record appended so far, calls their
// callbacks, stops the writer and releases the directory. It returns an
// error if the final sync or closing the files failed. Calls after the first
// return nil.
func (j *Journal) Close() error {
	first := false
	j.closeOnce.Do(func() {
		first = true
		j.mu.Lock()
		j.closed = true
		j.mu.Unlock()
		j.signal()
		<-j.stopped
		j.stopPreparing()
		j.closeErr = errors.Join(j.w.closeErr, j.lock.Close())
	})
	if !first {
		return nil
	}
	return j.closeErr
}

// isClosed reports whether Close was called.
func (j *Journal) isClosed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed
}

// Stats returns the journal's size and sync counts. It is safe to call at
// any time, including after Close.
func (j *Journal) Stats() journal.Stats {
	last := j.LastIndex()
	j.segMu.Lock()
	defer j.segMu.Unlock()
	var total int64
	for _, s := range j.segs {
		total += s.size
	}
	return journal.Stats{
		Records:       last - j.snapIndex,
		Bytes:         total - j.snapBoundary,
		SnapshotIndex: j.snapIndex,
		SnapshotBytes: j.snapBytes,
		Syncs:         j.syncs.Load(),
		SyncedRecords: j.syncedRecords.Load(),
	}
}
