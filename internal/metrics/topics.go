package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/push"
)

// TopicSource is what the topic collector reads: the engine.
type TopicSource interface {
	TopicMetrics(ctx context.Context) ([]engine.TopicMetrics, error)
}

// PushSource reports HTTP subscriptions' delivery attempts: the push worker.
type PushSource interface {
	Stats() []push.SubscriptionStats
}

var (
	_ TopicSource = (*engine.Engine)(nil)
	_ PushSource  = (*push.Worker)(nil)
)

// TopicCollector collects topics' publishes and what each subscription got
// at scrape time: copies and filtered messages from the engine, and the
// outcomes of HTTP delivery attempts from the push worker. Create it with
// NewTopicCollector.
type TopicCollector struct {
	src   TopicSource
	push  PushSource // nil: no HTTP delivery metrics
	opts  Options
	log   *slog.Logger
	descs struct {
		topics, published, filtered, subMessages, attempts, attemptSeconds, scrapeErrors *prometheus.Desc
	}
}

// NewTopicCollector returns a collector of src's topics and, if pushes is
// not nil, of its HTTP deliveries.
func NewTopicCollector(src TopicSource, pushes PushSource, opts Options, log *slog.Logger) *TopicCollector {
	c := &TopicCollector{src: src, push: pushes, opts: opts.withDefaults(), log: cmp.Or(log, slog.New(slog.DiscardHandler))}
	c.descs.topics = desc("topics", "Topics.")
	c.descs.published = desc("topic_published_total", "Messages published to a topic (duplicates of a FIFO topic excluded).", "topic")
	c.descs.filtered = desc("topic_filtered_total", "Copies a topic's subscriptions' filter policies dropped.", "topic")
	c.descs.subMessages = desc("subscription_messages_total", "Published messages by subscription and outcome: copied (to its queue, or its HTTP delivery queue) or filtered.", "topic", "subscription", "protocol", "outcome")
	c.descs.attempts = desc("push_attempts_total", "HTTP delivery attempts by subscription and outcome: delivered, retried, dead_lettered or dropped.", "topic", "subscription", "outcome")
	c.descs.attemptSeconds = desc("push_attempt_seconds_total", "Time spent in HTTP delivery requests, by subscription.", "topic", "subscription")
	c.descs.scrapeErrors = desc("scrape_errors", "1 if the last scrape could not read the engine's queues.", "area")
	return c
}

// Describe implements prometheus.Collector.
func (c *TopicCollector) Describe(ch chan<- *prometheus.Desc) {
	d := &c.descs
	for _, x := range []*prometheus.Desc{d.topics, d.published, d.filtered, d.subMessages, d.attempts, d.attemptSeconds} {
		ch <- x
	}
}

// Collect implements prometheus.Collector.
func (c *TopicCollector) Collect(ch chan<- prometheus.Metric) {
	d := &c.descs
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	all, err := c.src.TopicMetrics(ctx)
	if err != nil {
		c.log.Warn("metrics: cannot read the topics", "err", err)
		ch <- prometheus.MustNewConstMetric(d.scrapeErrors, prometheus.GaugeValue, 1, "topics")
		return
	}
	ch <- prometheus.MustNewConstMetric(d.scrapeErrors, prometheus.GaugeValue, 0, "topics")
	ch <- prometheus.MustNewConstMetric(d.topics, prometheus.GaugeValue, float64(len(all)))
	kept := map[string]bool{}
	for _, t := range capTopics(all, c.opts.MaxTopics) {
		kept[t.Name] = true
		ch <- prometheus.MustNewConstMetric(d.published, prometheus.CounterValue, float64(t.Published), t.Name)
		ch <- prometheus.MustNewConstMetric(d.filtered, prometheus.CounterValue, float64(t.Filtered), t.Name)
		for _, s := range t.Subscriptions {
			ch <- prometheus.MustNewConstMetric(d.subMessages, prometheus.CounterValue, float64(s.Copies), t.Name, s.ID, string(s.Protocol), "copied")
			ch <- prometheus.MustNewConstMetric(d.subMessages, prometheus.CounterValue, float64(s.Filtered), t.Name, s.ID, string(s.Protocol), "filtered")
		}
	}
	if c.push == nil {
		return
	}
	var other push.SubscriptionStats
	for _, s := range c.push.Stats() {
		if !kept[s.Topic] {
			for i, n := range s.Attempts {
				other.Attempts[i] += n
			}
			other.Latency += s.Latency
			other.Topic, other.Subscription = Other, Other
			continue
		}
		c.collectPush(ch, s)
	}
	if other.Topic != "" {
		c.collectPush(ch, other)
	}
}

func (c *TopicCollector) collectPush(ch chan<- prometheus.Metric, s push.SubscriptionStats) {
	for i, o := range push.Outcomes {
		ch <- prometheus.MustNewConstMetric(c.descs.attempts, prometheus.CounterValue, float64(s.Attempts[i]), s.Topic, s.Subscription, string(o))
	}
	ch <- prometheus.MustNewConstMetric(c.descs.attemptSeconds, prometheus.CounterValue, s.Latency.Seconds(), s.Topic, s.Subscription)
}

// capTopics returns the n topics with the most publishes, ties broken by
// name, followed by the sum of the others (without subscriptions) named
// Other when there are any. all is reordered.
func capTopics(all []engine.TopicMetrics, n int) []engine.TopicMetrics {
	if len(all) <= n {
		return all
	}
	slices.SortStableFunc(all, func(a, b engine.TopicMetrics) int { return cmp.Compare(b.Published, a.Published) })
	kept := all[:n:n]
	sum := engine.TopicMetrics{Name: Other}
	for _, t := range all[n:] {
		sum.Published += t.Published
		sum.Copies += t.Copies
		sum.Filtered += t.Filtered
	}
	slices.SortFunc(kept, func(a, b engine.TopicMetrics) int { return strings.Compare(a.Name, b.Name) })
	return append(kept, sum)
}
