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
)

// TestCrashWatchKeepsExternalTasks publishes start messages for a Task
// Monitor watch while polling what the watch has seen, kills the server
// with SIGKILL at random moments, and checks at the end that the watch and
// every external task whose start was confirmed are there, and that no task
// a client saw disappeared.
func TestCrashWatchKeepsExternalTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	dir := t.TempDir()
	var mu sync.Mutex
	confirmed := map[string]bool{} // ids whose start publish succeeded
	seen := map[string]bool{}      // ids a client saw running
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	n := 0
	for round := range 3 {
		srv := startServe(t, dir)
		if round == 0 {
			if _, err := srv.Client.CreateTopic(t.Context(), sluice.TopicConfig{Name: "jobs"}); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Client.PutWatch(t.Context(), sluice.Watch{Name: "legacy", StartTopic: "jobs", IDPath: "id", StatusURL: "http://127.0.0.1:1/{id}"}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() {
			for ctx.Err() == nil {
				n++
				id := fmt.Sprint("job-", n)
				if _, err := srv.Client.Publish(ctx, "jobs", sluice.PublishInput{Body: []byte(`{"id":"` + id + `"}`)}); err != nil {
					backoff(ctx)
					continue
				}
				mu.Lock()
				confirmed[id] = true
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				var ids []string
				for id := range confirmed {
					if !seen[id] {
						ids = append(ids, id)
					}
				}
				mu.Unlock()
				for _, id := range ids {
					if _, err := srv.Client.WatchTask(ctx, "legacy", id); err == nil {
						mu.Lock()
						seen[id] = true
						mu.Unlock()
					}
				}
				backoff(ctx)
			}
		})
		lifetime := time.Duration(1200+rng.IntN(1000)) * time.Millisecond
		time.Sleep(lifetime)
		srv.kill(t)
		cancel()
		wg.Wait()
		mu.Lock()
		t.Logf("round %d: killed after %v; %d starts confirmed, %d seen", round, lifetime, len(confirmed), len(seen))
		mu.Unlock()
	}

	srv := startServe(t, dir)
	ctx := t.Context()
	if _, err := srv.Client.Watch(ctx, "legacy"); err != nil {
		t.Fatalf("the watch after the crashes: %v", err)
	}
	for id := range seen {
		if _, err := srv.Client.WatchTask(ctx, "legacy", id); err != nil {
			t.Errorf("task %s, seen before a crash: %v", id, err)
		}
	}
	// Confirmed starts not yet read are read from the watch's queue now.
	deadline := time.Now().Add(60 * time.Second)
	for id := range confirmed {
		for {
			_, err := srv.Client.WatchTask(ctx, "legacy", id)
			if err == nil {
				break
			}
			if !errors.Is(err, sluice.ErrTaskNotFound) || time.Now().After(deadline) {
				t.Fatalf("task %s, whose start was confirmed: %v", id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	ages, err := srv.Client.TaskAges(ctx, "watch:legacy", false)
	// A publish cut off by a kill may have been kept without its answer:
	// between the confirmed and the attempted starts are running.
	if err != nil || len(ages) != 1 || ages[0].Running < len(confirmed) || ages[0].Running > n {
		t.Fatalf("TaskAges(watch:legacy) = %+v, %v; want %d to %d running", ages, err, len(confirmed), n)
	}
}
