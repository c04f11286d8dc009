package main_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/worker"
)

// taskLedger records what the test knows to be true of tasks: sends the
// server confirmed, and statuses it reported as succeeded.
type taskLedger struct {
	mu        sync.Mutex
	sent      map[string]string // task id -> body
	succeeded map[string]string // task id -> result seen
}

// TestCrashKeepsTaskStatus runs a worker pool on a tracked queue while
// tasks are sent and their statuses polled, kills the server with SIGKILL
// at random moments, and checks at the end that every confirmed task
// exists and succeeded with its result, and that no status a client saw as
// succeeded went back.
func TestCrashKeepsTaskStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	dir := t.TempDir()
	led := &taskLedger{sent: map[string]string{}, succeeded: map[string]string{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	n := 0
	for round := range 3 {
		srv := startServe(t, dir)
		if round == 0 {
			if _, err := srv.Client.CreateQueue(t.Context(), sluice.QueueConfig{Name: "tasks", Tasks: &sluice.TaskPolicy{
				MaxAttempts: 50, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
			}}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { runTaskPool(ctx, srv.Client) })
		wg.Go(func() {
			for ctx.Err() == nil {
				n++
				body := fmt.Sprint("task-", n)
				res, err := srv.Client.Send(ctx, "tasks", sluice.SendInput{Body: []byte(body)})
				if err != nil {
					backoff(ctx)
					continue
				}
				led.mu.Lock()
				led.sent[res.ID] = body
				led.mu.Unlock()
			}
		})
		wg.Go(func() { pollSucceeded(ctx, srv.Client, led) })
		lifetime := time.Duration(300+rng.IntN(700)) * time.Millisecond
		time.Sleep(lifetime) // the load runs for a random time before the crash
		srv.kill(t)
		cancel()
		wg.Wait()
		led.mu.Lock()
		t.Logf("round %d: killed after %v; %d sends confirmed, %d successes seen", round, lifetime, len(led.sent), len(led.succeeded))
		led.mu.Unlock()
	}

	srv := startServe(t, dir)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { runTaskPool(ctx, srv.Client); close(done) }()
	defer func() { cancel(); <-done }()
	for id, body := range led.sent {
		wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
		s, err := srv.Client.WaitTask(wctx, "tasks", id, 10*time.Millisecond)
		wcancel()
		if err != nil {
			t.Fatalf("confirmed task %s (%s): WaitTask() = %v", id, body, err)
		}
		if s.State != sluice.TaskSucceeded || string(s.Result) != "done:"+body {
			t.Errorf("confirmed task %s (%s) = %s with result %q, want succeeded with done:%s", id, body, s.State, s.Result, body)
		}
	}
	for id, result := range led.succeeded {
		s, err := srv.Client.Task(t.Context(), "tasks", id)
		if err != nil || s.State != sluice.TaskSucceeded || string(s.Result) != result {
			t.Errorf("task %s was seen succeeded with %q; after the crashes it is %+v, %v", id, result, s, err)
		}
	}
	if len(led.succeeded) == 0 {
		t.Error("no task was seen succeeded before a crash; the test proved nothing")
	}
}

// runTaskPool serves the tasks queue until ctx is done: the first attempt
// of every third task fails, the others succeed with "done:" and the body.
func runTaskPool(ctx context.Context, cl *client.Client) {
	pool, err := worker.NewPool(cl, worker.Options{
		Queue: "tasks", Concurrency: 4, Lease: 2 * time.Second, PollWait: 200 * time.Millisecond, DrainTimeout: 100 * time.Millisecond,
		Handler: worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) {
			if t.Attempt == 1 && len(t.Body)%3 == 0 {
				return nil, errors.New("first attempts of some tasks fail")
			}
			return []byte("done:" + string(t.Body)), nil
		}),
	})
	if err != nil {
		panic(err)
	}
	pool.Run(ctx)
}

// pollSucceeded lists succeeded tasks until ctx is done, recording them.
func pollSucceeded(ctx context.Context, cl *client.Client, led *taskLedger) {
	var after uint64
	for ctx.Err() == nil {
		page, err := cl.ListTasks(ctx, "tasks", sluice.TaskFilter{States: []sluice.TaskState{sluice.TaskSucceeded}, After: after, Limit: 100})
		if err != nil {
			backoff(ctx)
			continue
		}
		led.mu.Lock()
		for _, s := range page.Tasks {
			led.succeeded[s.ID] = string(s.Result)
		}
		led.mu.Unlock()
		if page.Next != 0 {
			after = page.Next
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
}
