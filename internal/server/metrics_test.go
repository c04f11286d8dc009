package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/metrics"
	"github.com/sluicehq/sluice/internal/server"
)

// scrape fetches /metrics and returns its families by name.
func scrape(t *testing.T, r *running) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics status = %d, want 200", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value returns the value of the sample of family name whose labels
// include want (a counter, gauge or a histogram's count), and whether it
// exists.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func wantValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := value(fams, name, labels)
	if !ok {
		t.Errorf("%s%v is missing", name, labels)
		return
	}
	if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

func TestMetricsMoveWithTraffic(t *testing.T) {
	r := start(t, server.Config{})
	ctx := t.Context()
	c := r.client
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "jobs-dlq"})
	must(err)
	_, err = c.CreateQueue(ctx, sluice.QueueConfig{Name: "jobs", DeadLetter: &sluice.DeadLetterPolicy{Queue: "jobs-dlq", MaxReceives: 1}})
	must(err)

	before := scrape(t, r)
	wantValue(t, before, "sluice_queue_sent_total", map[string]string{"queue": "jobs"}, 0)
	wantValue(t, before, "sluice_queue_messages", map[string]string{"queue": "jobs", "state": "visible"}, 0)

	for _, b := range []string{"a", "b", "c", "d"} {
		_, err := c.Send(ctx, "jobs", sluice.SendInput{Body: []byte(b)})
		must(err)
	}
	zero, minute := time.Duration(0), time.Minute
	got, err := c.Receive(ctx, "jobs", sluice.ReceiveOptions{Max: 3, WaitTime: &zero, VisibilityTimeout: &minute})
	must(err)
	if len(got) != 3 {
		t.Fatalf("Receive() got %d messages, want 3", len(got))
	}
	must(c.Ack(ctx, "jobs", got[0].Receipt))
	must(c.Nack(ctx, "jobs", got[1].Receipt, 0))
	// got[1] was received once already: the next receive moves it to the
	// dead-letter queue.
	_, err = c.Receive(ctx, "jobs", sluice.ReceiveOptions{Max: 10, WaitTime: &zero, VisibilityTimeout: &minute})
	must(err)

	_, err = c.CreateTopic(ctx, sluice.TopicConfig{Name: "events"})
	must(err)
	sub, err := c.Subscribe(ctx, sluice.Subscription{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "jobs-dlq"})
	must(err)
	_, err = c.Publish(ctx, "events", sluice.PublishInput{Body: []byte("hello")})
	must(err)

	after := scrape(t, r)
	q := map[string]string{"queue": "jobs"}
	wantValue(t, after, "sluice_queue_sent_total", q, 4)
	wantValue(t, after, "sluice_queue_acked_total", q, 1)
	wantValue(t, after, "sluice_queue_returned_total", q, 1)
	wantValue(t, after, "sluice_queue_dead_lettered_total", q, 1)
	wantValue(t, after, "sluice_queue_ack_latency_seconds", q, 1)
	wantValue(t, after, "sluice_queue_messages", map[string]string{"queue": "jobs", "state": "in_flight"}, 2) // c and d
	wantValue(t, after, "sluice_queue_messages", map[string]string{"queue": "jobs", "state": "visible"}, 0)
	wantValue(t, after, "sluice_queue_messages", map[string]string{"queue": "jobs-dlq", "state": "visible"}, 2)
	if age, _ := value(after, "sluice_queue_oldest_message_age_seconds", q); age <= 0 {
		t.Errorf("oldest message age of jobs = %v, want > 0", age)
	}
	wantValue(t, after, "sluice_engine_writable", nil, 1)
	wantValue(t, after, "sluice_topic_published_total", map[string]string{"topic": "events"}, 1)
	wantValue(t, after, "sluice_subscription_messages_total", map[string]string{"topic": "events", "subscription": sub.ID, "outcome": "copied"}, 1)

	// The journal synced and wrote, and HTTP requests are counted by route.
	if n, _ := value(after, "sluice_journal_fsync_seconds", map[string]string{"partition": "0"}); n == 0 {
		t.Errorf("sluice_journal_fsync_seconds count = 0, want syncs")
	}
	if n, _ := value(after, "sluice_journal_written_bytes_total", map[string]string{"partition": "0"}); n == 0 {
		t.Errorf("sluice_journal_written_bytes_total = 0, want bytes")
	}
	if n, _ := value(after, "sluice_journal_commit_records", map[string]string{"partition": "0"}); n == 0 {
		t.Errorf("sluice_journal_commit_records count = 0, want commits")
	}
	wantValue(t, after, "sluice_http_requests_total", map[string]string{"api": "native", "action": "POST /v1/queues/{name}/messages", "status": "201"}, 4)
	wantValue(t, after, "sluice_http_requests_total", map[string]string{"api": "metrics", "action": "GET /metrics", "status": "200"}, 1)
	for name := range after {
		if !strings.HasPrefix(name, "sluice_") {
			t.Errorf("family %s on a server registry, want only sluice_ families", name)
		}
	}
}

