package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/worker"
)

// A pool serving two kinds of tasks of the tracked queue "jobs", with a
// logging middleware, until interrupted; then running handlers get up to
// a minute to finish and waiting tasks go back to the queue.
func Example() {
	mux := worker.NewMux()
	mux.HandleFunc("thumbnail", func(ctx context.Context, t *worker.Task) ([]byte, error) {
		var req struct{ URL string }
		if err := json.Unmarshal(t.Body, &req); err != nil {
			return nil, worker.Permanent(err) // retrying will not help
		}
		return json.Marshal(map[string]string{"thumbnail": req.URL + "?w=128"})
	})
	mux.HandleFunc("invoice", func(ctx context.Context, t *worker.Task) ([]byte, error) {
		return nil, worker.RetryAfter(errors.New("billing system is in maintenance"), 10*time.Minute)
	})
	logged := func(next worker.Handler) worker.Handler {
		return worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) {
			start := time.Now()
			res, err := next.ServeTask(ctx, t)
			slog.Info("task", "id", t.ID, "kind", t.Kind(), "attempt", t.Attempt, "took", time.Since(start), "err", err)
			return res, err
		})
	}

	pool, err := worker.NewPool(client.New("http://127.0.0.1:9324"), worker.Options{
		Queue:        "jobs",
		Handler:      mux,
		Middleware:   []worker.Middleware{logged},
		Concurrency:  8,
		Prefetch:     4,
		DrainTimeout: time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := pool.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
