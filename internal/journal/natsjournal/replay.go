package natsjournal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/internal/journal"
)

// Replay calls fn with every record above after, in order, reading the log
// with an ordered consumer. Batches whose last chunk is missing are
// skipped: their writer never saw them acknowledged. It fails if records
// above after were dropped by a snapshot, and returns fn's error unchanged.
func (j *Journal) Replay(ctx context.Context, after uint64, fn func(index uint64, rec []byte) error) error {
	j.mu.Lock()
	closed, snapIndex := j.closed, j.snapIndex
	j.mu.Unlock()
	if closed {
		return journal.ErrClosed
	}
	end, err := j.stream.GetLastMsgForSubject(ctx, j.logSubj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		if after < snapIndex {
			return fmt.Errorf("natsjournal: %s: cannot replay after index %d: the log is empty and the snapshot covers %d", j.name, after, snapIndex)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("natsjournal: %s: read the end of the log: %w", j.name, err)
	}
	cons, err := j.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{j.logSubj}})
	if err != nil {
		return fmt.Errorf("natsjournal: %s: replay: %w", j.name, err)
	}
	// Read in fetches of up to 64 messages (batches can be near the max
	// payload each); fail if none arrives for Timeout.
	var (
		fetched  jetstream.MessageBatch
		progress = time.Now()
	)
	next := func() (jetstream.Msg, error) {
		for {
			if fetched != nil {
				if msg, ok := <-fetched.Messages(); ok {
					progress = time.Now()
					return msg, nil
				}
				fetched = nil
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if time.Since(progress) > j.opts.Timeout {
				return nil, fmt.Errorf("no message for %v", j.opts.Timeout)
			}
			fetched, err = cons.Fetch(64, jetstream.FetchMaxWait(time.Second))
			if err != nil {
				return nil, err
			}
		}
	}

	var (
		expect  uint64 // index the next complete batch must start at; 0 before the first
		pending []byte // chunks of the batch being assembled
		inBatch bool
		spans   []span
	)
	deliver := func(b batchHeader, body []byte, lastSeq uint64) error {
		switch {
		case expect == 0 && b.first > after+1:
			return fmt.Errorf("natsjournal: %s: cannot replay after index %d: the log starts at %d", j.name, after, b.first)
		case expect != 0 && b.first != expect:
			return fmt.Errorf("natsjournal: %s: batch at sequence %d starts at index %d, want %d", j.name, lastSeq, b.first, expect)
		}
		expect = b.first + b.count
		if b.count == 0 {
			return nil
		}
		var bytes int64
		err := decode(body, b.count, func(k uint64, rec []byte) error {
			bytes += int64(len(rec))
			if index := b.first + k; index > after {
				return fn(index, rec)
			}
			return nil
		})
		spans = append(spans, span{last: b.first + b.count - 1, next: lastSeq + 1, bytes: bytes})
		return err
	}
	for {
		msg, err := next()
		if err != nil {
			return fmt.Errorf("natsjournal: %s: replay: %w", j.name, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("natsjournal: %s: replay: %w", j.name, err)
		}
		seq := meta.Sequence.Stream
		b, err := parseHeader(msg.Headers())
		if err != nil {
			return fmt.Errorf("natsjournal: %s message %d: %w", j.name, seq, err)
		}
		if b.chunk&chunkFirst != 0 {
			pending, inBatch = pending[:0], true // a batch left torn before is dropped
		}
		if inBatch {
			switch {
			case b.chunk == chunkWhole:
				err = deliver(b, msg.Data(), seq)
				inBatch = false
			case b.chunk&chunkLast != 0:
				err = deliver(b, append(pending, msg.Data()...), seq)
				inBatch = false
			default:
				pending = append(pending, msg.Data()...)
			}
			if err != nil {
				return err
			}
		}
		if seq >= end.Sequence {
			break
		}
	}
	if expect == 0 && after < snapIndex {
		return fmt.Errorf("natsjournal: %s: cannot replay after index %d: no batch follows the snapshot at %d", j.name, after, snapIndex)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(spans) > 0 {
		last := spans[len(spans)-1].next
		for _, s := range j.spans {
			if s.next > last {
				spans = append(spans, s)
			}
		}
		j.spans = spans
		j.bytes = 0
		for _, s := range spans {
			j.bytes += s.bytes
		}
	}
	return nil
}
