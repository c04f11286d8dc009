// Package metrics exposes Sluice's state to Prometheus. It holds one
// collector per area — queues, topics and their subscriptions, HTTP push
// deliveries, journals, HTTP requests — each built from the area's own
// small interface and registered by the server on a registry it is given.
// Nothing here is global: a process may run several servers, each with its
// own registry.
//
// Collectors read the engine's statistics at scrape time (one turn per
// partition, see engine.QueueMetrics), so a scrape costs nothing between
// scrapes and the engine keeps no metrics library in its hot path. The
// journal and HTTP metrics are the exception: they are histograms fed as
// things happen, through filejournal.Observer and an HTTP middleware.
//
// # Cardinality
//
// Label values come only from bounded sets or from names operators create:
// queue, topic and subscription names (capped below), partition numbers,
// HTTP API and action names from the router's patterns (never raw paths),
// status codes and fixed outcome names. Per-queue and per-topic series are
// kept for at most Options.MaxQueues queues and Options.MaxTopics topics:
// those with the largest backlog (queues) or most publishes (topics), ties
// broken by name. The rest are summed into one series labelled "~other", a
// name no user queue or topic can have. A queue moving in or out of the top
// N makes its counters appear to reset, which rate() tolerates.
//
// Tenants get the same rule per queue: the Options.MaxTenants tenants
// holding the most messages get their own series, the others are summed
// under tenant "~other" (without wait percentiles). Only queues with a
// named tenant get tenant series, and of those only the Options.MaxQueues
// with the largest backlog. The default tenant's label value is empty.
package metrics

import (
	"cmp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Other is the label value under which series beyond the caps are summed.
const Other = "~other"

// Defaults applied to zero Options fields.
const (
	DefaultMaxQueues = 500
	DefaultMaxTopics = 500
	// DefaultMaxTenants caps the tenants with their own series per queue.
	DefaultMaxTenants = 20
	// scrapeTimeout bounds how long a collector waits for the engine.
	scrapeTimeout = 5 * time.Second
)

// Options configures the collectors. A zero field means the default.
type Options struct {
	// MaxQueues caps the queues that get their own series (default 500).
	MaxQueues int
	// MaxTopics caps the topics that get their own series (default 500).
	MaxTopics int
	// MaxTenants caps the tenants of each queue that get their own series
	// (default 20).
	MaxTenants int
}

func (o Options) withDefaults() Options {
	o.MaxQueues = cmp.Or(o.MaxQueues, DefaultMaxQueues)
	o.MaxTopics = cmp.Or(o.MaxTopics, DefaultMaxTopics)
	o.MaxTenants = cmp.Or(o.MaxTenants, DefaultMaxTenants)
	return o
}

const namespace = "sluice"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
}

// NewBuildInfo returns a gauge, always 1, labelled with the version.
func NewBuildInfo(version string) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace:   namespace,
		Name:        "build_info",
		Help:        "Always 1; the label tells the running version.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	g.Set(1)
	return g
}
