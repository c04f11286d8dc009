package fair

import (
	"fmt"
	"testing"
)

// BenchmarkNext measures one pick and charge with many flows backlogged.
func BenchmarkNext(b *testing.B) {
	for _, n := range []int{1, 1000, 100000} {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			var s Scheduler
			for i := range n {
				f := &Flow{}
				s.SetPolicy(f, Policy{Weight: float64(1 + i%3)}, 0)
				s.Backlog(f, true, 0)
			}
			b.ReportAllocs()
			for b.Loop() {
				f := s.Next(0)
				s.Dispatched(f, 1, true, 0)
				s.Released(f, 0)
			}
		})
	}
}
