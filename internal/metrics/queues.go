package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/internal/engine"
)

// QueueSource is what the queue collector reads: the engine.
type QueueSource interface {
	QueueMetrics(ctx context.Context) ([]engine.QueueMetrics, error)
}

var _ QueueSource = (*engine.Engine)(nil)

// QueueCollector collects the queues' depths, ages, counters and
// receive-to-ack latency at scrape time. Create it with NewQueueCollector.
type QueueCollector struct {
	src  QueueSource
	opts Options
	log  *slog.Logger

	queues, messages, waiting, oldest              *prometheus.Desc
	sent, received, acked, returned, dead, expired *prometheus.Desc
	latency, scrapeErrors                          *prometheus.Desc
	bounds                                         []float64
}

// NewQueueCollector returns a collector of src's queues; failures to read
// them are logged to log and counted in sluice_scrape_errors.
func NewQueueCollector(src QueueSource, opts Options, log *slog.Logger) *QueueCollector {
	bounds := make([]float64, len(engine.AckLatencyBuckets))
	for i, b := range engine.AckLatencyBuckets {
		bounds[i] = b.Seconds()
	}
	return &QueueCollector{
		src: src, opts: opts.withDefaults(), log: cmp.Or(log, slog.New(slog.DiscardHandler)), bounds: bounds,
		queues:       desc("queues", "Queues, internal ones included."),
		messages:     desc("queue_messages", "Messages in a queue by state: visible (ready to receive), in_flight (received, not yet acked) or delayed.", "queue", "state"),
		waiting:      desc("queue_waiting_receives", "Receives long-polling a queue now.", "queue"),
		oldest:       desc("queue_oldest_message_age_seconds", "Age of a queue's oldest message; 0 when empty.", "queue"),
		sent:         desc("queue_sent_total", "Messages accepted into a queue (sends, published copies, moves in).", "queue"),
		received:     desc("queue_received_total", "Deliveries of a queue's messages to consumers.", "queue"),
		acked:        desc("queue_acked_total", "Messages acked (deleted) by consumers.", "queue"),
		returned:     desc("queue_returned_total", "Messages made visible again: nacks, zero visibility changes and lease timeouts.", "queue"),
		dead:         desc("queue_dead_lettered_total", "Messages moved from a queue to its dead-letter queue.", "queue"),
		expired:      desc("queue_expired_total", "Messages dropped at the end of their retention period.", "queue"),
		latency:      desc("queue_ack_latency_seconds", "Time from a message's last receive to its ack.", "queue"),
		scrapeErrors: desc("scrape_errors", "1 if the last scrape could not read the engine's queues.", "area"),
	}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queues, c.messages, c.waiting, c.oldest, c.sent, c.received, c.acked, c.returned, c.dead, c.expired, c.latency} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	all, err := c.src.QueueMetrics(ctx)
	if err != nil {
		c.log.Warn("metrics: cannot read the queues", "err", err)
		ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.GaugeValue, 1, "queues")
		return
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.GaugeValue, 0, "queues")
	ch <- prometheus.MustNewConstMetric(c.queues, prometheus.GaugeValue, float64(len(all)))
	for _, q := range capQueues(all, c.opts.MaxQueues) {
		c.collect(ch, q)
	}
}

func (c *QueueCollector) collect(ch chan<- prometheus.Metric, q engine.QueueMetrics) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), q.Name)
	}
	gauge(c.messages, float64(q.Visible), q.Name, "visible")
	gauge(c.messages, float64(q.InFlight), q.Name, "in_flight")
	gauge(c.messages, float64(q.Delayed), q.Name, "delayed")
	gauge(c.waiting, float64(q.Waiting), q.Name)
	gauge(c.oldest, q.OldestAge.Seconds(), q.Name)
	counter(c.sent, q.Sent)
	counter(c.received, q.Received)
	counter(c.acked, q.Acked)
	counter(c.returned, q.Returned)
	counter(c.dead, q.DeadLettered)
	counter(c.expired, q.Expired)
	buckets := make(map[float64]uint64, len(c.bounds))
	var cum uint64
	for i, b := range c.bounds {
		cum += q.AckLatency.Buckets[i]
		buckets[b] = cum
	}
	ch <- prometheus.MustNewConstHistogram(c.latency, q.AckLatency.Count, q.AckLatency.Sum.Seconds(), buckets, q.Name)
}

// backlog is what a queue holds, for ranking queues.
func backlog(q *engine.QueueMetrics) int { return q.Visible + q.InFlight + q.Delayed }

// capQueues returns the n queues with the largest backlog, ties broken
// by name, followed by the sum of the others named Other when there are
// any. all must be in name order; it is reordered.
func capQueues(all []engine.QueueMetrics, n int) []engine.QueueMetrics {
	if len(all) <= n {
		return all
	}
	slices.SortStableFunc(all, func(a, b engine.QueueMetrics) int { return cmp.Compare(backlog(&b), backlog(&a)) })
	kept := all[:n:n]
	sum := engine.QueueMetrics{}
	sum.Name = Other
	for _, q := range all[n:] {
		sum.Visible += q.Visible
		sum.InFlight += q.InFlight
		sum.Delayed += q.Delayed
		sum.Waiting += q.Waiting
		sum.OldestAge = max(sum.OldestAge, q.OldestAge)
		sum.Sent += q.Sent
		sum.Received += q.Received
		sum.Acked += q.Acked
		sum.Returned += q.Returned
		sum.DeadLettered += q.DeadLettered
		sum.Expired += q.Expired
		for i, n := range q.AckLatency.Buckets {
			sum.AckLatency.Buckets[i] += n
		}
		sum.AckLatency.Count += q.AckLatency.Count
		sum.AckLatency.Sum += q.AckLatency.Sum
	}
	slices.SortFunc(kept, func(a, b engine.QueueMetrics) int { return strings.Compare(a.Name, b.Name) })
	return append(kept, sum)
}
