package metrics

import (
	"testing"
	"time"
)

// BenchmarkHTTPObserve is the metrics' share of every HTTP request.
func BenchmarkHTTPObserve(b *testing.B) {
	m := NewHTTP()
	for b.Loop() {
		m.Observe("native", "POST /v1/queues/{name}/messages", 201, 150*time.Microsecond)
	}
}
