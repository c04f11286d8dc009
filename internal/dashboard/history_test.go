package dashboard

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/internal/engine"
)

func TestHistoryRatesAndWrapAround(t *testing.T) {
	h := NewHistory(3)
	at := time.Unix(1000, 0)
	sample := func(sent, acked uint64, visible int, names ...string) {
		var all []engine.QueueMetrics
		for _, n := range names {
			m := engine.QueueMetrics{}
			m.Name, m.Sent, m.Acked, m.Visible = n, sent, acked, visible
			all = append(all, m)
		}
		h.Record(at, all)
		at = at.Add(2 * time.Second)
	}
	if s := h.Series("q"); len(s.Depth) != 0 {
		t.Fatalf("Series of an unknown queue = %+v, want empty", s)
	}
	sample(100, 0, 5, "q") // counters before the first sample are not a rate
	if got := h.Series("q"); !cmp.Equal(got, Series{Depth: []uint32{5}, SendRate: []float64{}, AckRate: []float64{}}) {
		t.Errorf("after one sample: %+v", got)
	}
	sample(110, 4, 6, "q")
	sample(130, 4, 7, "q", "new")
	sample(131, 10, 8, "q", "new") // wraps: the first sample is gone
	want := Series{Depth: []uint32{6, 7, 8}, SendRate: []float64{10, 0.5}, AckRate: []float64{0, 3}}
	if diff := cmp.Diff(want, h.Series("q")); diff != "" {
		t.Errorf("Series(q) after wrapping (-want +got):\n%s", diff)
	}
	if send, ack := h.Series("q").Last(); send != 0.5 || ack != 3 {
		t.Errorf("Last() = %v, %v; want 0.5, 3", send, ack)
	}
	if got := h.Series("new"); len(got.Depth) != 2 || len(got.SendRate) != 1 {
		t.Errorf("Series(new) = %+v, want two samples and one rate", got)
	}
	sample(131, 10, 8, "new") // q was deleted
	if s := h.Series("q"); len(s.Depth) != 0 {
		t.Errorf("Series of a deleted queue = %+v, want empty", s)
	}
}
