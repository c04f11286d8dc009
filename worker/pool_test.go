package worker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/sluicetest"
	"github.com/sluicehq/sluice/worker"
)

var _ worker.Source = (*client.Client)(nil)

// fixture is a real server with a tracked queue, and a pool to run on it.
type fixture struct {
	t     *testing.T
	srv   *sluicetest.Server
	queue string
}

func setup(t *testing.T, policy sluice.TaskPolicy) *fixture {
	t.Helper()
	srv := sluicetest.NewServer(t)
	if _, err := srv.Client.CreateQueue(t.Context(), sluice.QueueConfig{Name: "jobs", Tasks: &policy}); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, queue: "jobs"}
}

// start runs a pool until the returned stop is called; stop returns Run's
// error.
func (f *fixture) start(opts worker.Options) (stop func() error) {
	f.t.Helper()
	opts.Queue = f.queue
	opts.PollWait = cmpOr(opts.PollWait, 100*time.Millisecond)
	p, err := worker.NewPool(f.srv.Client, opts)
	if err != nil {
		f.t.Fatalf("NewPool() = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			f.t.Fatal("Pool.Run did not return after its context ended")
			return nil
		}
	}
	f.t.Cleanup(func() { stop() })
	return stop
}

func cmpOr(a, b time.Duration) time.Duration {
	if a != 0 {
		return a
	}
	return b
}

