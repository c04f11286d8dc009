package nativeapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// Monitor is what the handler needs of the Task Monitor; *monitor.Monitor
// implements it. Without one, the /v1/monitor endpoints answer not_found.
type Monitor interface {
	TrackedQueues(ctx context.Context) ([]string, error)
	Ages(ctx context.Context, queue string, perTenant bool) (sluice.TaskAges, error)
	Tasks(ctx context.Context, queue string, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error)
	PutRule(r sluice.AlertRule) error
	DeleteRule(name string) error
	Rule(name string) (sluice.AlertRule, error)
	Rules() []sluice.AlertRule
	Alerts() []sluice.Alert
	Status() (last time.Time, healthy bool)
	PutWatch(ctx context.Context, w sluice.Watch) (sluice.Watch, error)
	DeleteWatch(ctx context.Context, name string) error
	Watch(name string) (sluice.Watch, error)
	Watches() []sluice.Watch
	WatchTask(name, id string) (sluice.TaskStatus, error)
}

func (h *handler) monitor(r *http.Request) (Monitor, error) {
	if h.mon == nil {
		return nil, fmt.Errorf("%w: %s (the Task Monitor is not running)", wire.ErrNotFound, r.URL.Path)
	}
	return h.mon, nil
}

func (h *handler) monitorBuckets(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	query := r.URL.Query()
	if err := onlyParams(query, "queue", "tenants"); err != nil {
		return err
	}
	perTenant := false
	if s := query.Get("tenants"); s != "" {
		if perTenant, err = strconv.ParseBool(s); err != nil {
			return sluice.Invalid("tenants", "%q is not true or false", s)
		}
	}
	queues := []string{query.Get("queue")}
	if queues[0] == "" {
		if queues, err = m.TrackedQueues(r.Context()); err != nil {
			return err
		}
	}
	resp := wire.BucketsResponse{Queues: []wire.TaskAges{}}
	for _, q := range queues {
		a, err := m.Ages(r.Context(), q, perTenant)
		if err != nil {
			return err
		}
		resp.Queues = append(resp.Queues, wire.FromTaskAges(a))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

func (h *handler) monitorTasks(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	query := r.URL.Query()
	if err := onlyParams(query, "queue", "kind", "over", "under", "tenant", "limit"); err != nil {
		return err
	}
	q := sluice.TaskAgeQuery{Kind: sluice.TaskAgeKind(query.Get("kind")), Tenant: query.Get("tenant")}
	if q.Kind == "" {
		q.Kind = sluice.AgeRunning
	}
	if query.Get("queue") == "" {
		return sluice.Invalid("queue", "is required")
	}
	for _, p := range []struct {
		name string
		dst  *time.Duration
	}{{"over", &q.Over}, {"under", &q.Under}} {
		if s := query.Get(p.name); s != "" {
			if *p.dst, err = wire.ParseAge(p.name, s); err != nil {
				return err
			}
		}
	}
	if s := query.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 {
			return sluice.Invalid("limit", "%q is not a positive integer", s)
		}
	}
	tasks, err := m.Tasks(r.Context(), query.Get("queue"), q)
	if err != nil {
		return err
	}
	resp := wire.MonitorTasksResponse{Tasks: make([]wire.Task, len(tasks))}
	for i, t := range tasks {
		resp.Tasks[i] = wire.FromTaskStatus(t)
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

func (h *handler) listRules(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	resp := wire.RulesResponse{Rules: []wire.AlertRule{}}
	for _, rule := range m.Rules() {
		resp.Rules = append(resp.Rules, wire.FromAlertRule(rule))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

func (h *handler) putRule(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	var doc wire.AlertRule
	if err := h.read(w, r, &doc, false); err != nil {
		return err
	}
	name := r.PathValue("rule")
	if doc.Name != "" && doc.Name != name {
		return sluice.Invalid("name", "%q differs from the path's %q", doc.Name, name)
	}
	doc.Name = name
	if err := m.PutRule(doc.AlertRule()); err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, doc)
	return nil
}

func (h *handler) getRule(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	rule, err := m.Rule(r.PathValue("rule"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromAlertRule(rule))
	return nil
}

func (h *handler) deleteRule(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	if err := m.DeleteRule(r.PathValue("rule")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) listAlerts(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	resp := wire.AlertsResponse{Alerts: []wire.Alert{}}
	for _, a := range m.Alerts() {
		resp.Alerts = append(resp.Alerts, wire.FromAlert(a))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

// monitorStatus is the dead-man check: 503 once the monitor has not
// evaluated its rules for three intervals.
func (h *handler) monitorStatus(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	last, ok := m.Status()
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	h.write(w, r, status, wire.MonitorStatus{LastEvaluatedAt: last.UTC(), Healthy: ok})
	return nil
}

func (h *handler) listWatches(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	resp := wire.WatchesResponse{Watches: []wire.Watch{}}
	for _, watch := range m.Watches() {
		resp.Watches = append(resp.Watches, wire.FromWatch(watch))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

func (h *handler) putWatch(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	var doc wire.Watch
	if err := h.read(w, r, &doc, false); err != nil {
		return err
	}
	name := r.PathValue("watch")
	if doc.Name != "" && doc.Name != name {
		return sluice.Invalid("name", "%q differs from the path's %q", doc.Name, name)
	}
	doc.Name = name
	watch, err := m.PutWatch(r.Context(), doc.Watch())
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromWatch(watch))
	return nil
}

func (h *handler) getWatch(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	watch, err := m.Watch(r.PathValue("watch"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromWatch(watch))
	return nil
}

func (h *handler) deleteWatch(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	if err := m.DeleteWatch(r.Context(), r.PathValue("watch")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) getWatchTask(w http.ResponseWriter, r *http.Request) error {
	m, err := h.monitor(r)
	if err != nil {
		return err
	}
	st, err := m.WatchTask(r.PathValue("watch"), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTaskStatus(st))
	return nil
}
