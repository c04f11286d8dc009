// Package monitor is Sluice's Task Monitor. For every tracked queue it
// counts active tasks in age buckets (waiting and running apart, per queue
// and per tenant), lists the tasks of a bucket oldest first, tells orphaned
// and retrying tasks apart, and evaluates alert rules: an alert fires once
// per task (or per queue for aggregate rules) after its condition has held
// for the rule's For, repeats on the rule's schedule while it holds, and
// sends a resolved notice when it stops holding. Notices go to the log, to
// webhooks and to a topic. The monitor's own liveness is reported by
// Status, for a dead-man check from outside.
//
// The counting runs inside the engine, on each queue's partition, so that
// a query over a million active tasks copies only its answer.
package monitor

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
)

// Engine is what the monitor needs of the queue engine; *engine.Engine
// implements it.
type Engine interface {
	ListQueues(ctx context.Context, prefix, after string, limit int) ([]sluice.QueueConfig, error)
	TaskAges(ctx context.Context, queue string, bounds []time.Duration, perTenant bool) (sluice.TaskAges, error)
	OldestTasks(ctx context.Context, queue string, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error)
	TaskStatus(ctx context.Context, queue, id string) (sluice.TaskStatus, error)
	Publish(ctx context.Context, topic string, msgs []sluice.PublishInput) ([]sluice.PublishResult, error)

	// For watches.
	GetTopic(ctx context.Context, name string) (sluice.TopicConfig, error)
	CreateQueue(ctx context.Context, cfg sluice.QueueConfig) (sluice.QueueConfig, bool, error)
	DeleteQueue(ctx context.Context, name string) error
	Subscribe(ctx context.Context, in sluice.Subscription) (sluice.Subscription, error)
	Unsubscribe(ctx context.Context, id string) error
	Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error)
	Ack(ctx context.Context, queue string, receipts []string) ([]error, error)
}

// DefaultBuckets are the age buckets of the seed's Task Monitor.
var DefaultBuckets = []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, 45 * time.Minute, time.Hour}

// Options configures a Monitor. A zero field means the default.
type Options struct {
	// Buckets are the age bucket boundaries, ascending (default
	// DefaultBuckets).
	Buckets []time.Duration
	// Interval is how often rules are evaluated (default 15s).
	Interval time.Duration
	// RulesFile keeps the rules across restarts (default: memory only).
	RulesFile string
	// AlertsFile keeps the active alerts across restarts, so that an alert
	// firing before a restart is not sent again as new after it, and is
	// resolved when its condition ends (default: memory only).
	AlertsFile string
	// WatchesFile keeps the watches and their external tasks across
	// restarts (default: memory only).
	WatchesFile string
	// Logger receives every notice and the monitor's own failures.
	Logger *slog.Logger
	// HTTPClient sends webhook notices (default: a client with a 10s
	// timeout).
	HTTPClient *http.Client
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Monitor watches tracked queues. Its methods are safe for concurrent use.
// Create one with New and run its evaluation loop with Run.
type Monitor struct {
	e       Engine
	opts    Options
	log     *slog.Logger
	store   store
	notices chan notice // to the webhook sender

	mu       sync.Mutex // guards rules, alerts and lastEval
	rules    map[string]sluice.AlertRule
	alerts   map[alertKey]*sluice.Alert
	lastEval time.Time

	wmu     sync.Mutex // guards watches and their tasks
	watches map[string]*watchState
}

type alertKey struct{ rule, queue, task string }

// New returns a monitor over e, loading the rules file if there is one.
func New(e Engine, opts Options) (*Monitor, error) {
	if len(opts.Buckets) == 0 {
		opts.Buckets = DefaultBuckets
	}
	if !slices.IsSorted(opts.Buckets) || slices.Contains(opts.Buckets, 0) {
		return nil, sluice.Invalid("buckets", "must be ascending positive durations")
	}
	opts.Interval = cmp.Or(opts.Interval, 15*time.Second)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	m := &Monitor{
		e: e, opts: opts, log: cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		store: store{path: opts.RulesFile}, notices: make(chan notice, 1024),
		alerts: map[alertKey]*sluice.Alert{},
	}
	rules, err := m.store.load()
	if err != nil {
		return nil, err
	}
	m.rules = rules
	if err := m.loadAlerts(); err != nil {
		return nil, err
	}
	if m.watches, err = loadWatches(opts.WatchesFile); err != nil {
		return nil, err
	}
	return m, nil
}

// Buckets returns the monitor's age bucket boundaries.
func (m *Monitor) Buckets() []time.Duration { return slices.Clone(m.opts.Buckets) }

// Run evaluates the rules every Interval and sends webhook notices until
// ctx is done; it returns nil then.
func (m *Monitor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { m.sendWebhooks(ctx) })
	wg.Go(func() { m.runWatches(ctx) })
	t := time.NewTicker(m.opts.Interval)
	defer t.Stop()
	for {
		m.Evaluate(ctx)
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-t.C:
		}
	}
}

