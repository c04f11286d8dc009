package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/internal/engine"
)

// TenantSource is what the tenant collector reads: the engine.
type TenantSource interface {
	TenantMetrics(ctx context.Context, top int) ([]engine.TenantMetrics, error)
}

var _ TenantSource = (*engine.Engine)(nil)

// TenantCollector collects, per queue, the backlog, in-flight and delayed
// counts, oldest age, dispatches and wait percentiles of the queue's
// largest tenants, and the sum of the others under tenant "~other". Create
// it with NewTenantCollector. "~other" has no oldest age and no wait
// percentiles: they would cost a look at every tenant.
type TenantCollector struct {
	src  TenantSource
	opts Options
	log  *slog.Logger

	tenants, messages, oldest, dispatched, rate, wait, scrapeErrors *prometheus.Desc
}

// NewTenantCollector returns a collector of src's tenants; failures to
// read them are logged to log and counted in sluice_scrape_errors.
func NewTenantCollector(src TenantSource, opts Options, log *slog.Logger) *TenantCollector {
	return &TenantCollector{
		src: src, opts: opts.withDefaults(), log: cmp.Or(log, slog.New(slog.DiscardHandler)),
		tenants:      desc("queue_tenants", "Tenants with messages or recent deliveries in a queue.", "queue"),
		messages:     desc("tenant_messages", "A tenant's messages in a queue by state: visible (ready, including those its limits hold back), in_flight or delayed.", "queue", "tenant", "state"),
		oldest:       desc("tenant_oldest_message_age_seconds", "Age of a tenant's oldest ready message in a queue; 0 when none.", "queue", "tenant"),
		dispatched:   desc("tenant_dispatched_total", "Deliveries of a tenant's messages in a queue since the server started (while the tenant was last active).", "queue", "tenant"),
		rate:         desc("tenant_dispatch_rate", "Deliveries per second of a tenant's messages in a queue over the last minute.", "queue", "tenant"),
		wait:         desc("tenant_wait_seconds", "Time from send to first receive of a tenant's messages in a queue over the last minute, by quantile (nearest rank over up to 128 samples).", "queue", "tenant", "quantile"),
		scrapeErrors: desc("scrape_errors", "1 if the last scrape could not read the engine's queues.", "area"),
	}
}

// Describe implements prometheus.Collector.
func (c *TenantCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tenants, c.messages, c.oldest, c.dispatched, c.rate, c.wait} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *TenantCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	all, err := c.src.TenantMetrics(ctx, c.opts.MaxTenants)
	if err != nil {
		c.log.Warn("metrics: cannot read the tenants", "err", err)
		ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.GaugeValue, 1, "tenants")
		return
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.GaugeValue, 0, "tenants")
	if len(all) > c.opts.MaxQueues {
		// The queues with the largest backlog, as for the queues' series;
		// the others' tenants get none.
		slices.SortStableFunc(all, func(a, b engine.TenantMetrics) int { return cmp.Compare(b.Backlog, a.Backlog) })
		all = all[:c.opts.MaxQueues]
	}
	for _, q := range all {
		ch <- prometheus.MustNewConstMetric(c.tenants, prometheus.GaugeValue, float64(len(q.Tenants)+q.Others), q.Queue)
		for _, t := range q.Tenants {
			c.collect(ch, q.Queue, t.Tenant, t.Visible, t.InFlight, t.Delayed, t.Dispatched, t.DispatchRate)
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, t.OldestAge.Seconds(), q.Queue, t.Tenant)
			if t.WaitSamples > 0 {
				ch <- prometheus.MustNewConstMetric(c.wait, prometheus.GaugeValue, t.WaitP50.Seconds(), q.Queue, t.Tenant, "0.5")
				ch <- prometheus.MustNewConstMetric(c.wait, prometheus.GaugeValue, t.WaitP99.Seconds(), q.Queue, t.Tenant, "0.99")
			}
		}
		if q.Others > 0 {
			o := q.Other
			c.collect(ch, q.Queue, Other, o.Visible, o.InFlight, o.Delayed, o.Dispatched, o.DispatchRate)
		}
	}
}

// collect sends the series every tenant has, "~other" included.
func (c *TenantCollector) collect(ch chan<- prometheus.Metric, queue, tenant string, visible, inFlight, delayed int, dispatched uint64, rate float64) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.messages, float64(visible), queue, tenant, "visible")
	gauge(c.messages, float64(inFlight), queue, tenant, "in_flight")
	gauge(c.messages, float64(delayed), queue, tenant, "delayed")
	gauge(c.rate, rate, queue, tenant)
	ch <- prometheus.MustNewConstMetric(c.dispatched, prometheus.CounterValue, float64(dispatched), queue, tenant)
}
