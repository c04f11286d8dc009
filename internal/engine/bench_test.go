package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
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

// BenchmarkPublishFanout measures publishing to a topic with 1, 10 and 100
// queue subscriptions, through real file journals with fsync on, from 16
// concurrent publishers: the cost of a publish should grow far slower than
// its fan-out, since each destination partition makes all its copies
// durable in one append.
func BenchmarkPublishFanout(b *testing.B) {
	for _, parts := range []int{1, 4} {
		for _, fanout := range []int{1, 10, 100} {
			b.Run(fmt.Sprintf("partitions=%d/subscriptions=%d", parts, fanout), func(b *testing.B) { benchFanout(b, parts, fanout) })
		}
	}
}

func benchFanout(b *testing.B, parts, fanout int) {
	{
		{
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var journals []journal.Journal
			for i := range parts {
				j, err := filejournal.Open(filepath.Join(b.TempDir(), fmt.Sprint(i)), filejournal.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer j.Close()
				journals = append(journals, j)
			}
			e, err := engine.Open(ctx, engine.Options{Journals: journals})
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			go func() { e.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			if _, _, err := e.CreateTopic(ctx, sluice.TopicConfig{Name: "fan"}); err != nil {
				b.Fatal(err)
			}
			for i := range fanout {
				name := fmt.Sprint("q", i)
				if _, _, err := e.CreateQueue(ctx, sluice.QueueConfig{Name: name}); err != nil {
					b.Fatal(err)
				}
				if _, err := e.Subscribe(ctx, sluice.Subscription{Topic: "fan", Protocol: sluice.ProtocolQueue, Endpoint: name, Raw: true}); err != nil {
					b.Fatal(err)
				}
			}
			body := make([]byte, 256)
			for i := range body {
				body[i] = 'x'
			}
			in := []sluice.PublishInput{{Body: body}}
			// Subscribers consume their queues in real use: purge them
			// often so that a bigger fan-out is not charged for scanning a
			// bigger backlog in the garbage collector.
			stopPurge := make(chan struct{})
			purged := make(chan struct{})
			go func() {
				defer close(purged)
				tick := time.NewTicker(50 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stopPurge:
						return
					case <-tick.C:
						for i := range fanout {
							e.PurgeQueue(ctx, fmt.Sprint("q", i))
						}
					}
				}
			}()
			defer func() { close(stopPurge); <-purged }()
			b.SetParallelism(8) // 16 publishers on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.Publish(ctx, "fan", in); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
			b.ReportMetric(float64(b.N*fanout)/b.Elapsed().Seconds(), "copies/s")
		}
	}
}

// BenchmarkQueueMetrics measures reading every queue's metrics, which holds
// each partition's goroutine for its share of the copy, against reading one
// queue's stats as the baseline.
func BenchmarkQueueMetrics(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{memjournal.New()}})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range 10000 {
		if _, _, err := e.CreateQueue(ctx, sluice.QueueConfig{Name: fmt.Sprintf("queue-%05d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("stats-one", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Stats(ctx, "queue-00001"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("metrics-10000", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.QueueMetrics(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