// Status reports when the rules were last evaluated and whether that was
// within three intervals: false means the monitor has stopped watching.
func (m *Monitor) Status() (last time.Time, healthy bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastEval, !m.lastEval.IsZero() && m.opts.Now().Sub(m.lastEval) <= 3*m.opts.Interval
}

// TrackedQueues returns the names of the tracked queues, then those of the
// watches ("watch:<name>").
func (m *Monitor) TrackedQueues(ctx context.Context) ([]string, error) {
	var names []string
	after := ""
	for {
		qs, err := m.e.ListQueues(ctx, "", after, 1000)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			if q.Tasks != nil {
				names = append(names, q.Name)
			}
		}
		if len(qs) < 1000 {
			for _, w := range m.Watches() {
				names = append(names, w.Queue())
			}
			return names, nil
		}
		after = qs[len(qs)-1].Name
	}
}

// Ages returns the age buckets of a tracked queue, per tenant too when
// perTenant is set.
func (m *Monitor) Ages(ctx context.Context, queue string, perTenant bool) (sluice.TaskAges, error) {
	return m.ages(ctx, queue, m.opts.Buckets, perTenant)
}

// ages counts the tasks of a tracked queue or a watch in age buckets.
func (m *Monitor) ages(ctx context.Context, queue string, bounds []time.Duration, perTenant bool) (sluice.TaskAges, error) {
	m.wmu.Lock()
	ws, isWatch, err := m.watchOf(queue)
	if isWatch {
		defer m.wmu.Unlock()
		if err != nil {
			return sluice.TaskAges{}, err
		}
		return m.watchAges(ws, bounds, perTenant), nil
	}
	m.wmu.Unlock()
	return m.e.TaskAges(ctx, queue, bounds, perTenant)
}

// Tasks lists a tracked queue's active tasks of a kind and age range,
// oldest first.
func (m *Monitor) Tasks(ctx context.Context, queue string, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error) {
	m.wmu.Lock()
	ws, isWatch, err := m.watchOf(queue)
	if isWatch {
		defer m.wmu.Unlock()
		if err != nil {
			return nil, err
		}
		return m.watchTasks(ws, q)
	}
	m.wmu.Unlock()
	return m.e.OldestTasks(ctx, queue, q)
}

// PutRule creates or replaces a rule and saves the rules.
func (m *Monitor) PutRule(r sluice.AlertRule) error {
	if err := validate(r); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next := maps.Clone(m.rules)
	next[r.Name] = r
	if err := m.store.save(next); err != nil {
		return err
	}
	m.rules = next
	return nil
}

// DeleteRule deletes a rule, or returns sluice.ErrRuleNotFound. Its active
// alerts end without a resolved notice.
func (m *Monitor) DeleteRule(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rules[name]; !ok {
		return fmt.Errorf("%w: %s", sluice.ErrRuleNotFound, name)
	}
	next := maps.Clone(m.rules)
	delete(next, name)
	if err := m.store.save(next); err != nil {
		return err
	}
	m.rules = next
	for k := range m.alerts {
		if k.rule == name {
			delete(m.alerts, k)
		}
	}
	if err := m.saveAlerts(); err != nil {
		m.log.Error("monitor: saving alerts", "err", err)
	}
	return nil
}

// Rule returns a rule by name, or sluice.ErrRuleNotFound.
func (m *Monitor) Rule(name string) (sluice.AlertRule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rules[name]
	if !ok {
		return r, fmt.Errorf("%w: %s", sluice.ErrRuleNotFound, name)
	}
	return r, nil
}

