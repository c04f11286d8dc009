package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
	"github.com/sluicehq/sluice/internal/monitor"
)

// fixture is a real engine with a tracked queue "reports", a topic
// "alerts" feeding the queue "inbox", and a monitor evaluating every
// minute. It must be set up inside a synctest bubble.
type fixture struct {
	t *testing.T
	e *engine.Engine
	m *monitor.Monitor
}

func setup(t *testing.T, rulesFile string) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{memjournal.New()}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	m, err := monitor.New(e, monitor.Options{Interval: time.Minute, RulesFile: rulesFile})
	if err != nil {
		t.Fatal(err)
	}
	mdone := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
		<-mdone
	})
	for _, q := range []sluice.QueueConfig{{Name: "reports", Tasks: &sluice.TaskPolicy{}}, {Name: "inbox"}, {Name: "plain"}} {
		if _, _, err := e.CreateQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.CreateTopic(ctx, sluice.TopicConfig{Name: "alerts"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Subscribe(ctx, sluice.Subscription{Topic: "alerts", Protocol: sluice.ProtocolQueue, Endpoint: "inbox", Raw: true}); err != nil {
		t.Fatal(err)
	}
	go func() { m.Run(ctx); close(mdone) }()
	return &fixture{t: t, e: e, m: m}
}

// start sends a task and receives it with a two-hour lease.
func (f *fixture) start(tenant string) sluice.Message {
	f.t.Helper()
	ctx := f.t.Context()
	if _, err := f.e.Send(ctx, "reports", []sluice.SendInput{{Body: []byte("r"), Tenant: tenant}}); err != nil {
		f.t.Fatal(err)
	}
	vis, wait := 2*time.Hour, time.Duration(0)
	msgs, err := f.e.Receive(ctx, "reports", sluice.ReceiveOptions{VisibilityTimeout: &vis, WaitTime: &wait, Worker: "w"})
	if err != nil || len(msgs) != 1 {
		f.t.Fatalf("Receive() = %v, %v", msgs, err)
	}
	return msgs[0]
}

type notice struct {
	Status, Rule, Queue, Task, Summary string
	Repeat                             int
}

// notices drains the inbox of alert notices.
func (f *fixture) notices() []notice {
	f.t.Helper()
	synctest.Wait()
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

func (f *fixture) ages() sluice.TaskAges {
	f.t.Helper()
	a, err := f.m.Ages(f.t.Context(), "reports", true)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// TestBucketsAsTimePasses follows a running and a waiting task through the
// default buckets.
func TestBucketsAsTimePasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, "")
		f.start("acme")
		if _, err := f.e.Send(t.Context(), "reports", []sluice.SendInput{{Body: []byte("w"), Tenant: "initech"}}); err != nil {
			t.Fatal(err)
		}
		a := f.ages()
		if a.Running != 1 || a.Waiting != 1 || slices.Max(a.RunningBuckets) != 0 || slices.Max(a.WaitingBuckets) != 0 {
			t.Fatalf("fresh ages = %+v, want one running and one waiting task in no bucket", a.AgeCounts)
		}
		// bucket index by elapsed time: 5m->0, 10m->1, 15m->2, 30m->3, 45m->4, 60m->5
		for _, step := range []struct {
			at     time.Duration
			bucket int
		}{{4 * time.Minute, -1}, {5 * time.Minute, 0}, {12 * time.Minute, 1}, {29 * time.Minute, 2}, {30 * time.Minute, 3}, {59 * time.Minute, 4}, {100 * time.Minute, 5}} {
			time.Sleep(step.at - time.Since(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)))
			a := f.ages()
			for _, c := range []struct {
				name    string
				buckets []int
			}{{"running", a.RunningBuckets}, {"waiting", a.WaitingBuckets}, {"acme running", a.Tenants["acme"].RunningBuckets}, {"initech waiting", a.Tenants["initech"].WaitingBuckets}} {
				want := make([]int, 6)
				if step.bucket >= 0 {
					want[step.bucket] = 1
				}
				if !slices.Equal(c.buckets, want) {
					t.Errorf("at %v: %s buckets = %v, want %v", step.at, c.name, c.buckets, want)
				}
			}
			tasks, err := f.m.Tasks(t.Context(), "reports", sluice.TaskAgeQuery{Kind: sluice.AgeRunning, Over: 5 * time.Minute})
			if wantN := map[bool]int{true: 1, false: 0}[step.bucket >= 0]; err != nil || len(tasks) != wantN {
				t.Errorf("at %v: running tasks over 5m = %d, %v; want %d", step.at, len(tasks), err, wantN)
			}
		}
	})
}

