package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice"
)

// MonitorSource is what the Task Monitor's collector reads: the monitor.
type MonitorSource interface {
	TrackedQueues(ctx context.Context) ([]string, error)
	Ages(ctx context.Context, queue string, perTenant bool) (sluice.TaskAges, error)
	Alerts() []sluice.Alert
	Status() (last time.Time, healthy bool)
}

// MonitorCollector collects the Task Monitor's age buckets per tracked
// queue and watch, its active alerts and its own health (the dead-man
// signal) at scrape time. Create it with NewMonitorCollector.
type MonitorCollector struct {
	src  MonitorSource
	opts Options
	log  *slog.Logger

	tasks, buckets, oldest, orphaned, retrying *prometheus.Desc
	alerts, lastEval, healthy, scrapeErrors    *prometheus.Desc
}

// NewMonitorCollector returns a collector of src; failures to read it are
// logged to log and counted in sluice_scrape_errors{area="monitor"}.
// Tracked queues beyond Options.MaxQueues (in name order) are summed under
// "~other".
func NewMonitorCollector(src MonitorSource, opts Options, log *slog.Logger) *MonitorCollector {
	return &MonitorCollector{
		src: src, opts: opts.withDefaults(), log: cmp.Or(log, slog.New(slog.DiscardHandler)),
		tasks:        desc("monitor_tasks", "Active tasks of a tracked queue or watch (watch:<name>) by kind: waiting or running.", "queue", "kind"),
		buckets:      desc("monitor_bucket_tasks", "Active tasks at least over_seconds old and younger than the next bucket's bound.", "queue", "kind", "over_seconds"),
		oldest:       desc("monitor_oldest_task_age_seconds", "Age of a tracked queue's oldest waiting or running task; 0 when none.", "queue", "kind"),
		orphaned:     desc("monitor_orphaned_tasks", "Tasks whose lease expired without a result.", "queue"),
		retrying:     desc("monitor_retrying_tasks", "Tasks waiting for another attempt after a failure.", "queue"),
		alerts:       desc("monitor_alerts", "Active alerts by rule and state (pending or firing).", "rule", "state"),
		lastEval:     desc("monitor_last_evaluation_timestamp_seconds", "When the monitor last evaluated its rules (Unix time); 0 before the first evaluation."),
		healthy:      desc("monitor_healthy", "1 while the monitor evaluates its rules on schedule; 0 once it has missed three intervals (the dead-man signal)."),
		scrapeErrors: desc("scrape_errors", "1 if the last scrape could not read the engine's queues.", "area"),
	}
}

// Describe implements prometheus.Collector.
func (c *MonitorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tasks, c.buckets, c.oldest, c.orphaned, c.retrying, c.alerts, c.lastEval, c.healthy} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *MonitorCollector) Collect(ch chan<- prometheus.Metric) {
	last, ok := c.src.Status()
	ch <- prometheus.MustNewConstMetric(c.healthy, prometheus.GaugeValue, b2f(ok))
	ts := 0.0
	if !last.IsZero() {
		ts = float64(last.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(c.lastEval, prometheus.GaugeValue, ts)
	type key struct{ rule, state string }
	counts := map[key]int{}
	for _, a := range c.src.Alerts() {
		counts[key{a.Rule, a.State}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.alerts, prometheus.GaugeValue, float64(n), k.rule, k.state)
	}

	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	queues, err := c.src.TrackedQueues(ctx)
	if err == nil {
		var all []sluice.TaskAges
		for _, q := range queues {
			a, aerr := c.src.Ages(ctx, q, false)
			if aerr != nil {
				err = aerr
				break
			}
			all = append(all, a)
		}
		if err == nil {
			ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.GaugeValue, 0, "monitor")
			for _, a := range capAges(all, c.opts.MaxQueues) {
				c.collect(ch, a)
			}
			return
		}
	}
	c.log.Warn("metrics: cannot read the Task Monitor", "err", err)
	ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.GaugeValue, 1, "monitor")
}

func (c *MonitorCollector) collect(ch chan<- prometheus.Metric, a sluice.TaskAges) {
	for _, k := range []struct {
		kind    string
		total   int
		buckets []int
		oldest  time.Duration
	}{{"waiting", a.Waiting, a.WaitingBuckets, a.OldestWaiting}, {"running", a.Running, a.RunningBuckets, a.OldestRunning}} {
		ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(k.total), a.Queue, k.kind)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, k.oldest.Seconds(), a.Queue, k.kind)
		for i, n := range k.buckets {
			if i < len(a.Bounds) {
				over := strconv.FormatFloat(a.Bounds[i].Seconds(), 'f', -1, 64)
				ch <- prometheus.MustNewConstMetric(c.buckets, prometheus.GaugeValue, float64(n), a.Queue, k.kind, over)
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(c.orphaned, prometheus.GaugeValue, float64(a.Orphaned), a.Queue)
	ch <- prometheus.MustNewConstMetric(c.retrying, prometheus.GaugeValue, float64(a.Retrying), a.Queue)
}

// capAges keeps the first max queues' counts (the monitor lists them in
// name order, watches last) and sums the rest under Other.
func capAges(all []sluice.TaskAges, limit int) []sluice.TaskAges {
	if len(all) <= limit {
		return all
	}
	out := all[:limit:limit]
	rest := sluice.TaskAges{Queue: Other, Bounds: all[limit].Bounds}
	rest.WaitingBuckets = make([]int, len(rest.Bounds))
	rest.RunningBuckets = make([]int, len(rest.Bounds))
	for _, a := range all[limit:] {
		rest.Waiting += a.Waiting
		rest.Running += a.Running
		rest.Orphaned += a.Orphaned
		rest.Retrying += a.Retrying
		rest.OldestWaiting = max(rest.OldestWaiting, a.OldestWaiting)
		rest.OldestRunning = max(rest.OldestRunning, a.OldestRunning)
		for i := range rest.Bounds {
			rest.WaitingBuckets[i] += a.WaitingBuckets[i]
			rest.RunningBuckets[i] += a.RunningBuckets[i]
		}
	}
	return append(out, rest)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
