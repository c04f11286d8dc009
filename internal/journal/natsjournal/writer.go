package natsjournal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/internal/journal"
)

// Chunk flags, written in hdrChunk.
const (
	chunkFirst = 1 << iota
	chunkLast
	chunkWhole = chunkFirst | chunkLast
)

var chunkNames = map[int]string{0: "middle", chunkFirst: "first", chunkLast: "last", chunkWhole: "whole"}

// batchHeader is what a log message's headers say.
type batchHeader struct {
	first, count uint64
	chunk        int
}

func parseHeader(h nats.Header) (batchHeader, error) {
	first, err1 := strconv.ParseUint(h.Get(hdrIndex), 10, 64)
	count, err2 := strconv.ParseUint(h.Get(hdrCount), 10, 64)
	chunk := -1
	for k, name := range chunkNames {
		if h.Get(hdrChunk) == name {
			chunk = k
		}
	}
	if err := errors.Join(err1, err2); err != nil || first == 0 || chunk < 0 {
		return batchHeader{}, fmt.Errorf("not a journal batch (headers %v)", h)
	}
	return batchHeader{first, count, chunk}, nil
}

func logMsg(subject string, first, count uint64, chunk int, data []byte) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(hdrIndex, strconv.FormatUint(first, 10))
	m.Header.Set(hdrCount, strconv.FormatUint(count, 10))
	m.Header.Set(hdrChunk, chunkNames[chunk])
	m.Data = data
	return m
}

// run is the writer goroutine: it publishes what was queued while the
// previous batch was in flight as the next batch, until Close.
func (j *Journal) run() {
	defer close(j.writerDone)
	for {
		j.mu.Lock()
		items, closed, err := j.queue, j.closed, j.err
		j.queue = nil
		j.mu.Unlock()
		if len(items) == 0 {
			if closed {
				return
			}
			<-j.signal
			continue
		}
		if err == nil {
			err = j.write(items)
		}
		for _, it := range items {
			it.done(err)
		}
	}
}

// group is what one publish round writes: the records of consecutive
// appends as one batch, or one snapshot marker.
type group struct {
	msgs    []*nats.Msg
	last    uint64 // for a batch, the index of its last record
	records uint64
	bytes   int64
}

// write publishes items' records and markers, pipelined, each message
// expecting the sequence of the one before, and waits for all their
// acknowledgements. Any failure breaks the journal.
func (j *Journal) write(items []item) error {
	var groups []group
	for i := 0; i < len(items); {
		if items[i].marker != nil {
			groups = append(groups, group{msgs: []*nats.Msg{items[i].marker}})
			i++
			continue
		}
		k := i
		for k < len(items) && items[k].marker == nil {
			k++
		}
		if g, ok := j.encode(items[i:k]); ok {
			groups = append(groups, g)
		}
		i = k
	}
	var futures []jetstream.PubAckFuture
	seq := j.lastSeq
	var err error
publish:
	for _, g := range groups {
		for _, m := range g.msgs {
			var f jetstream.PubAckFuture
			f, err = j.js.PublishMsgAsync(m, jetstream.WithExpectLastSequence(seq), jetstream.WithExpectStream(j.name))
			if err != nil {
				break publish
			}
			futures = append(futures, f)
			seq++
		}
	}
	timer := time.NewTimer(j.opts.Timeout)
	defer timer.Stop()
	for k, f := range futures {
		select {
		case ack := <-f.Ok():
			if want := j.lastSeq + uint64(k) + 1; ack.Sequence != want && err == nil {
				err = fmt.Errorf("stored at sequence %d, want %d", ack.Sequence, want)
			}
		case e := <-f.Err():
			if err == nil {
				err = e
			}
		case <-timer.C:
			if err == nil {
				err = fmt.Errorf("not acknowledged within %v", j.opts.Timeout)
			}
		}
	}
	if err != nil {
		if isWrongLastSequence(err) {
			err = fmt.Errorf("natsjournal: %s: %w (%v)", j.name, journal.ErrFenced, err)
		} else {
			err = fmt.Errorf("natsjournal: %s: write: %w", j.name, err)
		}
		j.mu.Lock()
		j.err = err
		close(j.changed)
		j.changed = make(chan struct{})
		j.mu.Unlock()
		return err
	}

	j.mu.Lock()
	defer j.mu.Unlock()
	var records uint64
	for _, g := range groups {
		j.lastSeq += uint64(len(g.msgs))
		if g.records == 0 {
			continue // a marker
		}
		j.spans = append(j.spans, span{last: g.last, next: j.lastSeq + 1, bytes: g.bytes})
		j.bytes += g.bytes
		records += g.records
		j.advance(g.last)
	}
	if records > 0 {
		j.syncs++
		j.synced += records
	}
	return nil
}

// encode turns consecutive appends into one batch: length-prefixed records
// split into chunks the server accepts. It reports false if they hold no
// record, since an empty batch needs no write.
func (j *Journal) encode(items []item) (group, bool) {
	first := items[0].first
	var count uint64
	var size int
	for _, it := range items {
		count += uint64(len(it.recs))
		for _, r := range it.recs {
			size += binary.MaxVarintLen32 + len(r)
		}
	}
	if count == 0 {
		return group{}, false
	}
	buf := make([]byte, 0, size)
	var bytes int64
	for _, it := range items {
		for _, r := range it.recs {
			buf = binary.AppendUvarint(buf, uint64(len(r)))
			buf = append(buf, r...)
			bytes += int64(len(r))
		}
	}
	g := group{last: first + count - 1, records: count, bytes: bytes}
	for off := 0; off < len(buf); off += j.maxChunk {
		end := min(off+j.maxChunk, len(buf))
		chunk := 0
		if off == 0 {
			chunk |= chunkFirst
		}
		if end == len(buf) {
			chunk |= chunkLast
		}
		g.msgs = append(g.msgs, logMsg(j.logSubj, first, count, chunk, buf[off:end]))
	}
	return g, true
}

// decode calls fn with each record of a batch's body.
func decode(body []byte, count uint64, fn func(k uint64, rec []byte) error) error {
	for k := range count {
		n, w := binary.Uvarint(body)
		if w <= 0 || uint64(len(body)-w) < n {
			return fmt.Errorf("record %d of %d is cut short", k+1, count)
		}
		if err := fn(k, body[w:w+int(n)]); err != nil {
			return err
		}
		body = body[w+int(n):]
	}
	if len(body) != 0 {
		return fmt.Errorf("%d bytes after the last record", len(body))
	}
	return nil
}
