package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
)

// Source is what a Pool needs of a Sluice server: *client.Client
// implements it. Its methods must be safe for concurrent use.
type Source interface {
	Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error)
	ChangeVisibility(ctx context.Context, queue, receipt string, timeout time.Duration) error
	CompleteTask(ctx context.Context, queue, receipt string, result []byte) (sluice.TaskStatus, error)
	FailTask(ctx context.Context, queue, receipt string, f sluice.TaskFailure) (sluice.TaskStatus, error)
}

// Options configures a Pool. A zero field means the default.
type Options struct {
	// Queue is the tracked queue to serve (required).
	Queue string
	// Handler serves the tasks (required).
	Handler Handler
	// Middleware wraps Handler, the first outermost.
	Middleware []Middleware
	// Concurrency is how many tasks run at once (default 10).
	Concurrency int
	// Prefetch is how many received tasks may wait for a free handler
	// (default 0: receive only as many as can start). Prefetched tasks'
	// leases run while they wait.
	Prefetch int
	// Lease is the lease asked for each delivery (default 30s). While a
	// handler runs, the pool extends it every third of Lease.
	Lease time.Duration
	// PollWait is the long-poll wait of each receive (default 20s).
	PollWait time.Duration
	// DrainTimeout is how long Run waits, once its context is done, for
	// running handlers to finish before cancelling their contexts and
	// releasing their tasks (default 30s).
	DrainTimeout time.Duration
	// Worker names this pool in the tasks' status (default host:pid).
	Worker string
	// Logger receives what cannot be returned: failed reports, lost
	// leases, panics (default: discard).
	Logger *slog.Logger
}

// Pool receives tasks from a tracked queue and runs a handler on each.
// Create one with NewPool and start it with Run.
type Pool struct {
	src     Source
	opts    Options
	handler Handler
	log     *slog.Logger
}

// maxReceiveBatch is the most tasks one receive asks for.
const maxReceiveBatch = 10

// NewPool returns a pool serving opts.Queue from src. It fails when Queue
// or Handler is missing or a field is negative.
func NewPool(src Source, opts Options) (*Pool, error) {
	switch {
	case src == nil:
		return nil, errors.New("worker: no source")
	case opts.Queue == "":
		return nil, sluice.Invalid("queue", "is required")
	case opts.Handler == nil:
		return nil, sluice.Invalid("handler", "is required")
	case opts.Concurrency < 0 || opts.Prefetch < 0 || opts.Lease < 0 || opts.PollWait < 0 || opts.DrainTimeout < 0:
		return nil, sluice.Invalid("", "concurrency, prefetch and durations must not be negative")
	}
	opts.Concurrency = cmp.Or(opts.Concurrency, 10)
	opts.Lease = cmp.Or(opts.Lease, 30*time.Second)
	opts.PollWait = cmp.Or(opts.PollWait, 20*time.Second)
	opts.DrainTimeout = cmp.Or(opts.DrainTimeout, 30*time.Second)
	if opts.Worker == "" {
		host, _ := os.Hostname()
		opts.Worker = fmt.Sprintf("%s:%d", cmp.Or(host, "worker"), os.Getpid())
	}
	return &Pool{
		src:     src,
		opts:    opts,
		handler: Chain(opts.Handler, opts.Middleware...),
		log:     cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
	}, nil
}

// Run receives and serves tasks until ctx is done, then shuts down: it
// stops receiving, releases tasks that have not started, waits up to
// DrainTimeout for running handlers, then cancels their contexts and
// releases their tasks to be delivered again. It returns nil after a
// shutdown, or the error of a receive that failed with something other
// than a network or server hiccup (such as an unknown queue).
//
// A long poll in flight when ctx ends is cut short. If the server leased
// tasks to it at that moment and the answer was lost, the server releases
// them when it sees the client gone; if the answer was already on its way,
// those tasks come back when their lease ends. Either way none is lost.
func (p *Pool) Run(ctx context.Context) error {
	// hard ends the handlers' contexts: DrainTimeout after ctx is done.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	stopDrain := context.AfterFunc(ctx, func() {
		t := time.NewTimer(p.opts.DrainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			cancelHard()
		case <-hard.Done():
		}
	})
	defer stopDrain()

	slots := make(chan struct{}, p.opts.Concurrency+p.opts.Prefetch)
	work := make(chan sluice.Message, cap(slots))
	var wg sync.WaitGroup
	for range p.opts.Concurrency {
		wg.Go(func() {
			for m := range work {
				if ctx.Err() != nil {
					p.release(m) // shutting down: not started
				} else {
					p.serve(hard, m)
				}
				<-slots
			}
		})
	}
	err := p.fetch(ctx, slots, work)
	close(work)
	wg.Wait()
	return err
}

