package engine_test

import (
	"context"
	"flag"
	"runtime"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
)

var recoveryMessages = flag.Int("recovery-messages", 100_000, "messages queued before BenchmarkRecovery restarts")

// BenchmarkRecovery fills a queue through a real filejournal, stops, and
// measures how long Open takes to rebuild it and how much heap the rebuilt
// state holds per message. Run with -recovery-messages=1000000 for the
// figure in docs/benchmarks.md.
func BenchmarkRecovery(b *testing.B) {
	for _, snapshot := range []bool{false, true} {
		name := "from-log"
		if snapshot {
			name = "from-snapshot"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			n := *recoveryMessages
			const size = 256
			fill(b, dir, n, size, snapshot)
			b.ResetTimer()
			for range b.N {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				j, err := filejournal.Open(dir, filejournal.Options{})
				if err != nil {
					b.Fatal(err)
				}
				opened := time.Since(start)
				e, err := engine.Open(context.Background(), engine.Options{Journals: []journal.Journal{j}})
				if err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				b.ReportMetric(elapsed.Seconds(), "s/restart")
				b.ReportMetric(opened.Seconds(), "s/journal-open")
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/msg")
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n)-2*size, "overhead-B/msg")
				runtime.KeepAlive(e)
				j.Close()
			}
		})
	}
}

func fill(b *testing.B, dir string, n, size int, snapshot bool) {
	b.Helper()
	j, err := filejournal.Open(dir, filejournal.Options{Sync: filejournal.SyncNever})
	if err != nil {
		b.Fatal(err)
	}
	opts := engine.Options{Journals: []journal.Journal{j}}
	if snapshot {
		opts.SnapshotMinBytes = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	e, err := engine.Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	if _, _, err := e.CreateQueue(ctx, sluice.QueueConfig{Name: "big"}); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, size)
	batch := make([]sluice.SendInput, 1000)
	for i := range batch {
		batch[i] = sluice.SendInput{Body: body, Attributes: map[string]sluice.Attribute{"k": {Type: "String", String: "v"}}}
	}
	for sent := 0; sent < n; sent += len(batch) {
		if _, err := e.Send(ctx, "big", batch[:min(len(batch), n-sent)]); err != nil {
			b.Fatal(err)
		}
	}
	if snapshot {
		// Let the snapshot started by the last turns finish.
		for range 100 {
			if s := j.Stats(); s.SnapshotIndex > 0 && s.Records < uint64(n)/2 {
				break
			}
			e.Stats(ctx, "big") // one more turn, so the partition may snapshot
			time.Sleep(50 * time.Millisecond)
		}
	}
	cancel()
	<-done
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
}
