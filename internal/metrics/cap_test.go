package metrics

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/internal/engine"
)

func TestCapQueuesKeepsTheLargestAndSumsTheRest(t *testing.T) {
	q := func(name string, visible int, sent uint64, age time.Duration) engine.QueueMetrics {
		m := engine.QueueMetrics{}
		m.Name, m.Visible, m.Sent, m.OldestAge = name, visible, sent, age
		m.AckLatency.Count = sent
		return m
	}
	all := []engine.QueueMetrics{q("a", 1, 10, time.Second), q("b", 5, 20, 2*time.Second), q("c", 0, 30, 0), q("d", 5, 40, time.Minute)}

	if got := capQueues(all[:2:2], 2); len(got) != 2 {
		t.Errorf("capQueues(2 queues, 2) returned %d, want them unchanged", len(got))
	}
	got := capQueues(all, 2)
	var names []string
	for _, m := range got {
		names = append(names, fmt.Sprintf("%s:%d:%d:%v:%d", m.Name, m.Visible, m.Sent, m.OldestAge, m.AckLatency.Count))
	}
	// b and d hold the most; a and c are summed, with the oldest age.
	want := []string{"b:5:20:2s:20", "d:5:40:1m0s:40", "~other:1:40:1s:40"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("capQueues() (-want +got):\n%s", diff)
	}
}

func TestCapTopicsKeepsTheBusiest(t *testing.T) {
	all := []engine.TopicMetrics{{Name: "x", Published: 1}, {Name: "y", Published: 9}, {Name: "z", Published: 5, Copies: 3}}
	got := capTopics(all, 1)
	if len(got) != 2 || got[0].Name != "y" || got[1].Name != Other || got[1].Published != 6 || got[1].Copies != 3 {
		t.Errorf("capTopics() = %+v, want y then ~other with 6 published and 3 copies", got)
	}
}