func TestMetricsCapQueueSeries(t *testing.T) {
	r := start(t, server.Config{Metrics: metrics.Options{MaxQueues: 2}})
	ctx := t.Context()
	for i, name := range []string{"a", "b", "c", "d"} {
		if _, err := r.client.CreateQueue(ctx, sluice.QueueConfig{Name: name}); err != nil {
			t.Fatal(err)
		}
		for range i { // d holds the most, then c
			if _, err := r.client.Send(ctx, name, sluice.SendInput{Body: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	fams := scrape(t, r)
	var queues []string
	for _, m := range fams["sluice_queue_sent_total"].Metric {
		queues = append(queues, m.Label[0].GetValue())
	}
	if strings.Join(queues, ",") != "c,d,~other" {
		t.Errorf("queues with series = %v, want [c d ~other]", queues)
	}
	wantValue(t, fams, "sluice_queue_sent_total", map[string]string{"queue": "~other"}, 1) // a 0 + b 1
	wantValue(t, fams, "sluice_queues", nil, 4)
}

func TestMetricsTenantsMoveWithTraffic(t *testing.T) {
	r := start(t, server.Config{Metrics: metrics.Options{MaxTenants: 2}})
	ctx := t.Context()
	c := r.client
	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "jobs"}); err != nil {
		t.Fatal(err)
	}
	send := func(tenant string, n int) {
		t.Helper()
		for range n {
			if _, err := c.Send(ctx, "jobs", sluice.SendInput{Body: []byte("x"), Tenant: tenant}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send("acme", 5)
	send("globex", 3)
	send("initech", 1)
	send("umbrella", 1)

	before := scrape(t, r)
	acme := map[string]string{"queue": "jobs", "tenant": "acme"}
	other := map[string]string{"queue": "jobs", "tenant": metrics.Other}
	state := func(labels map[string]string, s string) map[string]string {
		out := map[string]string{"state": s}
		for k, v := range labels {
			out[k] = v
		}
		return out
	}
	wantValue(t, before, "sluice_queue_tenants", map[string]string{"queue": "jobs"}, 4)
	wantValue(t, before, "sluice_tenant_messages", state(acme, "visible"), 5)
	wantValue(t, before, "sluice_tenant_messages", state(map[string]string{"queue": "jobs", "tenant": "globex"}, "visible"), 3)
	wantValue(t, before, "sluice_tenant_messages", state(other, "visible"), 2) // initech and umbrella
	wantValue(t, before, "sluice_tenant_dispatched_total", acme, 0)
	if _, ok := value(before, "sluice_tenant_messages", map[string]string{"tenant": "initech"}); ok {
		t.Errorf("initech has its own series beyond --metrics-max-tenants 2")
	}
	if _, ok := value(before, "sluice_tenant_oldest_message_age_seconds", other); ok {
		t.Errorf("~other has an oldest age; it should cost no look at the other tenants' messages")
	}
	if _, ok := value(before, "sluice_tenant_wait_seconds", acme); ok {
		t.Errorf("acme has wait percentiles before any receive")
	}
	if age, _ := value(before, "sluice_tenant_oldest_message_age_seconds", acme); age <= 0 {
		t.Errorf("acme oldest age = %v, want > 0", age)
	}

	// Receive everything: weighted-fair dispatch serves every tenant.
	zero, minute := time.Duration(0), time.Minute
	var got []sluice.Message
	for len(got) < 10 {
		msgs, err := c.Receive(ctx, "jobs", sluice.ReceiveOptions{Max: 10, WaitTime: &zero, VisibilityTimeout: &minute})
		if err != nil || len(msgs) == 0 {
			t.Fatalf("Receive() = %d messages, %v after %d", len(msgs), err, len(got))
		}
		got = append(got, msgs...)
	}
	for _, m := range got {
		if m.Tenant == "acme" {
			if err := c.Ack(ctx, "jobs", m.Receipt); err != nil {
				t.Fatal(err)
			}
		}
	}
	after := scrape(t, r)
	// acme's messages are acked; globex's 3 in flight now hold the most,
	// then initech's 1 (before umbrella's by name).
	wantValue(t, after, "sluice_tenant_messages", state(map[string]string{"queue": "jobs", "tenant": "globex"}, "in_flight"), 3)
	wantValue(t, after, "sluice_tenant_dispatched_total", map[string]string{"queue": "jobs", "tenant": "globex"}, 3)
	wantValue(t, after, "sluice_tenant_messages", state(map[string]string{"queue": "jobs", "tenant": "initech"}, "in_flight"), 1)
	wantValue(t, after, "sluice_tenant_messages", state(other, "in_flight"), 1) // umbrella
	wantValue(t, after, "sluice_tenant_dispatched_total", other, 6)             // acme's 5 and umbrella's 1
	if _, ok := value(after, "sluice_tenant_messages", map[string]string{"tenant": "acme"}); ok {
		t.Errorf("acme keeps its own series after its messages are gone")
	}
	for _, q := range []string{"0.5", "0.99"} {
		w, ok := value(after, "sluice_tenant_wait_seconds", map[string]string{"queue": "jobs", "tenant": "globex", "quantile": q})
		if !ok || w <= 0 {
			t.Errorf("globex wait quantile %s = %v, %v; want > 0", q, w, ok)
		}
	}
	if rate, _ := value(after, "sluice_tenant_dispatch_rate", map[string]string{"queue": "jobs", "tenant": "globex"}); rate <= 0 {
		t.Errorf("globex dispatch rate = %v, want > 0", rate)
	}
}

func TestMetricsTenantSeriesOnlyForTheLargestQueues(t *testing.T) {
	r := start(t, server.Config{Metrics: metrics.Options{MaxQueues: 1}})
	ctx := t.Context()
	for name, n := range map[string]int{"small": 1, "large": 3, "plain": 5} {
		if _, err := r.client.CreateQueue(ctx, sluice.QueueConfig{Name: name}); err != nil {
			t.Fatal(err)
		}
		tenant := "acme"
		if name == "plain" {
			tenant = "" // the default tenant only: no tenant series
		}
		for range n {
			if _, err := r.client.Send(ctx, name, sluice.SendInput{Body: []byte("x"), Tenant: tenant}); err != nil {
				t.Fatal(err)
			}
		}
	}
	fams := scrape(t, r)
	var queues []string
	for _, m := range fams["sluice_queue_tenants"].GetMetric() {
		queues = append(queues, m.Label[0].GetValue())
	}
	if strings.Join(queues, ",") != "large" {
		t.Errorf("queues with tenant series = %v, want [large]: plain has no named tenant, small is beyond --metrics-max-queues 1", queues)
	}
	wantValue(t, fams, "sluice_tenant_messages", map[string]string{"queue": "large", "tenant": "acme", "state": "visible"}, 3)
}

// TestMetricsMonitor checks the Task Monitor's series: bucket counts of a
// tracked queue, an active alert and the monitor's health.
func TestMetricsMonitor(t *testing.T) {
	r := start(t, server.Config{MonitorInterval: time.Second, MonitorBuckets: []time.Duration{time.Millisecond, time.Hour}})
	ctx := t.Context()
	c := r.client
	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "reports", Tasks: &sluice.TaskPolicy{}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"a", "b"} {
		if _, err := c.Send(ctx, "reports", sluice.SendInput{Body: []byte(b)}); err != nil {
			t.Fatal(err)
		}
	}
	wait := time.Duration(0)
	if msgs, err := c.Receive(ctx, "reports", sluice.ReceiveOptions{WaitTime: &wait}); err != nil || len(msgs) != 1 {
		t.Fatalf("Receive() = %v, %v", msgs, err)
	}
	if _, err := c.PutRule(ctx, sluice.AlertRule{Name: "now", Condition: sluice.CondRunningAge}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // both tasks in the 1ms bucket
	deadline := time.Now().Add(10 * time.Second)
	var fams map[string]*dto.MetricFamily
	for {
		fams = scrape(t, r)
		if v, _ := value(fams, "sluice_monitor_alerts", map[string]string{"rule": "now", "state": "firing"}); v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sluice_monitor_alerts{rule=now,state=firing} never reached 1")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, kind := range []string{"waiting", "running"} {
		wantValue(t, fams, "sluice_monitor_tasks", map[string]string{"queue": "reports", "kind": kind}, 1)
		wantValue(t, fams, "sluice_monitor_bucket_tasks", map[string]string{"queue": "reports", "kind": kind, "over_seconds": "0.001"}, 1)
		wantValue(t, fams, "sluice_monitor_bucket_tasks", map[string]string{"queue": "reports", "kind": kind, "over_seconds": "3600"}, 0)
	}
	wantValue(t, fams, "sluice_monitor_orphaned_tasks", map[string]string{"queue": "reports"}, 0)
	wantValue(t, fams, "sluice_monitor_healthy", nil, 1)
	if v, _ := value(fams, "sluice_monitor_last_evaluation_timestamp_seconds", nil); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("sluice_monitor_last_evaluation_timestamp_seconds = %v, want a recent time", v)
	}
}
