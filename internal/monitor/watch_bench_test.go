package monitor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// BenchmarkWatch measures a watch holding 10,000 running external tasks,
// against the same queries on a tracked queue of 10,000 tasks in the same
// run: the age buckets, the 100 oldest running tasks, and reading a batch
// of 10 or 100 start messages, which rewrites the watches file (fsync and
// rename) once.
func BenchmarkWatch(b *testing.B) {
	const total = 10_000
	f := setupWatch(b)
	ctx := b.Context()
	if _, err := f.m.PutWatch(ctx, sluice.Watch{Name: "legacy", StartTopic: "jobs", IDAttribute: "job", CompleteTopic: "done"}); err != nil {
		b.Fatal(err)
	}
	if _, _, err := f.e.CreateQueue(ctx, sluice.QueueConfig{Name: "tracked", Tasks: &sluice.TaskPolicy{}}); err != nil {
		b.Fatal(err)
	}
	next := 0
	publish := func(n int) {
		for range n / 10 {
			in := make([]sluice.PublishInput, 10)
			for j := range in {
				in[j] = sluice.PublishInput{Body: []byte("job"), Attributes: map[string]sluice.Attribute{"job": {Type: "String", String: fmt.Sprint("j-", next)}}}
				next++
			}
			if _, err := f.e.Publish(ctx, "jobs", in); err != nil {
				b.Fatal(err)
			}
		}
	}
	send := make([]sluice.SendInput, 10)
	for i := 0; i < total; i += 10 {
		publish(10)
		f.m.IngestWatches(ctx)
		for j := range send {
			send[j] = sluice.SendInput{Body: []byte("task")}
		}
		if _, err := f.e.Send(ctx, "tracked", send); err != nil {
			b.Fatal(err)
		}
		f.clock.Advance(time.Hour / (total / 10))
	}
	if a, err := f.m.Ages(ctx, "watch:legacy", false); err != nil || a.Running != total {
		b.Fatalf("Ages() = %d running, %v; want %d", a.Running, err, total)
	}
	for _, q := range []struct {
		name string
		run  func() error
	}{
		{"buckets/tracked-queue", func() error { _, err := f.m.Ages(ctx, "tracked", false); return err }},
		{"buckets/watch", func() error { _, err := f.m.Ages(ctx, "watch:legacy", false); return err }},
		{"oldest-100/tracked-queue", func() error {
			_, err := f.m.Tasks(ctx, "tracked", sluice.TaskAgeQuery{Kind: sluice.AgeWaiting, Over: 45 * time.Minute})
			return err
		}},
		{"oldest-100/watch", func() error {
			_, err := f.m.Tasks(ctx, "watch:legacy", sluice.TaskAgeQuery{Kind: sluice.AgeRunning, Over: 45 * time.Minute})
			return err
		}},
		{"ingest-10-starts/watch", func() error {
			publish(10)
			f.m.IngestWatches(ctx)
			return nil
		}},
		{"ingest-100-starts/watch", func() error {
			publish(100)
			f.m.IngestWatches(ctx)
			return nil
		}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if err := q.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
