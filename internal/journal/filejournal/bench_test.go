package filejournal

import (
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/internal/journal/journaltest"
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
	journaltest.BenchAppend(b, j, writers)
}
