// Package natsjournal is the journal of cluster mode: a partition's log kept
// in a NATS JetStream stream, replicated by JetStream's Raft, with snapshots
// in a JetStream object store.
//
// # Layout
//
// Journal "p03" owns the stream SLUICE_p03 with two subjects:
//
//   - sluice.journal.p03.log carries the records. The records of one group
//     commit form a batch, encoded as length-prefixed records and sent as
//     one message, or as several consecutive chunks when it is larger than
//     the server's maximum payload. Each message's headers give the index
//     of the batch's first record, the batch's record count and whether the
//     message is its first and last chunk. A batch whose last chunk is
//     missing (its writer died or was fenced) is ignored: its records were
//     never confirmed.
//   - sluice.journal.p03.snap carries one message per installed snapshot,
//     naming the object (in bucket SLUICE_p03_snap) that holds it and the
//     index it covers. The newest one is the snapshot.
//
// # Fencing
//
// Every message is published with the expected last sequence of the whole
// stream, which the writer knows because it is the only one. Open first
// publishes an empty "open" batch expecting the sequence it just read, so
// that from then on any journal opened earlier on the same stream fails
// its next write with an error wrapping journal.ErrFenced, and nothing it
// tries to write is stored. A batch is pipelined as consecutive
// asynchronous publishes, each expecting the sequence of the one before;
// one batch is in flight at a time, and the appends made meanwhile form
// the next one.
package natsjournal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/internal/journal"
)

// Defaults applied by Open to zero Options fields.
const (
	DefaultReplicas = 1
	DefaultTimeout  = 10 * time.Second
)

// Header names on log and snapshot messages.
const (
	hdrIndex  = "Sluice-Index"  // first index of the batch, or the snapshot's index
	hdrCount  = "Sluice-Count"  // records in the batch
	hdrChunk  = "Sluice-Chunk"  // "first", "last", "whole" or "middle"
	hdrObject = "Sluice-Object" // snapshot object name
	hdrSize   = "Sluice-Size"   // snapshot size in bytes
)