// fetch receives tasks into work while slots has room, until ctx is done.
func (p *Pool) fetch(ctx context.Context, slots chan struct{}, work chan<- sluice.Message) error {
	backoff := 100 * time.Millisecond
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		n := 1
	more:
		for n < maxReceiveBatch {
			select {
			case slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		msgs, err := p.src.Receive(ctx, p.opts.Queue, sluice.ReceiveOptions{
			Max: n, VisibilityTimeout: &p.opts.Lease, WaitTime: &p.opts.PollWait, Worker: p.opts.Worker,
		})
		for range n - len(msgs) {
			<-slots
		}
		for _, m := range msgs {
			work <- m
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, sluice.ErrQueueNotFound) || errors.Is(err, sluice.ErrNotTracked):
			return fmt.Errorf("worker: receiving from %s: %w", p.opts.Queue, err)
		case err != nil:
			p.log.Warn("receive failed; retrying", "queue", p.opts.Queue, "err", err, "after", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil
			}
			backoff = min(backoff*2, 10*time.Second)
		default:
			backoff = 100 * time.Millisecond
		}
	}
}

// serve runs the handler on m, keeping its lease alive, and reports the
// outcome.
func (p *Pool) serve(hard context.Context, m sluice.Message) {
	ctx, cancel := context.WithCancel(hard)
	defer cancel()
	t := &Task{
		ID: m.ID, Queue: p.opts.Queue, Body: m.Body, Attributes: m.Attributes,
		Tenant: m.Tenant, Attempt: m.ReceiveCount, Message: m,
	}
	lost := make(chan struct{})
	stopKeep := p.keepLease(ctx, m.Receipt, func() { close(lost); cancel() })
	result, err := p.call(ctx, t)
	stopKeep()
	select {
	case <-lost:
		p.log.Warn("task lease lost; its result is dropped", "queue", p.opts.Queue, "task", m.ID)
		return
	default:
	}
	report, cancelReport := context.WithTimeout(context.WithoutCancel(hard), 10*time.Second)
	defer cancelReport()
	switch {
	case err == nil:
		if _, err := p.src.CompleteTask(report, p.opts.Queue, m.Receipt, result); err != nil {
			p.log.Error("reporting a result failed", "queue", p.opts.Queue, "task", m.ID, "err", err)
		}
	case hard.Err() != nil:
		// Shutdown cut the handler short: another worker takes it.
		p.release(m)
	default:
		if _, err := p.src.FailTask(report, p.opts.Queue, m.Receipt, failure(err)); err != nil {
			p.log.Error("reporting a failure failed", "queue", p.opts.Queue, "task", m.ID, "err", err)
		}
	}
}

// call runs the handler, turning a panic into an error.
func (p *Pool) call(ctx context.Context, t *Task) (result []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("handler panicked", "queue", t.Queue, "task", t.ID, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return p.handler.ServeTask(ctx, t)
}

// keepLease extends the lease of receipt every third of the lease until the
// returned function is called. When an extension finds the lease gone, it
// calls lost.
func (p *Pool) keepLease(ctx context.Context, receipt string, lost func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(max(p.opts.Lease/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			err := p.src.ChangeVisibility(ctx, p.opts.Queue, receipt, p.opts.Lease)
			if errors.Is(err, sluice.ErrReceiptStale) || errors.Is(err, sluice.ErrReceiptInvalid) {
				lost()
				return
			}
			if err != nil && ctx.Err() == nil {
				p.log.Warn("extending a task's lease failed", "queue", p.opts.Queue, "err", err)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// release returns a task that will not be served here to the queue at once.
func (p *Pool) release(m sluice.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.src.ChangeVisibility(ctx, p.opts.Queue, m.Receipt, 0); err != nil {
		p.log.Warn("releasing a task failed; it returns when its lease ends", "queue", p.opts.Queue, "task", m.ID, "err", err)
	}
}
