package natsjournal

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/journal/journaltest"
	"github.com/sluicehq/sluice/internal/natstest"
)

// BenchmarkAppend measures durable appends of 256-byte records by
// concurrent writers, each appending one record and waiting for its
// callback before the next, as request handlers do — the same load as
// filejournal's BenchmarkAppend, so the two compare in one run. The
// servers run in-process on loopback: "sync=always" fsyncs every write on
// the servers (as production should), "sync=default" leaves it to
// JetStream's periodic sync.
func BenchmarkAppend(b *testing.B) {
	for _, cfg := range []struct {
		nodes      int
		syncAlways bool
	}{{1, false}, {1, true}, {3, true}} {
		name := fmt.Sprintf("nodes=%d/sync=default", cfg.nodes)
		if cfg.syncAlways {
			name = fmt.Sprintf("nodes=%d/sync=always", cfg.nodes)
		}
		b.Run(name, func(b *testing.B) {
			c := natstest.Start(b, natstest.Options{Nodes: cfg.nodes, SyncAlways: cfg.syncAlways})
			js := newJetStream(b, c)
			for _, writers := range []int{1, 16, 64} {
				b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
					j := setup(b, js, Options{Name: fmt.Sprintf("bench%d", names.Add(1)), Replicas: cfg.nodes})
					journaltest.BenchAppend(b, j, writers)
				})
			}
		})
	}
}

// BenchmarkReplay measures how fast a new owner reads a partition's log
// back: 256-byte records appended in batches of 64, as group commit under
// load writes them, then replayed by a freshly opened journal.
func BenchmarkReplay(b *testing.B) {
	c := natstest.Start(b, natstest.Options{})
	js := newJetStream(b, c)
	opts := Options{Name: fmt.Sprintf("replay%d", names.Add(1))}
	j := setup(b, js, opts)
	rec := make([]byte, 256)
	batch := make([][]byte, 64)
	for i := range batch {
		batch[i] = rec
	}
	const records = 64 * 1000
	var wg sync.WaitGroup
	for range records / len(batch) {
		wg.Add(1)
		j.Append(batch, func(err error) {
			if err != nil {
				b.Error(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	j.Close()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		r := setup(b, js, opts)
		var n int
		if err := r.Replay(b.Context(), 0, func(uint64, []byte) error { n++; return nil }); err != nil || n != records {
			b.Fatalf("Replay() = %d records, %v; want %d", n, err, records)
		}
		r.Close()
	}
	b.ReportMetric(float64(records*b.N)/time.Since(start).Seconds(), "records/s")
}