// TestAlertFiresOnceRepeatsAndResolves checks a 45-minute running-age rule
// with a 10-minute repeat: nothing before 45 minutes, one notice at 45,
// one repeat at 55, and a resolved notice once the task finishes.
func TestAlertFiresOnceRepeatsAndResolves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, "")
		err := f.m.PutRule(sluice.AlertRule{Name: "stuck", Condition: sluice.CondRunningAge, Threshold: 45 * time.Minute,
			Repeat: 10 * time.Minute, Topic: "alerts", Labels: map[string]string{"severity": "page"}})
		if err != nil {
			t.Fatal(err)
		}
		msg := f.start("acme")
		time.Sleep(44*time.Minute + 59*time.Second)
		if n := f.notices(); len(n) != 0 {
			t.Fatalf("notices before 45 minutes = %+v", n)
		}
		time.Sleep(time.Second)
		n := f.notices()
		if len(n) != 1 || n[0].Status != "firing" || n[0].Task != msg.ID || n[0].Rule != "stuck" || n[0].Repeat != 0 {
			t.Fatalf("notices at 45 minutes = %+v, want one firing notice for the task", n)
		}
		if a := f.m.Alerts(); len(a) != 1 || a[0].State != "firing" || a[0].Labels["severity"] != "page" {
			t.Fatalf("Alerts() = %+v", a)
		}
		time.Sleep(9 * time.Minute)
		if n := f.notices(); len(n) != 0 {
			t.Fatalf("notices between 45 and 54 minutes = %+v, want none", n)
		}
		time.Sleep(time.Minute)
		if n := f.notices(); len(n) != 1 || n[0].Status != "firing" || n[0].Repeat != 1 {
			t.Fatalf("notices at 55 minutes = %+v, want one repeat", n)
		}
		if _, err := f.e.CompleteTask(t.Context(), "reports", msg.Receipt, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if n := f.notices(); len(n) != 1 || n[0].Status != "resolved" || n[0].Task != msg.ID {
			t.Fatalf("notices after the task finished = %+v, want one resolved notice", n)
		}
		if a := f.m.Alerts(); len(a) != 0 {
			t.Fatalf("Alerts() after resolving = %+v, want none", a)
		}
		if last, ok := f.m.Status(); !ok || last.IsZero() {
			t.Fatalf("Status() = %v, %v; want healthy", last, ok)
		}
	})
}

// TestAggregateAndOrphanRules checks a per-queue rule with a For and an
// orphan rule after a lease expires.
func TestAggregateAndOrphanRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, "")
		for _, r := range []sluice.AlertRule{
			{Name: "backlog", Queue: "reports", Condition: sluice.CondBucketCount, Threshold: 10 * time.Minute, Count: 1, Kind: sluice.AgeWaiting, For: 5 * time.Minute, Topic: "alerts"},
			{Name: "lost", Condition: sluice.CondOrphaned, Topic: "alerts"},
		} {
			if err := f.m.PutRule(r); err != nil {
				t.Fatal(err)
			}
		}
		ins := []sluice.SendInput{{Body: []byte("a")}, {Body: []byte("b")}}
		if _, err := f.e.Send(t.Context(), "reports", ins); err != nil {
			t.Fatal(err)
		}
		time.Sleep(14 * time.Minute)
		if n := f.notices(); len(n) != 0 {
			t.Fatalf("notices before 10+5 minutes = %+v", n)
		}
		time.Sleep(time.Minute)
		if n := f.notices(); len(n) != 1 || n[0].Rule != "backlog" || n[0].Task != "" {
			t.Fatalf("notices at 15 minutes = %+v, want the backlog alert for the queue", n)
		}
		// A worker takes one and vanishes: its lease runs out.
		vis, wait := time.Minute, time.Duration(0)
		msgs, _ := f.e.Receive(t.Context(), "reports", sluice.ReceiveOptions{VisibilityTimeout: &vis, WaitTime: &wait})
		time.Sleep(2 * time.Minute)
		n := f.notices()
		var got []string
		for _, x := range n {
			got = append(got, x.Status+" "+x.Rule+" "+x.Task)
		}
		slices.Sort(got)
		want := []string{"firing lost " + msgs[0].ID}
		if !slices.Equal(got, want) {
			t.Fatalf("notices after the lease expired = %q, want %q", got, want)
		}
		if a := f.ages(); a.Orphaned != 1 {
			t.Fatalf("orphaned = %d, want 1", a.Orphaned)
		}
	})
}

func TestRulesSurviveRestartAndValidate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rules.json")
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, file)
		if err := f.m.PutRule(sluice.AlertRule{Name: "slow", Condition: sluice.CondWaitingAge, Threshold: 10 * time.Minute, Webhooks: []string{"http://127.0.0.1:1/hook"}}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []sluice.AlertRule{
			{Name: "", Condition: sluice.CondWaitingAge},
			{Name: "x", Condition: "sometimes"},
			{Name: "x", Condition: sluice.CondWaitingAge, Threshold: -1},
			{Name: "x", Condition: sluice.CondWaitingAge, Webhooks: []string{"ftp://x"}},
			{Name: "x", Condition: sluice.CondWaitingAge, Kind: sluice.AgeRunning},
		} {
			var ia *sluice.InvalidArgumentError
			if err := f.m.PutRule(bad); !errors.As(err, &ia) {
				t.Errorf("PutRule(%+v) = %v, want an invalid-argument error", bad, err)
			}
		}
		if err := f.m.DeleteRule("nope"); !errors.Is(err, sluice.ErrRuleNotFound) {
			t.Errorf("DeleteRule(nope) = %v, want ErrRuleNotFound", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, file)
		rules := f.m.Rules()
		if len(rules) != 1 || rules[0].Name != "slow" || rules[0].Threshold != 10*time.Minute || rules[0].Webhooks[0] != "http://127.0.0.1:1/hook" {
			t.Fatalf("Rules() after a restart = %+v", rules)
		}
	})
}
