package monitor

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// A watch consumes its topics through two ordinary queues the monitor
// creates and subscribes (raw delivery): "watch-<name>-start" and
// "watch-<name>-done". A message is acked only once the external task it
// starts or ends is saved, so a crash between the two repeats it, which
// is harmless: starts and ends are idempotent by task id.

// extTask is one external task of a watch.
type extTask struct {
	ID         string    `json:"id"`
	Tenant     string    `json:"tenant,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Checks counts the status URL requests; LastCheck says what the last
	// one answered.
	Checks    int    `json:"checks,omitempty"`
	LastCheck string `json:"last_check,omitempty"`
	// Error is set on a task that ended in failure.
	Error string `json:"error,omitempty"`
}

// watchState is a watch with its queues, subscriptions and tasks.
type watchState struct {
	cfg      sluice.Watch
	subs     []string // subscription ids
	tasks    map[string]*extTask
	lastPoll time.Time
}

// watchFile is the document of the watches file.
type watchFile struct {
	Watches []watchDoc `json:"watches"`
}

type watchDoc struct {
	wire.Watch
	Subscriptions []string   `json:"subscriptions,omitempty"`
	Tasks         []*extTask `json:"tasks,omitempty"`
}

func startQueue(name string) string { return "watch-" + name + "-start" }
func doneQueue(name string) string  { return "watch-" + name + "-done" }

// validateWatch returns an invalid-argument error naming the first bad
// field of w.
func validateWatch(w sluice.Watch) error {
	switch {
	case w.Name == "" || len(w.Name) > 60 || strings.IndexFunc(w.Name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0:
		return sluice.Invalid("name", "must be 1 to 60 letters, digits, '-' or '_'")
	case w.StartTopic == "":
		return sluice.Invalid("start_topic", "is required")
	case (w.IDAttribute == "") == (w.IDPath == ""):
		return sluice.Invalid("id_attribute", "exactly one of id_attribute and id_path is required")
	case w.IDPath != "" && slices.Contains(strings.Split(w.IDPath, "."), ""):
		return sluice.Invalid("id_path", "%q has an empty key", w.IDPath)
	case w.CompleteTopic == "" && w.StatusURL == "":
		return sluice.Invalid("complete_topic", "a complete_topic or a status_url is required")
	case w.PollInterval < 0 || w.PollInterval != 0 && w.PollInterval < time.Second:
		return sluice.Invalid("poll_interval", "must be zero or at least 1s")
	case w.Retention < 0:
		return sluice.Invalid("retention", "must not be negative")
	case len(w.DoneMatch) > 1024:
		return &sluice.LimitError{Field: "done_match", Limit: 1024, Got: int64(len(w.DoneMatch))}
	case len(w.FailedMatch) > 1024:
		return &sluice.LimitError{Field: "failed_match", Limit: 1024, Got: int64(len(w.FailedMatch))}
	case w.ErrorAttribute != "" && w.CompleteTopic == "":
		return sluice.Invalid("error_attribute", "needs a complete_topic")
	}
	if w.StatusURL != "" {
		if !strings.Contains(w.StatusURL, "{id}") {
			return sluice.Invalid("status_url", "%q has no {id}", w.StatusURL)
		}
		u, err := url.Parse(strings.ReplaceAll(w.StatusURL, "{id}", "x"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return sluice.Invalid("status_url", "%q is not an http(s) URL", w.StatusURL)
		}
	} else if w.PollInterval != 0 || len(w.DoneStatus) > 0 || w.DoneMatch != "" || w.FailedMatch != "" {
		return sluice.Invalid("status_url", "poll_interval, done_status, done_match and failed_match need a status_url")
	}
	for i, s := range w.DoneStatus {
		if s < 100 || s > 599 {
			return sluice.Invalid(fmt.Sprintf("done_status[%d]", i), "%d is not an HTTP status", s)
		}
	}
	return nil
}

// withDefaults fills w's zero fields.
func withDefaults(w sluice.Watch) sluice.Watch {
	if w.StatusURL != "" {
		w.PollInterval = cmp.Or(w.PollInterval, time.Minute)
		if len(w.DoneStatus) == 0 {
			w.DoneStatus = []int{http.StatusOK}
		}
	}
	w.Retention = cmp.Or(w.Retention, time.Hour)
	return w
}

// PutWatch creates or replaces a watch: it creates the watch's queues,
// subscribes them to its topics and saves the watches. Replacing a watch
// keeps its tasks.
func (m *Monitor) PutWatch(ctx context.Context, w sluice.Watch) (sluice.Watch, error) {
	if err := validateWatch(w); err != nil {
		return w, err
	}
	w = withDefaults(w)
	m.wmu.Lock()
	defer m.wmu.Unlock()
	old := m.watches[w.Name]
	var subs []string
	type feed struct{ topic, queue string }
	feeds := []feed{{w.StartTopic, startQueue(w.Name)}}
	if w.CompleteTopic != "" {
		feeds = append(feeds, feed{w.CompleteTopic, doneQueue(w.Name)})
	}
	for i, f := range feeds {
		if _, err := m.e.GetTopic(ctx, f.topic); err != nil {
			if errors.Is(err, sluice.ErrTopicNotFound) {
				return w, sluice.Invalid([]string{"start_topic", "complete_topic"}[i], "topic %q does not exist", f.topic)
			}
			return w, err
		}
	}
	for _, f := range feeds {
		if _, _, err := m.e.CreateQueue(ctx, sluice.QueueConfig{Name: f.queue}); err != nil && !errors.Is(err, sluice.ErrQueueExists) {
			return w, err
		}
		s, err := m.e.Subscribe(ctx, sluice.Subscription{Topic: f.topic, Protocol: sluice.ProtocolQueue, Endpoint: f.queue, Raw: true})
		if err != nil {
			return w, err
		}
		subs = append(subs, s.ID)
	}
	ws := &watchState{cfg: w, subs: subs, tasks: map[string]*extTask{}}
	if old != nil {
		ws.tasks = old.tasks
	}
	next := maps.Clone(m.watches)
	next[w.Name] = ws
	if err := m.saveWatches(next); err != nil {
		return w, err
	}
	m.watches = next
	if old != nil { // what the new settings no longer use
		for _, id := range old.subs {
			if !slices.Contains(subs, id) {
				if err := m.e.Unsubscribe(ctx, id); err != nil && !errors.Is(err, sluice.ErrSubscriptionNotFound) {
					m.log.Error("monitor: unsubscribing a replaced watch", "watch", w.Name, "err", err)
				}
			}
		}
		if old.cfg.CompleteTopic != "" && w.CompleteTopic == "" {
			if err := m.e.DeleteQueue(ctx, doneQueue(w.Name)); err != nil && !errors.Is(err, sluice.ErrQueueNotFound) {
				m.log.Error("monitor: deleting a replaced watch's queue", "watch", w.Name, "err", err)
			}
		}
	}
	return w, nil
}

// DeleteWatch deletes a watch with its queues and tasks, or returns
// sluice.ErrWatchNotFound.
func (m *Monitor) DeleteWatch(ctx context.Context, name string) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	ws := m.watches[name]
	if ws == nil {
		return fmt.Errorf("%w: %s", sluice.ErrWatchNotFound, name)
	}
	next := maps.Clone(m.watches)
	delete(next, name)
	if err := m.saveWatches(next); err != nil {
		return err
	}
	m.watches = next
	for _, id := range ws.subs {
		if err := m.e.Unsubscribe(ctx, id); err != nil && !errors.Is(err, sluice.ErrSubscriptionNotFound) {
			m.log.Error("monitor: unsubscribing a deleted watch", "watch", name, "err", err)
		}
	}
	for _, q := range []string{startQueue(name), doneQueue(name)} {
		if err := m.e.DeleteQueue(ctx, q); err != nil && !errors.Is(err, sluice.ErrQueueNotFound) {
			m.log.Error("monitor: deleting a deleted watch's queue", "watch", name, "queue", q, "err", err)
		}
	}
	return nil
}

// Watch returns a watch by name, or sluice.ErrWatchNotFound.
func (m *Monitor) Watch(name string) (sluice.Watch, error) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	ws := m.watches[name]
	if ws == nil {
		return sluice.Watch{}, fmt.Errorf("%w: %s", sluice.ErrWatchNotFound, name)
	}
	return ws.cfg, nil
}

// Watches returns the watches in name order.
func (m *Monitor) Watches() []sluice.Watch {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	out := make([]sluice.Watch, 0, len(m.watches))
	for _, name := range slices.Sorted(maps.Keys(m.watches)) {
		out = append(out, m.watches[name].cfg)
	}
	return out
}

// watchOf returns the watch whose tasks appear as queue, if queue names
// one; m.wmu must be held.
func (m *Monitor) watchOf(queue string) (*watchState, bool, error) {
	name, ok := strings.CutPrefix(queue, sluice.WatchQueuePrefix)
	if !ok {
		return nil, false, nil
	}
	ws := m.watches[name]
	if ws == nil {
		return nil, true, fmt.Errorf("%w: %s", sluice.ErrWatchNotFound, name)
	}
	return ws, true, nil
}

// status returns t's status as a task of queue.
func (t *extTask) status(queue string) sluice.TaskStatus {
	s := sluice.TaskStatus{ID: t.ID, Queue: queue, Tenant: t.Tenant, State: sluice.TaskRunning, Attempt: 1,
		CreatedAt: t.StartedAt, StartedAt: t.StartedAt, FinishedAt: t.FinishedAt, Worker: "external", LastError: t.LastCheck}
	if !t.FinishedAt.IsZero() {
		s.State = sluice.TaskSucceeded
		if t.Error != "" {
			s.State, s.LastError = sluice.TaskDead, t.Error
		}
		if t.StartedAt.IsZero() {
			s.CreatedAt, s.StartedAt = t.FinishedAt, t.FinishedAt
		}
	}
	return s
}

func (t *extTask) running() bool { return t.FinishedAt.IsZero() }

// watchAges counts a watch's running tasks in age buckets.
func (m *Monitor) watchAges(ws *watchState, bounds []time.Duration, perTenant bool) sluice.TaskAges {
	now := m.opts.Now()
	newCounts := func() *sluice.AgeCounts {
		return &sluice.AgeCounts{WaitingBuckets: make([]int, len(bounds)), RunningBuckets: make([]int, len(bounds))}
	}
	a := sluice.TaskAges{Queue: ws.cfg.Queue(), Bounds: slices.Clone(bounds), AgeCounts: *newCounts()}
	if perTenant {
		a.Tenants = map[string]*sluice.AgeCounts{}
	}
	add := func(c *sluice.AgeCounts, age time.Duration) {
		c.Running++
		c.OldestRunning = max(c.OldestRunning, age)
		i := len(bounds) - 1
		for i >= 0 && bounds[i] > age {
			i--
		}
		if i >= 0 {
			c.RunningBuckets[i]++
		}
	}
	for _, t := range ws.tasks {
		if !t.running() {
			continue
		}
		age := max(now.Sub(t.StartedAt), 0)
		add(&a.AgeCounts, age)
		if perTenant {
			c := a.Tenants[t.Tenant]
			if c == nil {
				c = newCounts()
				a.Tenants[t.Tenant] = c
			}
			add(c, age)
		}
	}
	return a
}

// watchTasks lists a watch's running tasks in q's age range, oldest
// first. External tasks only run: they never wait, retry or orphan.
func (m *Monitor) watchTasks(ws *watchState, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error) {
	if !q.Kind.Valid() {
		return nil, sluice.Invalid("kind", "%q is not waiting, running, orphaned or retrying", q.Kind)
	}
	limit := cmp.Or(q.Limit, 100)
	if limit < 0 || limit > 1000 {
		return nil, sluice.Invalid("limit", "%d is outside 1 to 1000", limit)
	}
	if q.Kind != sluice.AgeRunning {
		return []sluice.TaskStatus{}, nil
	}
	now := m.opts.Now()
	var hits []*extTask
	for _, t := range ws.tasks {
		age := now.Sub(t.StartedAt)
		if !t.running() || q.Tenant != "" && t.Tenant != q.Tenant || age < q.Over || q.Under > 0 && age >= q.Under {
			continue
		}
		hits = append(hits, t)
	}
	slices.SortFunc(hits, func(a, b *extTask) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.ID, b.ID))
	})
	out := make([]sluice.TaskStatus, 0, min(len(hits), limit))
	for _, t := range hits[:min(len(hits), limit)] {
		out = append(out, t.status(ws.cfg.Queue()))
	}
	return out, nil
}

// WatchTask returns the status of a watch's external task, running or
// finished within the watch's retention.
func (m *Monitor) WatchTask(name, id string) (sluice.TaskStatus, error) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	ws := m.watches[name]
	if ws == nil {
		return sluice.TaskStatus{}, fmt.Errorf("%w: %s", sluice.ErrWatchNotFound, name)
	}
	t := ws.tasks[id]
	if t == nil || t.StartedAt.IsZero() {
		return sluice.TaskStatus{}, fmt.Errorf("%w: %s in watch %s", sluice.ErrTaskNotFound, id, name)
	}
	return t.status(ws.cfg.Queue()), nil
}

// IngestWatches reads what the watches' topics delivered: start messages
// start external tasks, completion messages finish them. Run calls it
// every second; it returns the number of messages read.
func (m *Monitor) IngestWatches(ctx context.Context) int {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	n := 0
	for _, name := range slices.Sorted(maps.Keys(m.watches)) {
		ws := m.watches[name]
		n += m.ingest(ctx, ws, startQueue(name), true)
		if ws.cfg.CompleteTopic != "" {
			n += m.ingest(ctx, ws, doneQueue(name), false)
		}
	}
	m.prune()
	return n
}

// ingest reads one batch from a watch's queue; m.wmu must be held.
func (m *Monitor) ingest(ctx context.Context, ws *watchState, queue string, start bool) int {
	vis, wait := 30*time.Second, time.Duration(0)
	msgs, err := m.e.Receive(ctx, queue, sluice.ReceiveOptions{Max: 100, VisibilityTimeout: &vis, WaitTime: &wait})
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("monitor: reading a watch's messages", "watch", ws.cfg.Name, "queue", queue, "err", err)
		}
		return 0
	}
	if len(msgs) == 0 {
		return 0
	}
	now := m.opts.Now()
	receipts := make([]string, 0, len(msgs))
	for _, msg := range msgs {
		receipts = append(receipts, msg.Receipt)
		id, err := taskID(ws.cfg, msg)
		if err != nil {
			m.log.Warn("monitor: a watch's message has no task id; dropped", "watch", ws.cfg.Name, "queue", queue, "message", msg.ID, "err", err)
			continue
		}
		t := ws.tasks[id]
		if t == nil {
			t = &extTask{ID: id}
			ws.tasks[id] = t
		}
		at := cmp.Or(msg.SentAt, now)
		switch {
		case start && (t.StartedAt.IsZero() || !t.running() && at.After(t.FinishedAt)):
			// A first start, or a rerun published after the last run
			// finished. (A start read again after a crash is older than
			// the finish, and changes nothing.) A completion read
			// before its start stands if it is not older.
			t.StartedAt, t.Checks, t.LastCheck = at, 0, ""
			if t.FinishedAt.Before(at) {
				t.FinishedAt, t.Error = time.Time{}, ""
			}
			t.Tenant = msg.Tenant
			if a, ok := msg.Attributes[ws.cfg.TenantAttribute]; ok && ws.cfg.TenantAttribute != "" {
				t.Tenant = a.String
			}
		case !start && t.running():
			t.FinishedAt = at
			if a, ok := msg.Attributes[ws.cfg.ErrorAttribute]; ok && ws.cfg.ErrorAttribute != "" {
				t.Error = cmp.Or(truncate(a.String, 4096), "failed")
			}
		}
	}
	if err := m.saveWatches(m.watches); err != nil {
		m.log.Error("monitor: saving watches; messages will be read again", "watch", ws.cfg.Name, "err", err)
		return 0
	}
	if _, err := m.e.Ack(ctx, queue, receipts); err != nil && ctx.Err() == nil {
		m.log.Error("monitor: acking a watch's messages; they will be read again", "watch", ws.cfg.Name, "err", err)
	}
	return len(msgs)
}

// prune drops finished tasks past their watch's retention; m.wmu must be
// held.
func (m *Monitor) prune() {
	now := m.opts.Now()
	for _, ws := range m.watches {
		for id, t := range ws.tasks {
			if !t.running() && now.Sub(t.FinishedAt) > ws.cfg.Retention {
				delete(ws.tasks, id)
			}
		}
	}
}

// taskID returns the task id a watch's message carries.
func taskID(w sluice.Watch, msg sluice.Message) (string, error) {
	if w.IDAttribute != "" {
		a, ok := msg.Attributes[w.IDAttribute]
		if !ok || a.String == "" {
			return "", fmt.Errorf("no attribute %q", w.IDAttribute)
		}
		return a.String, nil
	}
	return jsonPathID(msg.Body, w.IDPath)
}

// jsonPathID returns the string or number at path (dot-separated keys) in
// the JSON document body.
func jsonPathID(body []byte, path string) (string, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("body is not JSON: %w", err)
	}
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("%q: not an object at %q", path, key)
		}
		if v, ok = obj[key]; !ok {
			return "", fmt.Errorf("%q: no key %q", path, key)
		}
	}
	switch id := v.(type) {
	case string:
		if id == "" || len(id) > 256 {
			return "", fmt.Errorf("%q: id must be 1 to 256 characters", path)
		}
		return id, nil
	case json.Number:
		return id.String(), nil
	}
	return "", fmt.Errorf("%q: not a string or number", path)
}

// statusChecks is how many status URL requests a watch has open at once.
const statusChecks = 8

// PollWatches asks the status URL of every running task of the watches
// whose poll interval has passed, and finishes the tasks that are done.
// Run calls it every second.
func (m *Monitor) PollWatches(ctx context.Context) {
	type check struct {
		ws  *watchState
		ids []string
	}
	var due []check
	now := m.opts.Now()
	m.wmu.Lock()
	for _, ws := range m.watches {
		if ws.cfg.StatusURL == "" || now.Sub(ws.lastPoll) < ws.cfg.PollInterval {
			continue
		}
		ws.lastPoll = now
		c := check{ws: ws}
		for id, t := range ws.tasks {
			if t.running() && !t.StartedAt.IsZero() {
				c.ids = append(c.ids, id)
			}
		}
		due = append(due, c)
	}
	m.wmu.Unlock()
	for _, c := range due {
		type answer struct {
			done   bool
			what   string
			failed bool
		}
		answers := make([]answer, len(c.ids))
		var wg sync.WaitGroup
		sem := make(chan struct{}, statusChecks)
		for i, id := range c.ids {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if ctx.Err() == nil {
					answers[i].done, answers[i].failed, answers[i].what = m.checkStatus(ctx, c.ws.cfg, id)
				}
			})
		}
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		m.wmu.Lock()
		changed := false
		for i, a := range answers {
			t := c.ws.tasks[c.ids[i]]
			if t == nil || !t.running() {
				continue
			}
			t.Checks++
			t.LastCheck = a.what
			if a.done {
				t.FinishedAt, changed = m.opts.Now(), true
				if a.failed {
					t.Error = a.what
				}
			}
		}
		if changed && m.watches[c.ws.cfg.Name] == c.ws {
			if err := m.saveWatches(m.watches); err != nil {
				m.log.Error("monitor: saving watches", "watch", c.ws.cfg.Name, "err", err)
			}
		}
		m.wmu.Unlock()
	}
}

// checkStatus asks the status URL of task id and says whether it ended,
// whether in failure, and what the answer was if it did not succeed.
func (m *Monitor) checkStatus(ctx context.Context, w sluice.Watch, id string) (done, failed bool, what string) {
	u := strings.ReplaceAll(w.StatusURL, "{id}", url.PathEscape(id))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, false, err.Error()
	}
	req.Header.Set("User-Agent", "sluice-monitor")
	resp, err := m.opts.HTTPClient.Do(req)
	if err != nil {
		return false, false, "status check failed: " + err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return false, false, "status check failed: " + err.Error()
	}
	switch {
	case w.FailedMatch != "" && bytes.Contains(body, []byte(w.FailedMatch)):
		return true, true, fmt.Sprintf("status check answered %d: %s", resp.StatusCode, truncate(string(body), 512))
	case slices.Contains(w.DoneStatus, resp.StatusCode) && (w.DoneMatch == "" || bytes.Contains(body, []byte(w.DoneMatch))):
		return true, false, ""
	}
	return false, false, "status check answered " + strconv.Itoa(resp.StatusCode)
}

// truncate returns at most n bytes of s, valid UTF-8.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}

// saveWatches writes the watches and their tasks to the watches file;
// m.wmu must be held.
func (m *Monitor) saveWatches(watches map[string]*watchState) error {
	if m.opts.WatchesFile == "" {
		return nil
	}
	f := watchFile{Watches: []watchDoc{}}
	for _, name := range slices.Sorted(maps.Keys(watches)) {
		ws := watches[name]
		doc := watchDoc{Watch: wire.FromWatch(ws.cfg), Subscriptions: ws.subs}
		for _, id := range slices.Sorted(maps.Keys(ws.tasks)) {
			doc.Tasks = append(doc.Tasks, ws.tasks[id])
		}
		f.Watches = append(f.Watches, doc)
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(m.opts.WatchesFile, data); err != nil {
		return fmt.Errorf("monitor: saving watches: %w", err)
	}
	return nil
}

// loadWatches reads the watches file, if there is one.
func loadWatches(path string) (map[string]*watchState, error) {
	watches := map[string]*watchState{}
	if path == "" {
		return watches, nil
	}
	var f watchFile
	if ok, err := readJSON(path, &f); err != nil || !ok {
		return watches, err
	}
	for _, d := range f.Watches {
		ws := &watchState{cfg: d.Watch.Watch(), subs: d.Subscriptions, tasks: map[string]*extTask{}}
		for _, t := range d.Tasks {
			ws.tasks[t.ID] = t
		}
		watches[ws.cfg.Name] = ws
	}
	return watches, nil
}

// runWatches reads the watches' messages every second, and polls their
// status URLs every second on another goroutine (so that slow status
// checks never delay reading starts and completions), until ctx is done.
func (m *Monitor) runWatches(ctx context.Context) {
	every := func(f func()) {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			f()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		every(func() {
			for range 100 { // a bounded catch-up
				if m.IngestWatches(ctx) == 0 || ctx.Err() != nil {
					break
				}
			}
		})
	})
	wg.Go(func() { every(func() { m.PollWatches(ctx) }) })
	wg.Wait()
}

// TaskStatus returns a task's status by id, in a tracked queue or in a
// watch ("watch:<name>").
func (m *Monitor) TaskStatus(ctx context.Context, queue, id string) (sluice.TaskStatus, error) {
	if name, ok := strings.CutPrefix(queue, sluice.WatchQueuePrefix); ok {
		return m.WatchTask(name, id)
	}
	return m.e.TaskStatus(ctx, queue, id)
}
