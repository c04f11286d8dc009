package journaltest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/journal"
)

// BenchAppend runs b.N appends of one 256-byte record each on j from
// writers concurrent goroutines, each waiting for its record to be durable
// before the next, and reports records/s and, when j reports Stats, the
// records per sync that group commit achieved.
func BenchAppend(b *testing.B, j journal.Journal, writers int) {
	rec := make([]byte, 256)
	for i := range rec {
		rec[i] = byte(i)
	}
	b.ReportAllocs()
	var (
		n      atomic.Int64
		wg     sync.WaitGroup
		failed atomic.Int64
	)
	stats := func() journal.Stats {
		if r, ok := j.(journal.StatsReporter); ok {
			return r.Stats()
		}
		return journal.Stats{}
	}
	before := stats()
	start := time.Now()
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			recs := [][]byte{rec}
			ch := make(chan error, 1)
			done := func(err error) { ch <- err }
			for n.Add(1) <= int64(b.N) {
				j.Append(recs, done)
				if err := <-ch; err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	elapsed := time.Since(start)
	if failed.Load() > 0 {
		b.Fatalf("%d appends failed", failed.Load())
	}
	after := stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	if syncs := after.Syncs - before.Syncs; syncs > 0 {
		b.ReportMetric(float64(after.SyncedRecords-before.SyncedRecords)/float64(syncs), "records/sync")
	}
}
