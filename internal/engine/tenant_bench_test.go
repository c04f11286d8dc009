package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
)

// benchEngine starts an engine over an in-memory journal with one queue.
func benchEngine(b *testing.B, cfg sluice.QueueConfig, now func() time.Time) (*engine.Engine, context.Context) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{memjournal.New()}, Now: now, SnapshotMinBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	if _, _, err := e.CreateQueue(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	return e, ctx
}

// BenchmarkCycleFairness is BenchmarkCycle's batch of 10 with fairness off
// and on, the messages spread over 1 or 100 tenants: the cost of weighted
// fair dispatch per message.
func BenchmarkCycleFairness(b *testing.B) {
	for _, tc := range []struct {
		fair    bool
		tenants int
	}{{false, 1}, {false, 100}, {true, 1}, {true, 100}} {
		b.Run(fmt.Sprintf("fairness=%v/tenants=%d", tc.fair, tc.tenants), func(b *testing.B) {
			e, ctx := benchEngine(b, sluice.QueueConfig{Name: "bench", DisableFairness: !tc.fair}, nil)
			const batch = 10
			body := make([]byte, 256)
			in := make([]sluice.SendInput, batch)
			wait := time.Duration(0)
			receipts := make([]string, 0, batch)
			n := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				for j := range in {
					in[j] = sluice.SendInput{Body: body, Tenant: fmt.Sprint("t", n%tc.tenants)}
					n++
				}
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

// BenchmarkReceiveTenants measures receiving and acknowledging one message
// and sending its replacement, with 1, 1,000 or 100,000 tenants holding
// ready messages: the scheduler's cost should not grow with the tenants.
func BenchmarkReceiveTenants(b *testing.B) {
	for _, tenants := range []int{1, 1000, 100_000} {
		b.Run(fmt.Sprint("tenants=", tenants), func(b *testing.B) {
			e, ctx := benchEngine(b, sluice.QueueConfig{Name: "bench"}, nil)
			body := make([]byte, 64)
			per := max(2, 200_000/tenants)
			var in []sluice.SendInput
			for t := range tenants {
				for range per {
					in = append(in, sluice.SendInput{Body: body, Tenant: fmt.Sprint("t", t)})
					if len(in) == 1000 {
						if _, err := e.Send(ctx, "bench", in); err != nil {
							b.Fatal(err)
						}
						in = in[:0]
					}
				}
			}
			if len(in) > 0 {
				if _, err := e.Send(ctx, "bench", in); err != nil {
					b.Fatal(err)
				}
			}
			wait := time.Duration(0)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				msgs, err := e.Receive(ctx, "bench", sluice.ReceiveOptions{Max: 1, WaitTime: &wait})
				if err != nil || len(msgs) != 1 {
					b.Fatalf("Receive() = %d, %v", len(msgs), err)
				}
				if _, err := e.Ack(ctx, "bench", []string{msgs[0].Receipt}); err != nil {
					b.Fatal(err)
				}
				if _, err := e.Send(ctx, "bench", []sluice.SendInput{{Body: body, Tenant: msgs[0].Tenant}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNoisyNeighbor simulates, on a fake clock, one consumer taking a
// batch of 10 every millisecond while 20 quiet tenants each send a message
// every 20ms, with and without a noisy tenant holding a backlog, with
// fairness on and off. Each iteration is one simulated millisecond; it
// reports the quiet tenants' wait from send to first receive, in simulated
// milliseconds, and the noisy tenant's share of deliveries.
func BenchmarkNoisyNeighbor(b *testing.B) {
	for _, tc := range []struct {
		backlog int
		fair    bool
	}{{0, true}, {1_000_000, true}, {1_000_000, false}} {
		b.Run(fmt.Sprintf("backlog=%d/fairness=%v", tc.backlog, tc.fair), func(b *testing.B) {
			var clock atomic.Int64
			clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
			now := func() time.Time { return time.Unix(0, clock.Load()) }
			e, ctx := benchEngine(b, sluice.QueueConfig{Name: "bench", DisableFairness: !tc.fair}, now)
			body := make([]byte, 16)
			noisy := make([]sluice.SendInput, 1000)
			for i := range noisy {
				noisy[i] = sluice.SendInput{Body: body, Tenant: "noisy"}
			}
			for i := 0; i < tc.backlog; i += len(noisy) {
				if _, err := e.Send(ctx, "bench", noisy); err != nil {
					b.Fatal(err)
				}
			}
			wait := time.Duration(0)
			var waits []time.Duration
			var fromNoisy, delivered int
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				// Each millisecond one quiet tenant sends (20 tenants, one
				// message every 20ms each).
				q := sluice.SendInput{Body: body, Tenant: fmt.Sprint("quiet-", i%20)}
				if _, err := e.Send(ctx, "bench", []sluice.SendInput{q}); err != nil {
					b.Fatal(err)
				}
				if tc.backlog > 0 && i%10 == 0 {
					// The noisy tenant keeps its backlog topped up.
					if _, err := e.Send(ctx, "bench", noisy[:10]); err != nil {
						b.Fatal(err)
					}
				}
				clock.Add(int64(time.Millisecond))
				msgs, err := e.Receive(ctx, "bench", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
				if err != nil {
					b.Fatal(err)
				}
				receipts := make([]string, 0, len(msgs))
				for _, m := range msgs {
					delivered++
					if m.Tenant == "noisy" {
						fromNoisy++
					} else {
						waits = append(waits, m.FirstReceivedAt.Sub(m.SentAt))
					}
					receipts = append(receipts, m.Receipt)
				}
				if len(receipts) > 0 {
					if _, err := e.Ack(ctx, "bench", receipts); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			slices.Sort(waits)
			p := func(q float64) float64 {
				if len(waits) == 0 {
					return -1 // no quiet message was delivered
				}
				return float64(waits[int(float64(len(waits)-1)*q)]) / float64(time.Millisecond)
			}
			b.ReportMetric(p(0.5), "quiet-p50-ms")
			b.ReportMetric(p(0.99), "quiet-p99-ms")
			b.ReportMetric(float64(len(waits)), "quiet-delivered")
			if delivered > 0 {
				b.ReportMetric(float64(fromNoisy)/float64(delivered), "noisy-share")
			}
		})
	}
}

// BenchmarkTenantReads is what the tenants' metrics and the dashboard's
// tenants table cost the engine with 100,000 tenants holding one message
// each: the top 20 and a sum (a scrape), the first and last pages of 50,
// and, as the baseline, one tenant's statistics.
func BenchmarkTenantReads(b *testing.B) {
	e, ctx := benchEngine(b, sluice.QueueConfig{Name: "bench"}, nil)
	var in []sluice.SendInput
	for t := range 100_000 {
		in = append(in, sluice.SendInput{Body: []byte("x"), Tenant: fmt.Sprint("t", t)})
		if len(in) == 1000 {
			if _, err := e.Send(ctx, "bench", in); err != nil {
				b.Fatal(err)
			}
			in = in[:0]
		}
	}
	for _, c := range []struct {
		name string
		read func() error
	}{
		{"one-tenant", func() error { _, err := e.Tenant(ctx, "bench", "t5"); return err }},
		{"metrics-top-20", func() error { _, err := e.TenantMetrics(ctx, 20); return err }},
		{"page-first", func() error { _, err := e.TenantPage(ctx, "bench", "", 0, 50); return err }},
		{"page-last", func() error { _, err := e.TenantPage(ctx, "bench", "", 99_950, 50); return err }},
		{"page-search", func() error { _, err := e.TenantPage(ctx, "bench", "t999", 0, 50); return err }},
		{"all-stats", func() error { _, err := e.TenantStats(ctx, "bench"); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
