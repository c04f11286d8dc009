package dashboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/dashboard"
	"github.com/sluicehq/sluice/internal/server"
)

// setupMonitor starts a real server whose monitor evaluates every 100ms
// with sub-second age buckets, so that tasks spread over buckets and
// alerts fire within a test.
func setupMonitor(t *testing.T) *live {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	srv, err := server.New(ctx, server.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		Dashboard:       dashboard.Options{SampleInterval: 200 * time.Millisecond},
		MonitorInterval: 100 * time.Millisecond,
		MonitorBuckets:  []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond},
	})
	if err != nil {
		stop()
		t.Fatalf("server.New() = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	})
	l := &live{url: "http://" + srv.Addr().String()}
	l.client = client.New(l.url)
	deadline := time.Now().Add(10 * time.Second)
	for l.client.Health(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return l
}

// poll waits until the JavaScript expression is true.
func (b *browser) poll(t *testing.T, what, expr string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestMonitorInBrowser opens the Task Monitor page over a tracked queue
// and a watch of external tasks: the bucket charts, the alert that fires
// while the page is open, the tasks of a bucket, and a task lookup that
// follows the task to its end.
func TestMonitorInBrowser(t *testing.T) {
	b := newBrowser(t)
	l := setupMonitor(t)
	ctx := context.Background()
	c := l.client
	l.queue(t, sluice.QueueConfig{Name: "reports", Tasks: &sluice.TaskPolicy{}})
	l.send(t, "reports", "acme", "r1", "r2")
	l.send(t, "reports", "globex", "r3")
	hour := time.Hour
	zero := time.Duration(0)
	if got, err := c.Receive(ctx, "reports", sluice.ReceiveOptions{Max: 2, WaitTime: &zero, VisibilityTimeout: &hour, Worker: "renderer-1"}); err != nil || len(got) != 2 {
		t.Fatalf("Receive() = %v, %v", got, err)
	}
	time.Sleep(900 * time.Millisecond)
	l.send(t, "reports", "acme", "r4", "r5")
	l.send(t, "reports", "initech", "r6")
	for _, name := range []string{"jobs", "jobs-done"} {
		if _, err := c.CreateTopic(ctx, sluice.TopicConfig{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutWatch(ctx, sluice.Watch{Name: "legacy", StartTopic: "jobs", IDPath: "id", CompleteTopic: "jobs-done"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"hourly-09", "hourly-10"} {
		if _, err := c.Publish(ctx, "jobs", sluice.PublishInput{Body: []byte(`{"id":"` + id + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}

	b.do(t, "open the monitor", chromedp.Navigate(l.url+"/ui/"), chromedp.Click(chromedp.CSS(`a[href="/ui/monitor"]`)),
		chromedp.WaitVisible(chromedp.CSS(`figure[data-chart="reports"]`)))
	running := `(function(){var n=0;document.querySelectorAll('figure[data-chart="reports"] rect[data-kind="running"]').forEach(function(r){n+=+r.dataset.count});return n})()`
	if n := eval[int](t, b, running); n != 2 {
		t.Errorf("reports chart draws %d running tasks, want 2", n)
	}
	// The watch's tasks arrive with the next ingest and the live refresh.
	b.poll(t, "the watch's chart shows its two tasks",
		`(function(){var n=0;document.querySelectorAll('figure[data-chart="watch:legacy"] rect[data-kind="running"]').forEach(function(r){n+=+r.dataset.count});return n===2})()`, 10*time.Second)

	// An alert rule added while the page is open shows up by itself.
	if _, err := c.PutRule(ctx, sluice.AlertRule{Name: "slow", Condition: sluice.CondRunningAge, Threshold: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	b.poll(t, "alerts appear", `document.querySelectorAll('#alerts tr.alert-firing').length === 4`, 10*time.Second)

	// Per-tenant charts for one queue, then the tasks of its oldest
	// running bucket.
	b.do(t, "open reports", chromedp.Navigate(l.url+"/ui/monitor?queue=reports"), chromedp.WaitVisible(chromedp.CSS(`figure[data-chart="reports/globex"]`)))
	b.screenshot(t, "monitor")
	// (Following the bar's link rather than clicking it: a live refresh
	// may replace the node between finding and clicking it. Without its
	// upper bound: with sub-second buckets the tasks may outgrow it
	// before the page loads.)
	href := eval[string](t, b, `document.querySelector('figure[data-chart="reports"] rect[data-kind="running"][data-count="2"]').parentNode.getAttribute("href").replace(/&under=[^&]*/, "")`)
	b.do(t, "open a bucket", chromedp.Navigate(l.url+"/ui/monitor"+href), chromedp.WaitVisible(chromedp.CSS(`#tasks`)))
	if n := eval[int](t, b, `document.querySelectorAll('#tasks tr[data-task]').length`); n != 2 {
		t.Errorf("the running bucket lists %d tasks, want 2", n)
	}

	// Look an external task up, and watch it finish.
	b.do(t, "look up", chromedp.Navigate(l.url+"/ui/monitor?queue=watch:legacy&task=hourly-09"), chromedp.WaitVisible(chromedp.CSS(`#lookup-result`)))
	if s := b.text(t, `#lookup-result [data-field="state"]`); s != "running" {
		t.Errorf("hourly-09 state = %q, want running", s)
	}
	if _, err := c.Publish(ctx, "jobs-done", sluice.PublishInput{Body: []byte(`{"id":"hourly-09"}`)}); err != nil {
		t.Fatal(err)
	}
	b.waitText(t, `#lookup-result [data-field="state"]`, "succeeded", 10*time.Second)
	b.noErrors(t)
}