// Rules returns the rules in name order.
func (m *Monitor) Rules() []sluice.AlertRule {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]sluice.AlertRule, 0, len(m.rules))
	for _, name := range slices.Sorted(maps.Keys(m.rules)) {
		out = append(out, m.rules[name])
	}
	return out
}

// Alerts returns the active alerts, pending and firing, oldest first.
func (m *Monitor) Alerts() []sluice.Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]sluice.Alert, 0, len(m.alerts))
	for _, a := range m.alerts {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b sluice.Alert) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Queue, b.Queue), cmp.Compare(a.Task, b.Task))
	})
	return out
}

// finding is one thing a rule's condition holds for in an evaluation.
type finding struct {
	key     alertKey
	tenant  string
	summary string
}

// Evaluate checks every rule against every tracked queue once, fires,
// repeats and resolves alerts, and records the evaluation for Status.
func (m *Monitor) Evaluate(ctx context.Context) {
	queues, err := m.TrackedQueues(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("monitor: listing queues failed; no evaluation", "err", err)
		}
		return
	}
	rules := m.Rules()
	now := m.opts.Now()
	seen := map[alertKey]finding{}
	failed := map[string]bool{} // rules whose evaluation failed keep their alerts
	for _, r := range rules {
		for _, q := range queues {
			if r.Queue != "" && r.Queue != q {
				continue
			}
			found, err := m.check(ctx, r, q)
			if err != nil {
				if ctx.Err() == nil {
					m.log.Error("monitor: evaluating a rule failed", "rule", r.Name, "queue", q, "err", err)
				}
				failed[r.Name] = true
				continue
			}
			for _, f := range found {
				seen[f.key] = f
			}
		}
	}
	var out []notice
	changed := false // whether the alerts to save changed
	m.mu.Lock()
	for k, f := range seen {
		r, ok := m.rules[k.rule]
		if !ok {
			continue // deleted meanwhile
		}
		a := m.alerts[k]
		if a == nil {
			a = &sluice.Alert{Rule: k.rule, Queue: k.queue, Task: k.task, Tenant: f.tenant, Labels: r.Labels, State: "pending", Since: now}
			m.alerts[k] = a
			changed = true
		}
		a.Summary = f.summary
		switch {
		case a.State == "pending" && now.Sub(a.Since) >= r.For:
			a.State, a.FiredAt = "firing", now
			out = append(out, m.noticeOf(r, a, "firing", now))
		case a.State == "firing" && r.Repeat > 0 && now.Sub(a.FiredAt) >= time.Duration(a.Sent)*r.Repeat:
			out = append(out, m.noticeOf(r, a, "firing", now))
		}
	}
	for k, a := range m.alerts {
		if _, ok := seen[k]; ok || failed[k.rule] {
			continue
		}
		delete(m.alerts, k)
		changed = true
		if r, ok := m.rules[k.rule]; ok && a.State == "firing" {
			out = append(out, m.noticeOf(r, a, "resolved", now))
		}
	}
	m.lastEval = now
	if changed || len(out) > 0 {
		if err := m.saveAlerts(); err != nil {
			m.log.Error("monitor: saving alerts", "err", err)
		}
	}
	m.mu.Unlock()
	for _, n := range out {
		m.deliver(ctx, n)
	}
}

