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

// BenchmarkTrackingCycle compares BenchmarkCycle's send, receive and ack
// on an untracked queue ("off") with the same cycle on a tracked one, whose
// acks keep a finished status per task. With "grow" every status of the run
// is kept (the default 24-hour retention), so the kept statuses only grow;
// with "steady" a clock advancing 1ms per message and a 1-minute retention
// keep about 60,000 statuses, as under constant load.
func BenchmarkTrackingCycle(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		for _, tracked := range []string{"off", "grow", "steady"} {
			b.Run(fmt.Sprintf("batch=%d/tracked=%s", batch, tracked), func(b *testing.B) {
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
				cfg := sluice.QueueConfig{Name: "bench"}
				switch tracked {
				case "grow":
					cfg.Tasks = &sluice.TaskPolicy{}
				case "steady":
					cfg.Tasks = &sluice.TaskPolicy{Retention: time.Minute}
				}
				if _, _, err := e.CreateQueue(ctx, cfg); err != nil {
					b.Fatal(err)
				}
				in := make([]sluice.SendInput, batch)
				for i := range in {
					in[i] = sluice.SendInput{Body: make([]byte, 256)}
				}
				wait := time.Duration(0)
				receipts := make([]string, 0, batch)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i += batch {
					clock.Add(int64(batch) * int64(time.Millisecond))
					if _, err := e.Send(ctx, "bench", in); err != nil {
						b.Fatal(err)
					}
					msgs, err := e.Receive(ctx, "bench", sluice.ReceiveOptions{Max: batch, WaitTime: &wait, Worker: "w"})
					if err != nil || len(msgs) != batch {
						b.Fatalf("Receive() = %d, %v", len(msgs), err)
					}
					receipts = receipts[:0]
					for _, m := range msgs {
						receipts = append(receipts, m.Receipt)
					}
					if _, err := e.Ack(ctx, "bench", receipts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
