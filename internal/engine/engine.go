// Package engine is Sluice's core: queues, leases, delays, FIFO groups,
// deduplication, dead-letter queues and long polling, kept in memory and made
// durable through a journal.
//
// State is split into partitions. Each partition is owned by one goroutine
// that applies every change in order, writes a record of it to the
// partition's journal and answers the caller once the record is durable.
// Queues are assigned to partitions by a hash of their name. The engine knows
// nothing of HTTP, metrics or flags.
package engine

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/journal"
)

// Options configures an Engine. A zero field means the default.
type Options struct {
	// Journals holds one journal per partition. The count must not change
	// between runs over the same data, since queues are placed by hash.
	Journals []journal.Journal
	Limits   sluice.Limits
	Logger   *slog.Logger
	// SnapshotMinBytes is the journal size below which no snapshot is taken
	// (default 64 MiB). Above it a partition snapshots once its journal has
	// outgrown its live state.
	SnapshotMinBytes int64
	// TopicARN returns the ARN written into notification envelopes (default
	// arn:aws:sns:us-east-1:000000000000:NAME).
	TopicARN func(name string) string
	// Now returns the current time (default time.Now). Tests may inject a
	// clock; synctest bubbles work with the default.
	Now func() time.Time
}

// Engine is the queue engine. Its methods are safe for concurrent use. Create
// one with Open, start it with Run, and stop it by cancelling Run's context.
type Engine struct {
	opts       Options
	limits     sluice.Limits
	log        *slog.Logger
	now        func() time.Time
	partitions []*partition
	failed     chan struct{} // closed when a journal write fails
	failOnce   sync.Once
	started    chan struct{}   // closed when Run starts
	runCtx     context.Context // Run's context; set before started is closed
	wg         sync.WaitGroup  // moves and snapshots in progress
	idStamp    atomic.Int64    // last time stamp given to a subscription id
	pol        policies        // tiers and server-wide tenant settings
}

// Open loads every partition's snapshot and replays its journal, returning an
// engine ready to Run. It reports what it recovered through the logger.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if len(opts.Journals) == 0 {
		return nil, errors.New("engine: no journals")
	}
	e := &Engine{
		opts:    opts,
		limits:  opts.Limits.WithDefaults(),
		log:     cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		now:     opts.Now,
		failed:  make(chan struct{}),
		started: make(chan struct{}),
		runCtx:  context.Background(),
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.opts.SnapshotMinBytes == 0 {
		e.opts.SnapshotMinBytes = 64 << 20
	}
	for i, j := range opts.Journals {
		p := newPartition(e, i, j)
		if err := p.recover(ctx); err != nil {
			return nil, err
		}
		e.partitions = append(e.partitions, p)
	}
	return e, nil
}
