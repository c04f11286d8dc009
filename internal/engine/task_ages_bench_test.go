package engine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
)

// BenchmarkMonitorQueries measures the Task Monitor's queries over a
// tracked queue holding 1,000,000 active tasks of 100 tenants, sent over an
// hour, a quarter of them running: the age buckets (per queue, and per
// tenant too), the oldest running and waiting tasks over an age, and a
// page of the task listing filtered by tenant.
func BenchmarkMonitorQueries(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{memjournal.New()}, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if _, _, err := e.CreateQueue(ctx, sluice.QueueConfig{Name: "big", Tasks: &sluice.TaskPolicy{}}); err != nil {
		b.Fatal(err)
	}
	const total, batch = 1_000_000, 1000
	in := make([]sluice.SendInput, batch)
	vis, wait := 2*time.Hour, time.Duration(0)
	for i := 0; i < total; i += batch {
		for j := range in {
			in[j] = sluice.SendInput{Body: []byte("task"), Tenant: fmt.Sprint("t", (i+j)%100)}
		}
		if _, err := e.Send(ctx, "big", in); err != nil {
			b.Fatal(err)
		}
		if (i/batch)%4 == 0 {
			if msgs, err := e.Receive(ctx, "big", sluice.ReceiveOptions{Max: batch, VisibilityTimeout: &vis, WaitTime: &wait, Worker: "w"}); err != nil || len(msgs) != batch {
				b.Fatalf("Receive() = %d, %v", len(msgs), err)
			}
		}
		clock.Add(int64(time.Hour / (total / batch)))
	}
	bounds := []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, 45 * time.Minute, time.Hour}
	for _, q := range []struct {
		name string
		run  func() error
	}{
		{"buckets", func() error { _, err := e.TaskAges(ctx, "big", bounds, false); return err }},
		{"buckets-per-tenant", func() error { _, err := e.TaskAges(ctx, "big", bounds, true); return err }},
		{"oldest-running-over-45m", func() error {
			_, err := e.OldestTasks(ctx, "big", sluice.TaskAgeQuery{Kind: sluice.AgeRunning, Over: 45 * time.Minute, Limit: 100})
			return err
		}},
		{"oldest-waiting-over-10m", func() error {
			_, err := e.OldestTasks(ctx, "big", sluice.TaskAgeQuery{Kind: sluice.AgeWaiting, Over: 10 * time.Minute, Limit: 100})
			return err
		}},
		{"list-tenant-page", func() error {
			_, err := e.ListTasks(ctx, "big", sluice.TaskFilter{Tenant: "t42", Limit: 100})
			return err
		}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if err := q.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
		})
	}
}