func (f *fixture) send(kind, body string) string {
	f.t.Helper()
	res, err := f.srv.Client.Send(f.t.Context(), f.queue, sluice.SendInput{
		Body: []byte(body), Attributes: map[string]sluice.Attribute{"type": {Type: "String", String: kind}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.ID
}

// wait polls a task until it is finished.
func (f *fixture) wait(id string) sluice.TaskStatus {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.t.Context(), 20*time.Second)
	defer cancel()
	s, err := f.srv.Client.WaitTask(ctx, f.queue, id, 5*time.Millisecond)
	if err != nil {
		f.t.Fatalf("WaitTask(%s) = %v", id, err)
	}
	return s
}

// waitFor polls a task until cond holds for its status.
func (f *fixture) waitFor(id string, what string, cond func(sluice.TaskStatus) bool) sluice.TaskStatus {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := f.srv.Client.Task(f.t.Context(), f.queue, id)
		if err == nil && cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("task %s never %s; last status %+v, %v", id, what, s, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPoolServesTasksWithResults(t *testing.T) {
	f := setup(t, sluice.TaskPolicy{})
	var running, most atomic.Int32
	mux := worker.NewMux()
	mux.HandleFunc("upper", func(ctx context.Context, t *worker.Task) ([]byte, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		return []byte(strings.ToUpper(string(t.Body))), nil
	})
	var seen atomic.Int32
	count := func(next worker.Handler) worker.Handler {
		return worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) {
			seen.Add(1)
			return next.ServeTask(ctx, t)
		})
	}
	f.start(worker.Options{Handler: mux, Concurrency: 3, Prefetch: 2, Worker: "test-pool", Middleware: []worker.Middleware{count}})
	var ids []string
	for i := range 30 {
		ids = append(ids, f.send("upper", fmt.Sprint("task ", i)))
	}
	for i, id := range ids {
		s := f.wait(id)
		if s.State != sluice.TaskSucceeded || string(s.Result) != fmt.Sprint("TASK ", i) || s.Worker != "test-pool" || s.Attempt != 1 {
			t.Fatalf("task %d = %+v, want succeeded with its upper-cased body", i, s)
		}
	}
	if m := most.Load(); m > 3 {
		t.Errorf("%d handlers ran at once, want at most 3", m)
	}
	if n := seen.Load(); n != 30 {
		t.Errorf("middleware saw %d tasks, want 30", n)
	}
}

func TestPoolReportsFailures(t *testing.T) {
	f := setup(t, sluice.TaskPolicy{MaxAttempts: 2, MinBackoff: time.Hour, MaxBackoff: time.Hour})
	var flaky atomic.Int32
	mux := worker.NewMux()
	mux.HandleFunc("flaky", func(ctx context.Context, t *worker.Task) ([]byte, error) {
		if flaky.Add(1) == 1 {
			return nil, worker.RetryAfter(errors.New("try again"), time.Millisecond)
		}
		return []byte(fmt.Sprint("attempt ", t.Attempt)), nil
	})
	mux.HandleFunc("panics", func(ctx context.Context, t *worker.Task) ([]byte, error) {
		panic("nil map")
	})
	mux.HandleFunc("bad", func(ctx context.Context, t *worker.Task) ([]byte, error) {
		return nil, worker.Permanent(errors.New("malformed input"))
	})
	f.start(worker.Options{Handler: mux, Concurrency: 2})

	flakyID := f.send("flaky", "x")
	if s := f.wait(flakyID); s.State != sluice.TaskSucceeded || string(s.Result) != "attempt 2" || s.LastError != "try again" {
		t.Errorf("flaky task = %+v, want success on the second attempt after the retry-after", s)
	}
	if s := f.wait(f.send("bad", "x")); s.State != sluice.TaskDead || s.Attempt != 1 || s.LastError != "malformed input" {
		t.Errorf("permanently failed task = %+v, want dead after one attempt", s)
	}
	if s := f.wait(f.send("unknown", "x")); s.State != sluice.TaskDead || !strings.Contains(s.LastError, "no handler") {
		t.Errorf("task of an unknown kind = %+v, want dead for lack of a handler", s)
	}
	// The panic fails the attempt; the backoff is an hour, so the task
	// waits as failed.
	id := f.send("panics", "x")
	s := f.waitFor(id, "failed", func(s sluice.TaskStatus) bool { return s.State == sluice.TaskFailed })
	if s.LastError != "panic: nil map" {
		t.Errorf("panicking task = %+v, want the panic as its error", s)
	}
}

func TestPoolExtendsLeases(t *testing.T) {
	f := setup(t, sluice.TaskPolicy{})
	release := make(chan struct{})
	f.start(worker.Options{Handler: worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) {
		select {
		case <-release:
			return []byte("done"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}), Lease: 300 * time.Millisecond})
	id := f.send("", "slow")
	first := f.waitFor(id, "running", func(s sluice.TaskStatus) bool { return s.State == sluice.TaskRunning })
	// Past the first lease's end the task is still running, its deadline
	// moved on, and never delivered again.
	f.waitFor(id, "extended", func(s sluice.TaskStatus) bool {
		return s.State == sluice.TaskRunning && s.LeaseDeadline.After(first.LeaseDeadline.Add(300*time.Millisecond))
	})
	close(release)
	if s := f.wait(id); s.State != sluice.TaskSucceeded || s.Attempt != 1 {
		t.Errorf("slow task = %+v, want succeeded on its only attempt", s)
	}
}

func TestPoolShutdownFinishesOrReleases(t *testing.T) {
	f := setup(t, sluice.TaskPolicy{})
	started := make(chan string, 10)
	release := make(chan struct{})
	stop := f.start(worker.Options{Handler: worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) {
		started <- t.ID
		if string(t.Body) == "stubborn" {
			<-ctx.Done() // only the drain timeout ends it
			return nil, ctx.Err()
		}
		<-release
		return []byte("finished"), nil
	}), Concurrency: 2, Prefetch: 3, DrainTimeout: 2 * time.Second}) // room for polite to finish on a loaded machine
	polite := f.send("", "polite")
	<-started
	stubborn := f.send("", "stubborn")
	<-started
	var waiting []string
	for range 3 {
		waiting = append(waiting, f.send("", "waiting"))
	}
	// Let the pool prefetch all three, filling its slots, so that no
	// receive is in flight when it stops: a receive cut short by shutdown
	// may have leased messages the pool never saw, which come back only
	// when their lease ends.
	deadline := time.Now().Add(10 * time.Second)
	for _, id := range waiting {
		for {
			s, err := f.srv.Client.Task(t.Context(), f.queue, id)
			if err == nil && s.State == sluice.TaskRunning {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("task %s = %+v, %v; the pool never prefetched it", id, s, err)
			}
			time.Sleep(5 * time.Millisecond) // polling interval, bounded by the deadline
		}
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		close(release)
	}()
	if err := stop(); err != nil {
		t.Fatalf("Run() = %v after shutdown, want nil", err)
	}
	if s := f.wait(polite); s.State != sluice.TaskSucceeded {
		t.Errorf("task running at shutdown = %+v, want finished", s)
	}
	for _, id := range append(waiting, stubborn) {
		s, err := f.srv.Client.Task(t.Context(), f.queue, id)
		if err != nil || s.State != sluice.TaskQueued {
			t.Errorf("task %s after shutdown = %+v, %v; want queued again", id, s, err)
		}
	}
}

func TestNewPoolValidates(t *testing.T) {
	srv := sluicetest.NewServer(t)
	h := worker.HandlerFunc(func(context.Context, *worker.Task) ([]byte, error) { return nil, nil })
	for _, opts := range []worker.Options{{Handler: h}, {Queue: "q"}, {Queue: "q", Handler: h, Concurrency: -1}} {
		if _, err := worker.NewPool(srv.Client, opts); err == nil {
			t.Errorf("NewPool(%+v) = nil error", opts)
		}
	}
	p, err := worker.NewPool(srv.Client, worker.Options{Queue: "missing", Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(t.Context()); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Errorf("Run() on a missing queue = %v, want ErrQueueNotFound", err)
	}
}