// Options configures a Journal. A zero field means the default.
type Options struct {
	// Name identifies the journal: its stream is SLUICE_<Name>. Letters,
	// digits, '-' and '_' only. Required.
	Name string
	// Replicas is the stream's and snapshot bucket's replica count
	// (default 1; 3 for production clusters).
	Replicas int
	// Timeout bounds each request to JetStream, including the wait for a
	// batch's acknowledgements (default 10s). A batch not acknowledged in
	// time breaks the journal, since it may or may not have been stored.
	Timeout time.Duration
	// Logger receives what Open and snapshots report (default: discarded).
	Logger *slog.Logger
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Journal is a journal.Journal over a JetStream stream. Create one with
// Open; all methods are safe for concurrent use.
type Journal struct {
	js       jetstream.JetStream
	stream   jetstream.Stream
	objs     jetstream.ObjectStore
	opts     Options
	log      *slog.Logger
	name     string // stream name
	logSubj  string
	snapSubj string
	maxChunk int // largest chunk body

	signal     chan struct{} // capacity 1: the writer has work
	writerDone chan struct{} // closed when the writer returns
	snapMu     sync.Mutex    // serialises InstallSnapshot calls

	mu        sync.Mutex // guards the fields below
	queue     []item     // appends and markers waiting for the writer
	lastIndex uint64
	closed    bool
	err       error         // sticky: the first failed write
	durable   uint64        // last index known durable
	changed   chan struct{} // closed and replaced when durable or err changes
	snapIndex uint64
	snapBytes int64
	snapObj   string // object holding the snapshot, "" if none
	openSeq   uint64 // stream sequence of this journal's open marker
	spans     []span // complete batches still in the log, in order
	bytes     int64  // record bytes in spans, or appended since Open
	syncs     uint64
	synced    uint64

	// lastSeq is the stream's last sequence; only the writer (and Open,
	// before the writer starts) touches it.
	lastSeq uint64
}

// span is a complete batch in the log.
type span struct {
	last  uint64 // index of its last record (first-1 for an empty batch)
	next  uint64 // stream sequence after its last message
	bytes int64  // record bytes
}

// item is one Append, or a snapshot marker to publish in order with them.
type item struct {
	first  uint64
	recs   [][]byte
	marker *nats.Msg
	done   func(error)
}

var (
	_ journal.Journal       = (*Journal)(nil)
	_ journal.StatsReporter = (*Journal)(nil)
)

// Open creates the journal's stream and snapshot bucket if they do not
// exist, takes the journal over — from then on the writes of any Journal
// opened before on the same name fail with journal.ErrFenced — and returns
// it. The caller keeps ownership of js's connection, which must outlive the
// journal, and must Close the journal.
func Open(ctx context.Context, js jetstream.JetStream, opts Options) (*Journal, error) {
	if !validName.MatchString(opts.Name) {
		return nil, fmt.Errorf("natsjournal: name %q must be 1 to 64 letters, digits, '-' or '_'", opts.Name)
	}
	opts.Replicas = cmp.Or(opts.Replicas, DefaultReplicas)
	opts.Timeout = cmp.Or(opts.Timeout, DefaultTimeout)
	j := &Journal{
		js:         js,
		opts:       opts,
		log:        cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		name:       "SLUICE_" + opts.Name,
		logSubj:    "sluice.journal." + opts.Name + ".log",
		snapSubj:   "sluice.journal." + opts.Name + ".snap",
		maxChunk:   int(js.Conn().MaxPayload()) - 8<<10,
		signal:     make(chan struct{}, 1),
		writerDone: make(chan struct{}),
		changed:    make(chan struct{}),
	}
	if j.maxChunk < 1<<10 {
		return nil, fmt.Errorf("natsjournal: server max payload %d is too small", js.Conn().MaxPayload())
	}
	var err error
	cctx, cancel := context.WithTimeout(ctx, j.opts.Timeout)
	defer cancel()
	// Look the stream and bucket up first: creating (or updating) them
	// needs every replica's server up, using them only a quorum.
	j.stream, err = js.Stream(cctx, j.name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		j.stream, err = js.CreateStream(cctx, jetstream.StreamConfig{
			Name:        j.name,
			Description: "Sluice journal " + opts.Name,
			Subjects:    []string{j.logSubj, j.snapSubj},
			Storage:     jetstream.FileStorage,
			Replicas:    opts.Replicas,
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardNew,
			MaxMsgSize:  int32(js.Conn().MaxPayload()),
		})
	}
	if err != nil {
		return nil, fmt.Errorf("natsjournal: stream %s: %w", j.name, err)
	}
	bucket := j.name + "_snap"
	j.objs, err = js.ObjectStore(cctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		j.objs, err = js.CreateObjectStore(cctx, jetstream.ObjectStoreConfig{
			Bucket:      bucket,
			Description: "Sluice snapshots of journal " + opts.Name,
			Storage:     jetstream.FileStorage,
			Replicas:    opts.Replicas,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("natsjournal: snapshot bucket %s: %w", bucket, err)
	}
	if err := j.takeOver(cctx); err != nil {
		return nil, err
	}
	go j.run()
	return j, nil
}

// takeOver reads where the log ends and publishes the open marker
// expecting that end, retrying if another writer got in between.
func (j *Journal) takeOver(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		info, err := j.stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("natsjournal: stream %s info: %w", j.name, err)
		}
		seq := info.State.LastSeq
		if err := j.readSnapshotMarker(ctx); err != nil {
			return err
		}
		last := j.snapIndex
		m, err := j.stream.GetLastMsgForSubject(ctx, j.logSubj)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
		case err != nil:
			return fmt.Errorf("natsjournal: read the end of %s: %w", j.name, err)
		default:
			b, err := parseHeader(m.Header)
			if err != nil {
				return fmt.Errorf("natsjournal: %s message %d: %w", j.name, m.Sequence, err)
			}
			if b.chunk&chunkLast != 0 {
				last = max(last, b.first+b.count-1)
			} else {
				last = max(last, b.first-1) // a torn batch, never confirmed
			}
		}
		marker := logMsg(j.logSubj, last+1, 0, chunkWhole, nil)
		ack, err := j.js.PublishMsg(ctx, marker, jetstream.WithExpectLastSequence(seq), jetstream.WithExpectStream(j.name))
		if isWrongLastSequence(err) && attempt < 10 {
			continue // someone wrote meanwhile: read the end again
		}
		if err != nil {
			return fmt.Errorf("natsjournal: take over %s: %w", j.name, err)
		}
		j.lastSeq = ack.Sequence
		j.openSeq = ack.Sequence
		j.lastIndex = last
		j.durable = last
		j.log.Debug("journal opened", "stream", j.name, "last_index", last, "snapshot", j.snapIndex, "seq", ack.Sequence)
		return nil
	}
}

