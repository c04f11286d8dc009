package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
	"github.com/sluicehq/sluice/internal/natstest"
)

const benchPartitions = 6

// queueOn returns a queue name that lands on partition p.
func queueOn(p int) string {
	for i := 0; ; i++ {
		if name := fmt.Sprintf("q%d", i); Partition(name, benchPartitions) == p {
			return name
		}
	}
}

// BenchmarkSend measures confirmed sends of 256-byte messages by 64
// concurrent senders spread over six queues, one per partition: through
// 1, 2 and 3 Sluice nodes on a three-server JetStream cluster (R3, servers
// fsync before acknowledging), and through the embedded engine over six
// file journals (fsync always) as the baseline in the same run. Senders
// call the owning node's engine directly: this measures the engine and
// its journal, not HTTP or forwarding. Everything shares the machine's
// cores.
func BenchmarkSend(b *testing.B) {
	b.Run("embedded", func(b *testing.B) {
		var journals []journal.Journal
		for range benchPartitions {
			j, err := filejournal.Open(b.TempDir(), filejournal.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { j.Close() })
			journals = append(journals, j)
		}
		eng, err := engine.Open(b.Context(), engine.Options{Journals: journals})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { eng.Run(ctx); close(done) }()
		b.Cleanup(func() { cancel(); <-done })
		engines := make([]*engine.Engine, benchPartitions)
		for p := range engines {
			engines[p] = eng
		}
		benchSend(b, engines)
	})
	c := natstest.Start(b, natstest.Options{Nodes: 3, SyncAlways: true})
	for nodes := 1; nodes <= 3; nodes++ {
		b.Run(fmt.Sprintf("cluster/nodes=%d", nodes), func(b *testing.B) {
			name := fmt.Sprintf("bench%d", nodes)
			var ns []*Node
			for i := range nodes {
				js, err := jetstream.New(c.Connect(b))
				if err != nil {
					b.Fatal(err)
				}
				n, err := New(b.Context(), Config{JetStream: js, NodeID: fmt.Sprintf("n%d", i), Name: name,
					Partitions: benchPartitions, Replicas: 3, LeaseTTL: 2 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { n.Run(ctx); close(done) }()
				b.Cleanup(func() { cancel(); <-done })
				ns = append(ns, n)
			}
			engines := make([]*engine.Engine, benchPartitions)
			deadline := time.Now().Add(30 * time.Second)
			for p := 0; p < benchPartitions; {
				for _, n := range ns {
					if eng, err := n.Engine(p); err == nil {
						engines[p] = eng
					}
				}
				if engines[p] != nil {
					p++
					continue
				}
				if time.Now().After(deadline) {
					b.Fatalf("partition %d not served after 30s", p)
				}
				time.Sleep(20 * time.Millisecond)
			}
			benchSend(b, engines)
		})
	}
}

// benchSend creates one queue per partition on engines[p] and sends to
// them from 64 goroutines.
func benchSend(b *testing.B, engines []*engine.Engine) {
	for p, eng := range engines {
		if _, _, err := eng.CreateQueue(b.Context(), sluice.QueueConfig{Name: queueOn(p)}); err != nil {
			b.Fatal(err)
		}
	}
	body := make([]byte, 256)
	var (
		n, failed atomic.Int64
		wg        sync.WaitGroup
	)
	b.ResetTimer()
	start := time.Now()
	for w := range 64 {
		wg.Go(func() {
			p := w % len(engines)
			q := queueOn(p)
			in := []sluice.SendInput{{Body: body}}
			for n.Add(1) <= int64(b.N) {
				if _, err := engines[p].Send(b.Context(), q, in); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d sends failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
