package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
	"github.com/sluicehq/sluice/internal/monitor"
)

// clock is a time source the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// watchFixture is a real engine and a monitor on one hand-moved clock,
// with the topics "jobs", "done" and "alerts" (which feeds the queue
// "inbox"). The monitor's loop does not run: the test drives it.
type watchFixture struct {
	t     testing.TB
	clock *clock
	e     *engine.Engine
	m     *monitor.Monitor
	j     journal.Journal
	file  string
}

func setupWatch(t testing.TB) *watchFixture {
	t.Helper()
	f := &watchFixture{t: t, clock: &clock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}, j: memjournal.New(),
		file: filepath.Join(t.TempDir(), "monitor-watches.json")}
	ctx, cancel := context.WithCancel(context.Background())
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{f.j}, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	f.e = e
	for _, name := range []string{"jobs", "done", "alerts"} {
		if _, _, err := e.CreateTopic(ctx, sluice.TopicConfig{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.CreateQueue(ctx, sluice.QueueConfig{Name: "inbox"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Subscribe(ctx, sluice.Subscription{Topic: "alerts", Protocol: sluice.ProtocolQueue, Endpoint: "inbox", Raw: true}); err != nil {
		t.Fatal(err)
	}
	f.reopen()
	return f
}

// reopen starts a new monitor on the same engine and watches file, as a
// restart does.
func (f *watchFixture) reopen() {
	f.t.Helper()
	dir := filepath.Dir(f.file)
	m, err := monitor.New(f.e, monitor.Options{Interval: time.Minute, WatchesFile: f.file, Now: f.clock.Now,
		RulesFile: filepath.Join(dir, "monitor-rules.json"), AlertsFile: filepath.Join(dir, "monitor-alerts.json")})
	if err != nil {
		f.t.Fatal(err)
	}
	f.m = m
}

func (f *watchFixture) publish(topic, body string, attrs map[string]string) {
	f.t.Helper()
	in := sluice.PublishInput{Body: []byte(body), Attributes: map[string]sluice.Attribute{}}
	for k, v := range attrs {
		in.Attributes[k] = sluice.Attribute{Type: "String", String: v}
	}
	if _, err := f.e.Publish(f.t.Context(), topic, []sluice.PublishInput{in}); err != nil {
		f.t.Fatal(err)
	}
}

// notices drains the inbox of alert notices.
func (f *watchFixture) notices() []notice {
	f.t.Helper()
	var out []notice
	wait := time.Duration(0)
	for {
		msgs, err := f.e.Receive(f.t.Context(), "inbox", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
		if err != nil {
			f.t.Fatal(err)
		}
		if len(msgs) == 0 {
			return out
		}
		for _, msg := range msgs {
			var n notice
			if err := json.Unmarshal(msg.Body, &n); err != nil {
				f.t.Fatalf("notice %s: %v", msg.Body, err)
			}
			out = append(out, n)
			f.e.Ack(f.t.Context(), "inbox", []string{msg.Receipt})
		}
	}
}

// running returns the ids of the watch's running tasks, oldest first.
func (f *watchFixture) running(watch string) []string {
	f.t.Helper()
	tasks, err := f.m.Tasks(f.t.Context(), sluice.WatchQueuePrefix+watch, sluice.TaskAgeQuery{Kind: sluice.AgeRunning})
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, t := range tasks {
		ids = append(ids, t.ID)
	}
	return ids
}

// TestWatchCompletionTopic follows external tasks started by messages on
// one topic and finished by messages on another: buckets, listing, a
// running-age alert for the one never finished, its resolution, and the
// state surviving a restart of the monitor.
func TestWatchCompletionTopic(t *testing.T) {
	f := setupWatch(t)
	ctx := t.Context()
	w, err := f.m.PutWatch(ctx, sluice.Watch{Name: "legacy", StartTopic: "jobs", IDPath: "job.id", TenantAttribute: "customer", CompleteTopic: "done", ErrorAttribute: "error"})
	if err != nil {
		t.Fatal(err)
	}
	if w.Retention != time.Hour {
		t.Errorf("PutWatch() retention = %v, want the 1h default", w.Retention)
	}
	if err := f.m.PutRule(sluice.AlertRule{Name: "lost", Queue: "watch:legacy", Condition: sluice.CondRunningAge, Threshold: 45 * time.Minute, Topic: "alerts"}); err != nil {
		t.Fatal(err)
	}
	f.publish("jobs", `{"job":{"id":"r-1"}}`, map[string]string{"customer": "acme"})
	f.publish("jobs", `{"job":{"id":7}}`, nil)
	f.publish("jobs", `not json`, nil) // dropped with a warning
	f.clock.Advance(time.Minute)
	f.publish("jobs", `{"job":{"id":"r-1"}}`, nil) // a repeated start changes nothing
	if n := f.m.IngestWatches(ctx); n != 4 {
		t.Fatalf("IngestWatches() read %d messages, want 4", n)
	}
	if got := f.running("legacy"); !slices.Equal(got, []string{"7", "r-1"}) && !slices.Equal(got, []string{"r-1", "7"}) {
		t.Fatalf("running tasks = %v, want r-1 and 7", got)
	}
	f.publish("jobs", `{"job":{"id":"bad"}}`, nil)
	f.m.IngestWatches(ctx)
	f.clock.Advance(10 * time.Minute)
	f.publish("done", `{"job":{"id":7}}`, nil)
	f.publish("done", `{"job":{"id":"bad"}}`, map[string]string{"error": "disk full"})
	f.m.IngestWatches(ctx)
	if got := f.running("legacy"); !slices.Equal(got, []string{"r-1"}) {
		t.Fatalf("running tasks after 7 finished = %v, want [r-1]", got)
	}
	st, err := f.m.WatchTask("legacy", "7")
	if err != nil || st.State != sluice.TaskSucceeded || st.Queue != "watch:legacy" {
		t.Fatalf("WatchTask(7) = %+v, %v; want succeeded", st, err)
	}
	if st, err := f.m.WatchTask("legacy", "bad"); err != nil || st.State != sluice.TaskDead || st.LastError != "disk full" {
		t.Fatalf("WatchTask(bad) = %+v, %v; want dead: disk full", st, err)
	}

	f.clock.Advance(34 * time.Minute) // r-1 is 45 minutes old
	a, err := f.m.Ages(ctx, "watch:legacy", true)
	if err != nil {
		t.Fatal(err)
	}
	if a.Running != 1 || a.RunningBuckets[4] != 1 || a.Tenants["acme"].Running != 1 || a.OldestRunning != 45*time.Minute {
		t.Fatalf("Ages() = %+v, want r-1 in the 45m bucket for acme", a)
	}
	queues, _ := f.m.TrackedQueues(ctx)
	if !slices.Contains(queues, "watch:legacy") {
		t.Fatalf("TrackedQueues() = %v, want watch:legacy", queues)
	}
	f.m.Evaluate(ctx)
	if al := f.m.Alerts(); len(al) != 1 || al[0].Task != "r-1" || al[0].State != "firing" || al[0].Tenant != "acme" {
		t.Fatalf("Alerts() = %+v, want one firing for r-1", al)
	}

	if n := f.notices(); len(n) != 1 || n[0].Status != "firing" || n[0].Task != "r-1" {
		t.Fatalf("notices = %+v, want one firing for r-1", n)
	}

	f.reopen() // the tasks, rules and alerts survive a restart of the monitor
	if got := f.running("legacy"); !slices.Equal(got, []string{"r-1"}) {
		t.Fatalf("running tasks after a restart = %v, want [r-1]", got)
	}
	f.clock.Advance(time.Minute)
	f.m.Evaluate(ctx)
	if al := f.m.Alerts(); len(al) != 1 || al[0].State != "firing" || al[0].Sent != 1 {
		t.Fatalf("Alerts() after a restart = %+v, want r-1's, firing, sent once", al)
	}
	if n := f.notices(); len(n) != 0 {
		t.Fatalf("notices after a restart = %+v, want none: the alert was already sent", n)
	}
	f.publish("done", `{"job":{"id":"r-1"}}`, nil)
	f.m.IngestWatches(ctx)
	if got := f.running("legacy"); len(got) != 0 {
		t.Fatalf("running tasks after r-1 finished = %v, want none", got)
	}
	f.m.Evaluate(ctx)
	if n := f.notices(); len(n) != 1 || n[0].Status != "resolved" || n[0].Task != "r-1" {
		t.Fatalf("notices after r-1 finished = %+v, want one resolved", n)
	}

	// The legacy system runs r-1 again: a start published after the
	// finish tracks it anew.
	f.clock.Advance(time.Minute)
	f.publish("jobs", `{"job":{"id":"r-1"}}`, nil)
	f.m.IngestWatches(ctx)
	if got := f.running("legacy"); !slices.Equal(got, []string{"r-1"}) {
		t.Fatalf("running tasks after r-1 was rerun = %v, want [r-1]", got)
	}
	f.clock.Advance(time.Minute)
	f.publish("done", `{"job":{"id":"r-1"}}`, nil)
	f.m.IngestWatches(ctx)

	// Replacing the watch without its completion topic keeps its tasks
	// and drops the completion queue.
	if _, err := f.m.PutWatch(ctx, sluice.Watch{Name: "legacy", StartTopic: "jobs", IDPath: "job.id", StatusURL: "http://127.0.0.1:1/{id}"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.WatchTask("legacy", "7"); err != nil {
		t.Fatalf("WatchTask(7) after replacing the watch: %v", err)
	}
	if _, err := f.e.GetQueue(ctx, "watch-legacy-done"); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Fatalf("the replaced watch's completion queue: %v, want ErrQueueNotFound", err)
	}

	f.clock.Advance(2 * time.Hour) // past the retention
	f.m.IngestWatches(ctx)
	if _, err := f.m.WatchTask("legacy", "7"); !errors.Is(err, sluice.ErrTaskNotFound) {
		t.Fatalf("WatchTask(7) after the retention: %v, want ErrTaskNotFound", err)
	}
	if err := f.m.DeleteWatch(ctx, "legacy"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.GetQueue(ctx, "watch-legacy-start"); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Fatalf("the deleted watch's queue: %v, want ErrQueueNotFound", err)
	}
	if _, err := f.m.Ages(ctx, "watch:legacy", false); !errors.Is(err, sluice.ErrWatchNotFound) {
		t.Fatalf("Ages() of a deleted watch: %v, want ErrWatchNotFound", err)
	}
}

// TestWatchStatusURL polls a real HTTP server for the status of external
// tasks whose ids come from an attribute.
func TestWatchStatusURL(t *testing.T) {
	var mu sync.Mutex
	done := map[string]bool{}
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/reports/"), "/status")
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, id)
		switch {
		case id == "gone":
			http.NotFound(w, r)
		case id == "broken":
			w.Write([]byte(`{"state":"failed"}`))
		case done[id]:
			w.Write([]byte(`{"state":"complete"}`))
		default:
			w.Write([]byte(`{"state":"running"}`))
		}
	}))
	defer srv.Close()
	f := setupWatch(t)
	ctx := t.Context()
	_, err := f.m.PutWatch(ctx, sluice.Watch{Name: "reports", StartTopic: "jobs", IDAttribute: "report",
		StatusURL: srv.URL + "/reports/{id}/status", PollInterval: 5 * time.Minute, DoneMatch: `"complete"`, FailedMatch: `"failed"`})
	if err != nil {
		t.Fatal(err)
	}
	f.publish("jobs", "{}", map[string]string{"report": "a"})
	f.publish("jobs", "{}", map[string]string{"report": "b"})
	f.publish("jobs", "{}", map[string]string{"report": "gone"})
	f.publish("jobs", "{}", map[string]string{"report": "broken"})
	f.m.IngestWatches(ctx)
	f.m.PollWatches(ctx)
	if got := f.running("reports"); len(got) != 3 {
		t.Fatalf("running after the first poll = %v, want a, b and gone", got)
	}
	st, err := f.m.WatchTask("reports", "broken")
	if err != nil || st.State != sluice.TaskDead || !strings.Contains(st.LastError, `{"state":"failed"}`) {
		t.Fatalf("WatchTask(broken) = %+v, %v; want dead with the answer as its error", st, err)
	}
	mu.Lock()
	done["a"] = true
	asked = nil
	mu.Unlock()
	f.clock.Advance(4 * time.Minute)
	f.m.PollWatches(ctx)
	mu.Lock()
	if len(asked) != 0 {
		t.Fatalf("polled %v before the interval passed", asked)
	}
	mu.Unlock()
	f.clock.Advance(time.Minute)
	f.m.PollWatches(ctx)
	got := f.running("reports")
	slices.Sort(got)
	if !slices.Equal(got, []string{"b", "gone"}) {
		t.Fatalf("running after a finished = %v, want [b gone]", got)
	}
	st, err = f.m.WatchTask("reports", "gone")
	if err != nil || st.LastError != "status check answered 404" {
		t.Fatalf("WatchTask(gone) = %+v, %v; want the last answer recorded", st, err)
	}
	if st, _ := f.m.WatchTask("reports", "a"); st.State != sluice.TaskSucceeded {
		t.Fatalf("WatchTask(a) = %+v, want succeeded", st)
	}
}

// TestWatchValidation checks that bad watches are refused with the field
// named and nothing created.
func TestWatchValidation(t *testing.T) {
	f := setupWatch(t)
	for _, c := range []struct {
		w     sluice.Watch
		field string
	}{
		{sluice.Watch{Name: "a/b", StartTopic: "jobs", IDPath: "id", CompleteTopic: "done"}, "name"},
		{sluice.Watch{Name: "w", IDPath: "id", CompleteTopic: "done"}, "start_topic"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", CompleteTopic: "done"}, "id_attribute"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "a..b", CompleteTopic: "done"}, "id_path"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "id"}, "complete_topic"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "id", StatusURL: "http://x/status"}, "status_url"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "id", StatusURL: "ftp://x/{id}"}, "status_url"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "id", StatusURL: "http://x/{id}", DoneStatus: []int{99}}, "done_status[0]"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "id", CompleteTopic: "done", PollInterval: time.Minute}, "status_url"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "id", CompleteTopic: "done", FailedMatch: "x"}, "status_url"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "id", StatusURL: "http://x/{id}", ErrorAttribute: "e"}, "error_attribute"},
		{sluice.Watch{Name: "w", StartTopic: "nope", IDPath: "id", CompleteTopic: "done"}, "start_topic"},
		{sluice.Watch{Name: "w", StartTopic: "jobs", IDPath: "id", CompleteTopic: "nope"}, "complete_topic"},
	} {
		_, err := f.m.PutWatch(t.Context(), c.w)
		var ia *sluice.InvalidArgumentError
		if !errors.As(err, &ia) || ia.Field != c.field {
			t.Errorf("PutWatch(%+v) = %v, want an invalid %s", c.w, err, c.field)
		}
	}
	if w := f.m.Watches(); len(w) != 0 {
		t.Fatalf("Watches() after bad puts = %+v, want none", w)
	}
}
