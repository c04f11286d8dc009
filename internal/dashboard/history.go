package dashboard

import (
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/engine"
)

// History keeps the last samples of every queue's depth and of its send
// and ack counters, for rates and sparklines. A sample costs 12 bytes per
// queue: 60 samples of 10,000 queues take about 7 MiB. It is safe for
// concurrent use.
type History struct {
	mu     sync.Mutex // guards the fields below
	n      int
	times  []time.Time // ring of sample times, len n
	next   int         // index of the next sample in every ring
	count  int         // samples recorded, at most n
	queues map[string]*queueHistory
}

// queueHistory is one queue's rings, aligned with History.times.
type queueHistory struct {
	depth      []uint32
	sent, done []uint32 // per-sample increments of Sent and of Acked
	lastSent   uint64
	lastDone   uint64
	seen       int // samples since the queue appeared, at most n
	touched    bool
}

// NewHistory returns a history keeping n samples.
func NewHistory(n int) *History {
	return &History{n: n, times: make([]time.Time, n), queues: map[string]*queueHistory{}}
}

// Record adds a sample of every queue taken at now; queues absent from all
// are forgotten.
func (h *History) Record(now time.Time, all []engine.QueueMetrics) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := h.next
	h.times[i] = now
	for _, q := range all {
		qh := h.queues[q.Name]
		if qh == nil {
			qh = &queueHistory{depth: make([]uint32, h.n), sent: make([]uint32, h.n), done: make([]uint32, h.n),
				lastSent: q.Sent, lastDone: q.Acked}
			h.queues[q.Name] = qh
		}
		qh.depth[i] = clamp32(uint64(q.Visible + q.InFlight + q.Delayed))
		qh.sent[i] = clamp32(q.Sent - min(qh.lastSent, q.Sent))
		qh.done[i] = clamp32(q.Acked - min(qh.lastDone, q.Acked))
		qh.lastSent, qh.lastDone = q.Sent, q.Acked
		qh.seen = min(qh.seen+1, h.n)
		qh.touched = true
	}
	for name, qh := range h.queues {
		if !qh.touched {
			delete(h.queues, name)
		}
		qh.touched = false
	}
	h.next = (i + 1) % h.n
	h.count = min(h.count+1, h.n)
}

func clamp32(v uint64) uint32 { return uint32(min(v, 1<<32-1)) }

// Series is a queue's recent history, oldest sample first.
type Series struct {
	Depth []uint32 `json:"depth"`
	// SendRate and AckRate are per second over each sample's interval.
	SendRate []float64 `json:"sendRate"`
	AckRate  []float64 `json:"ackRate"`
}

// Last returns the newest rates, zero without two samples.
func (s Series) Last() (send, ack float64) {
	if len(s.SendRate) == 0 {
		return 0, 0
	}
	return s.SendRate[len(s.SendRate)-1], s.AckRate[len(s.AckRate)-1]
}

// Series returns the named queue's history; it is empty for an unknown
// queue.
func (h *History) Series(name string) Series {
	h.mu.Lock()
	defer h.mu.Unlock()
	qh := h.queues[name]
	if qh == nil {
		return Series{}
	}
	k := qh.seen
	s := Series{Depth: make([]uint32, 0, k), SendRate: make([]float64, 0, k), AckRate: make([]float64, 0, k)}
	for j := k - 1; j >= 0; j-- {
		i := (h.next - 1 - j + 2*h.n) % h.n
		s.Depth = append(s.Depth, qh.depth[i])
		if j == k-1 {
			continue // the first sample has no interval before it
		}
		prev := (i - 1 + h.n) % h.n
		secs := h.times[i].Sub(h.times[prev]).Seconds()
		if secs <= 0 {
			secs = 1
		}
		s.SendRate = append(s.SendRate, float64(qh.sent[i])/secs)
		s.AckRate = append(s.AckRate, float64(qh.done[i])/secs)
	}
	return s
}