// readSnapshotMarker loads the newest snapshot marker's fields.
func (j *Journal) readSnapshotMarker(ctx context.Context) error {
	m, err := j.stream.GetLastMsgForSubject(ctx, j.snapSubj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("natsjournal: read the snapshot marker of %s: %w", j.name, err)
	}
	index, err1 := strconv.ParseUint(m.Header.Get(hdrIndex), 10, 64)
	size, err2 := strconv.ParseInt(m.Header.Get(hdrSize), 10, 64)
	obj := m.Header.Get(hdrObject)
	if err := errors.Join(err1, err2); err != nil || obj == "" {
		return fmt.Errorf("natsjournal: %s snapshot marker %d is malformed", j.name, m.Sequence)
	}
	j.snapIndex, j.snapBytes, j.snapObj = index, size, obj
	return nil
}

// isWrongLastSequence reports whether err is JetStream's answer to a
// publish whose expected last sequence did not match: another writer.
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Append queues recs for the writer. See journal.Journal.
func (j *Journal) Append(recs [][]byte, done func(err error)) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		done(journal.ErrClosed)
		return
	}
	first := j.lastIndex + 1
	j.lastIndex += uint64(len(recs))
	j.queue = append(j.queue, item{first: first, recs: recs, done: done})
	j.mu.Unlock()
	j.wake()
}

func (j *Journal) wake() {
	select {
	case j.signal <- struct{}{}:
	default:
	}
}

// LastIndex returns the index of the last record appended.
func (j *Journal) LastIndex() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.lastIndex
}

// Close waits until every appended batch is written or failed and its
// callbacks ran, then stops the writer. It leaves the stream and the
// connection alone. It is safe to call more than once and returns nil.
func (j *Journal) Close() error {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.wake()
	<-j.writerDone
	return nil
}

// Err returns the error that broke the journal (wrapping journal.ErrFenced
// if another owner took it over), or nil.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// Stats returns the journal's size. Bytes counts the records replayed or
// appended since Open. Each acknowledged batch counts as one sync.
func (j *Journal) Stats() journal.Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return journal.Stats{
		Records:       j.lastIndex - j.snapIndex,
		Bytes:         j.bytes,
		SnapshotIndex: j.snapIndex,
		SnapshotBytes: j.snapBytes,
		Syncs:         j.syncs,
		SyncedRecords: j.synced,
	}
}

// advance records that the log is durable up to index; j.mu must be held.
func (j *Journal) advance(index uint64) {
	j.durable = index
	close(j.changed)
	j.changed = make(chan struct{})
}

// waitDurable waits until index is durable, the journal broke, or ctx is
// done.
func (j *Journal) waitDurable(ctx context.Context, index uint64) error {
	for {
		j.mu.Lock()
		durable, err, changed := j.durable, j.err, j.changed
		j.mu.Unlock()
		if err != nil {
			return err
		}
		if durable >= index {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
