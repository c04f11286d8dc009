package engine

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// AckLatencyBuckets are the upper bounds of the receive-to-ack latency
// histogram every queue keeps (QueueMetrics.AckLatency), in increasing
// order. An observation falls in the first bucket whose bound is at least
// its latency; longer ones count only in the total.
var AckLatencyBuckets = [...]time.Duration{
	5 * time.Millisecond, 25 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second,
	2 * time.Minute, 10 * time.Minute, time.Hour,
}

// latencyCounts is a fixed-bucket histogram, cheap enough to update on
// every ack: one comparison per bucket, no allocation.
type latencyCounts struct {
	buckets [len(AckLatencyBuckets)]uint64 // non-cumulative
	count   uint64
	sum     int64 // nanoseconds
}

func (h *latencyCounts) observe(d int64) {
	d = max(d, 0)
	h.count++
	h.sum += d
	for i, b := range AckLatencyBuckets {
		if d <= int64(b) {
			h.buckets[i]++
			return
		}
	}
}

// Histogram is a snapshot of a latency histogram.
type Histogram struct {
	// Buckets[i] counts observations at most AckLatencyBuckets[i] and above
	// the previous bound (not cumulative).
	Buckets [len(AckLatencyBuckets)]uint64
	Count   uint64
	Sum     time.Duration
}

// QueueMetrics is a point-in-time view of a queue for metrics and the
// dashboard: its statistics plus what an operator needs to find it.
type QueueMetrics struct {
	sluice.QueueStats
	Partition int
	Type      sluice.QueueType
	// Internal is set on the engine's own queues (HTTP subscriptions'
	// hidden queues, named "~push.…").
	Internal   bool
	AckLatency Histogram
}

// SubscriptionMetrics counts what one subscription got from its topic since
// the server started.
type SubscriptionMetrics struct {
	ID       string
	Protocol sluice.Protocol
	Endpoint string
	// Queue is where the copies go: the endpoint queue, or the hidden queue
	// of an HTTP subscription.
	Queue     string
	Confirmed bool
	Copies    uint64 // published messages copied to Queue
	Filtered  uint64 // published messages its filter policy dropped
}

// TopicMetrics is a point-in-time view of a topic.
type TopicMetrics struct {
	Name          string
	Type          sluice.QueueType
	Published     uint64
	Copies        uint64
	Filtered      uint64
	Subscriptions []SubscriptionMetrics
}

// QueueMetrics returns every queue's metrics, internal ones included, in
// name order. Each partition answers in one turn, so the call costs one
// round trip per partition however many queues there are.
func (e *Engine) QueueMetrics(ctx context.Context) ([]QueueMetrics, error) {
	parts := make([][]QueueMetrics, 0, len(e.partitions))
	total := 0
	for _, p := range e.partitions {
		part, err := call(ctx, p, func(reply func([]QueueMetrics, error)) {
			now := p.now()
			// Sorting the names is much cheaper than sorting the results.
			names := slices.Sorted(maps.Keys(p.queues))
			out := make([]QueueMetrics, len(names))
			for i, name := range names {
				out[i] = p.queues[name].metrics(now)
			}
			reply(out, nil)
		})
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
		total += len(part)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	// Merge the partitions' sorted lists.
	all := make([]QueueMetrics, 0, total)
	for len(all) < total {
		best := -1
		for i, part := range parts {
			if len(part) > 0 && (best < 0 || part[0].Name < parts[best][0].Name) {
				best = i
			}
		}
		all = append(all, parts[best][0])
		parts[best] = parts[best][1:]
	}
	return all, nil
}

// QueueMetricsOf returns one queue's metrics, or sluice.ErrQueueNotFound.
func (e *Engine) QueueMetricsOf(ctx context.Context, name string) (QueueMetrics, error) {
	p := e.partitionFor(name)
	return call(ctx, p, func(reply func(QueueMetrics, error)) {
		q, err := p.queue(name)
		if err != nil {
			reply(QueueMetrics{}, err)
			return
		}
		reply(q.metrics(p.now()), nil)
	})
}

func (q *queue) metrics(now int64) QueueMetrics {
	return QueueMetrics{
		QueueStats: q.snapshotStats(now),
		Partition:  q.p.id,
		Type:       q.cfg.Type,
		Internal:   internalName(q.cfg.Name),
		AckLatency: Histogram{
			Buckets: q.stats.ackLatency.buckets,
			Count:   q.stats.ackLatency.count,
			Sum:     time.Duration(q.stats.ackLatency.sum),
		},
	}
}

// TopicMetrics returns every topic's metrics in name order, each with its
// subscriptions in creation order.
func (e *Engine) TopicMetrics(ctx context.Context) ([]TopicMetrics, error) {
	var all []TopicMetrics
	for _, p := range e.partitions {
		part, err := call(ctx, p, func(reply func([]TopicMetrics, error)) {
			out := make([]TopicMetrics, 0, len(p.topics))
			for _, t := range p.topics {
				tm := TopicMetrics{
					Name: t.cfg.Name, Type: t.cfg.Type,
					Published: t.stats.published, Copies: t.stats.copies, Filtered: t.stats.filtered,
					Subscriptions: make([]SubscriptionMetrics, len(t.subs)),
				}
				for i, s := range t.subs {
					tm.Subscriptions[i] = SubscriptionMetrics{
						ID: s.cfg.ID, Protocol: s.cfg.Protocol, Endpoint: s.cfg.Endpoint, Queue: s.queue,
						Confirmed: s.cfg.Confirmed, Copies: s.copies, Filtered: s.filtered,
					}
				}
				out = append(out, tm)
			}
			reply(out, nil)
		})
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	slices.SortFunc(all, func(a, b TopicMetrics) int { return strings.Compare(a.Name, b.Name) })
	return all, nil
}

// Peek returns up to max of a queue's messages in sequence order, visible,
// delayed or in flight (not those being moved out), without receiving them: no lease is taken, no
// receive is counted and nothing is journaled. The messages carry no
// receipt. max is capped at 100.
func (e *Engine) Peek(ctx context.Context, queue string, max int) ([]sluice.Message, error) {
	max = min(cmpOr(max, 10), 100)
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func([]sluice.Message, error)) {
		q, err := p.queue(queue)
		if err != nil {
			reply(nil, err)
			return
		}
		out := []sluice.Message{}
		for i := q.order.head; i < len(q.order.buf) && len(out) < max; i++ {
			m := q.order.buf[i]
			if m.state == stateDeleted || m.state == stateMoving {
				continue // gone, or on its way to another queue
			}
			msg := q.deliver(m)
			msg.Receipt = ""
			msg.Body = slices.Clone(m.body)
			if m.first == 0 {
				msg.FirstReceivedAt = time.Time{}
			}
			out = append(out, msg)
		}
		reply(out, nil)
	})
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
