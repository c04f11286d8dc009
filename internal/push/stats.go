package push

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Outcome is what became of one delivery attempt.
type Outcome string

// The outcomes of delivery attempts.
const (
	// Delivered: the endpoint answered 2xx and the message was acked.
	Delivered Outcome = "delivered"
	// Retried: the attempt failed and the message will be tried again.
	Retried Outcome = "retried"
	// DeadLettered: the last attempt failed and the message goes to the
	// subscription's dead-letter queue.
	DeadLettered Outcome = "dead_lettered"
	// Dropped: the last attempt failed and the subscription has no
	// dead-letter queue.
	Dropped Outcome = "dropped"
)

// Outcomes lists every Outcome, in a fixed order.
var Outcomes = [...]Outcome{Delivered, Retried, DeadLettered, Dropped}

// SubscriptionStats counts one HTTP subscription's delivery attempts since
// the worker started.
type SubscriptionStats struct {
	Subscription string
	Topic        string
	// Attempts counts attempts by outcome, indexed like Outcomes.
	Attempts [len(Outcomes)]uint64
	// Latency sums the durations of the attempts' requests.
	Latency time.Duration
}

// stats is a Worker's delivery counters.
type stats struct {
	mu   sync.Mutex // guards subs
	subs map[string]*SubscriptionStats
}

func (s *stats) record(sub, topic string, o Outcome, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.subs[sub]
	if st == nil {
		if s.subs == nil {
			s.subs = make(map[string]*SubscriptionStats)
		}
		st = &SubscriptionStats{Subscription: sub, Topic: topic}
		s.subs[sub] = st
	}
	st.Attempts[slices.Index(Outcomes[:], o)]++
	st.Latency += d
}

// Stats returns the delivery counters of every subscription the worker
// has attempted to deliver to, by subscription id. It is safe to call
// concurrently with Run.
func (w *Worker) Stats() []SubscriptionStats {
	w.stats.mu.Lock()
	out := make([]SubscriptionStats, 0, len(w.stats.subs))
	for _, s := range w.stats.subs {
		out = append(out, *s)
	}
	w.stats.mu.Unlock()
	slices.SortFunc(out, func(a, b SubscriptionStats) int { return strings.Compare(a.Subscription, b.Subscription) })
	return out
}
