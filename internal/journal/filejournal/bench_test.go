package filejournal

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend measures durable appends of 256-byte records by
// concurrent writers, each appending one record and waiting for its
// callback before the next, as request handlers do.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 4, 16, 64, 256} {
		b.Run(fmt.Sprintf("sync=always/writers=%d", writers), func(b *testing.B) { benchAppend(b, writers, SyncAlways) })
	}
	b.Run("sync=never/writers=64", func(b *testing.B) { benchAppend(b, 64, SyncNever) })
}

func benchAppend(b *testing.B, writers int, policy SyncPolicy) {
	j, err := Open(b.TempDir(), Options{Sync: policy})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
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
	before := j.Stats()
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
	after := j.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	if syncs := after.Syncs - before.Syncs; syncs > 0 {
		b.ReportMetric(float64(after.SyncedRecords-before.SyncedRecords)/float64(syncs), "records/sync")
	}
}
