package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
)

// Journals measures the partitions' journals: it gives each partition a
// filejournal.Observer feeding histograms as the journal works, and reads
// their sizes (journal.StatsReporter) at scrape time. Create it with
// NewJournals, hand Observer(i) to partition i's journal, and register it
// once the journals are open with Watch.
type Journals struct {
	fsync, batch, snapshot *prometheus.HistogramVec
	bytes, snapFailures    *prometheus.CounterVec
	size                   *prometheus.Desc
	records                *prometheus.Desc
	snapSize               *prometheus.Desc
	stats                  []journal.StatsReporter
}

// NewJournals returns the journal metrics, with nothing to watch yet.
func NewJournals() *Journals {
	return &Journals{
		fsync: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "journal_fsync_seconds",
			Help:    "Duration of the journals' fdatasync calls.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9), // 100µs to 6.5s
		}, []string{"partition"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "journal_commit_records",
			Help:    "Records written by one group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8), // 1 to 16384
		}, []string{"partition"}),
		snapshot: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "journal_snapshot_seconds",
			Help:    "Duration of snapshots, including the wait for earlier records to be durable.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 8), // 10ms to 2.7min
		}, []string{"partition"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "journal_written_bytes_total",
			Help: "Bytes written to the journals' segments.",
		}, []string{"partition"}),
		snapFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "journal_snapshot_failures_total",
			Help: "Snapshots that failed.",
		}, []string{"partition"}),
		size:     desc("journal_bytes", "Bytes of journal records after the last snapshot.", "partition"),
		records:  desc("journal_records", "Journal records after the last snapshot.", "partition"),
		snapSize: desc("journal_snapshot_bytes", "Size of the last snapshot.", "partition"),
	}
}

// Observer returns the observer of partition i's journal.
func (m *Journals) Observer(i int) filejournal.Observer {
	p := strconv.Itoa(i)
	return journalObserver{
		fsync: m.fsync.WithLabelValues(p), batch: m.batch.WithLabelValues(p), snapshot: m.snapshot.WithLabelValues(p),
		bytes: m.bytes.WithLabelValues(p), snapFailures: m.snapFailures.WithLabelValues(p),
	}
}

// Watch sets the journals whose sizes are reported, partition i at index
// i. It must be called before the collector is registered.
func (m *Journals) Watch(js []journal.StatsReporter) { m.stats = js }

// Describe implements prometheus.Collector.
func (m *Journals) Describe(ch chan<- *prometheus.Desc) {
	m.fsync.Describe(ch)
	m.batch.Describe(ch)
	m.snapshot.Describe(ch)
	m.bytes.Describe(ch)
	m.snapFailures.Describe(ch)
	ch <- m.size
	ch <- m.records
	ch <- m.snapSize
}

// Collect implements prometheus.Collector.
func (m *Journals) Collect(ch chan<- prometheus.Metric) {
	m.fsync.Collect(ch)
	m.batch.Collect(ch)
	m.snapshot.Collect(ch)
	m.bytes.Collect(ch)
	m.snapFailures.Collect(ch)
	for i, j := range m.stats {
		p := strconv.Itoa(i)
		s := j.Stats()
		ch <- prometheus.MustNewConstMetric(m.size, prometheus.GaugeValue, float64(s.Bytes), p)
		ch <- prometheus.MustNewConstMetric(m.records, prometheus.GaugeValue, float64(s.Records), p)
		ch <- prometheus.MustNewConstMetric(m.snapSize, prometheus.GaugeValue, float64(s.SnapshotBytes), p)
	}
}

type journalObserver struct {
	fsync, batch, snapshot prometheus.Observer
	bytes, snapFailures    prometheus.Counter
}

func (o journalObserver) Commit(appends, records int, bytes int64) {
	o.batch.Observe(float64(records))
	o.bytes.Add(float64(bytes))
}

func (o journalObserver) Sync(d time.Duration) { o.fsync.Observe(d.Seconds()) }

func (o journalObserver) Snapshot(d time.Duration, bytes int64, err error) {
	if err != nil {
		o.snapFailures.Inc()
		return
	}
	o.snapshot.Observe(d.Seconds())
}