// check returns what rule r's condition holds for in queue q.
func (m *Monitor) check(ctx context.Context, r sluice.AlertRule, q string) ([]finding, error) {
	if r.PerTask() {
		kind := map[string]sluice.TaskAgeKind{
			sluice.CondRunningAge: sluice.AgeRunning, sluice.CondWaitingAge: sluice.AgeWaiting, sluice.CondOrphaned: sluice.AgeOrphaned,
		}[r.Condition]
		// A task exactly at the threshold has reached it: with the
		// default buckets, the 45-minute alert fires at 45 minutes.
		tasks, err := m.Tasks(ctx, q, sluice.TaskAgeQuery{Kind: kind, Over: r.Threshold, Tenant: r.Tenant, Limit: 1000})
		if err != nil {
			return nil, err
		}
		now := m.opts.Now()
		out := make([]finding, len(tasks))
		for i, t := range tasks {
			since := t.CreatedAt
			if kind == sluice.AgeRunning {
				since = t.StartedAt
			}
			out[i] = finding{
				key:     alertKey{r.Name, q, t.ID},
				tenant:  t.Tenant,
				summary: fmt.Sprintf("task %s of %s %s for %s (threshold %s)", t.ID, q, kindVerb(kind), now.Sub(since).Round(time.Second), r.Threshold),
			}
		}
		return out, nil
	}
	ages, err := m.ages(ctx, q, []time.Duration{r.Threshold}, r.Tenant != "")
	if err != nil {
		return nil, err
	}
	c := ages.AgeCounts
	if r.Tenant != "" {
		tc := ages.Tenants[r.Tenant]
		if tc == nil {
			return nil, nil
		}
		c = *tc
	}
	switch r.Condition {
	case sluice.CondBucketCount:
		n := c.WaitingBuckets[0] + c.RunningBuckets[0]
		switch r.Kind {
		case sluice.AgeWaiting:
			n = c.WaitingBuckets[0]
		case sluice.AgeRunning:
			n = c.RunningBuckets[0]
		}
		if n > r.Count {
			return []finding{{key: alertKey{r.Name, q, ""}, tenant: r.Tenant,
				summary: fmt.Sprintf("%d tasks of %s older than %s (limit %d)", n, q, r.Threshold, r.Count)}}, nil
		}
	case sluice.CondOldestAge:
		if c.OldestWaiting >= r.Threshold && c.Waiting > 0 {
			return []finding{{key: alertKey{r.Name, q, ""}, tenant: r.Tenant,
				summary: fmt.Sprintf("oldest waiting task of %s is %s old (threshold %s)", q, c.OldestWaiting.Round(time.Second), r.Threshold)}}, nil
		}
	}
	return nil, nil
}

func kindVerb(k sluice.TaskAgeKind) string {
	switch k {
	case sluice.AgeRunning:
		return "running"
	case sluice.AgeOrphaned:
		return "orphaned, waiting"
	}
	return "waiting"
}

// notice is one alert notification, as sent to every target.
type notice struct {
	Status   string            `json:"status"` // firing or resolved
	Rule     string            `json:"rule"`
	Queue    string            `json:"queue"`
	Task     string            `json:"task,omitempty"`
	Tenant   string            `json:"tenant,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Summary  string            `json:"summary"`
	Since    time.Time         `json:"since"`
	FiredAt  time.Time         `json:"fired_at"`
	At       time.Time         `json:"at"`
	Repeat   int               `json:"repeat"` // 0 for the first firing notice
	webhooks []string
	topic    string
}

// noticeOf returns the notice of a's status; m.mu must be held.
func (m *Monitor) noticeOf(r sluice.AlertRule, a *sluice.Alert, status string, now time.Time) notice {
	n := notice{
		Status: status, Rule: a.Rule, Queue: a.Queue, Task: a.Task, Tenant: a.Tenant, Labels: a.Labels,
		Summary: a.Summary, Since: a.Since.UTC(), FiredAt: a.FiredAt.UTC(), At: now.UTC(), webhooks: r.Webhooks, topic: r.Topic,
	}
	if status == "firing" {
		n.Repeat = a.Sent
		a.Sent++
	}
	return n
}

// deliver logs n, publishes it to its topic and queues it for its
// webhooks.
func (m *Monitor) deliver(ctx context.Context, n notice) {
	level := slog.LevelWarn
	if n.Status == "resolved" {
		level = slog.LevelInfo
	}
	m.log.Log(ctx, level, "alert "+n.Status, "rule", n.Rule, "queue", n.Queue, "task", n.Task, "summary", n.Summary, "repeat", n.Repeat)
	body, err := json.Marshal(n)
	if err != nil {
		m.log.Error("monitor: encoding a notice", "err", err)
		return
	}
	if n.topic != "" {
		attrs := map[string]sluice.Attribute{
			"alert_status": {Type: "String", String: n.Status},
			"rule":         {Type: "String", String: n.Rule},
		}
		if _, err := m.e.Publish(ctx, n.topic, []sluice.PublishInput{{Body: body, Attributes: attrs}}); err != nil {
			m.log.Error("monitor: publishing a notice failed", "topic", n.topic, "rule", n.Rule, "err", err)
		}
	}
	if len(n.webhooks) > 0 {
		select {
		case m.notices <- n:
		default:
			m.log.Error("monitor: webhook queue full; notice dropped", "rule", n.Rule, "queue", n.Queue, "task", n.Task)
		}
	}
}
