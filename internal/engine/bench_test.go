package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
)

// BenchmarkCycle measures the engine's CPU cost per message for a send,
// receive and ack, in batches, over an in-memory journal.
func BenchmarkCycle(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{memjournal.New()}})
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			go func() { e.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			if _, _, err := e.CreateQueue(ctx, sluice.QueueConfig{Name: "bench"}); err != nil {
				b.Fatal(err)
			}
			body := make([]byte, 256)
			in := make([]sluice.SendInput, batch)
			for i := range in {
				in[i] = sluice.SendInput{Body: body}
			}
			wait := time.Duration(0)
			receipts := make([]string, 0, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				if _, err := e.Send(ctx, "bench", in); err != nil {
					b.Fatal(err)
				}
				msgs, err := e.Receive(ctx, "bench", sluice.ReceiveOptions{Max: batch, WaitTime: &wait})
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
