package wire

import (
	"time"

	"github.com/sluicehq/sluice"
)

// AlertRule is a Task Monitor alert rule: the body of PUT
// /v1/monitor/rules/{name} and an entry of GET /v1/monitor/rules.
type AlertRule struct {
	Name      string             `json:"name"`
	Queue     string             `json:"queue,omitempty"`
	Tenant    string             `json:"tenant,omitempty"`
	Condition string             `json:"condition"`
	Threshold Duration           `json:"threshold"`
	Count     int                `json:"count,omitempty"`
	Kind      sluice.TaskAgeKind `json:"kind,omitempty"`
	For       Duration           `json:"for,omitempty"`
	Repeat    Duration           `json:"repeat,omitempty"`
	Labels    map[string]string  `json:"labels,omitempty"`
	Webhooks  []string           `json:"webhooks,omitempty"`
	Topic     string             `json:"topic,omitempty"`
}

// FromAlertRule returns the document for r.
func FromAlertRule(r sluice.AlertRule) AlertRule {
	return AlertRule{
		Name: r.Name, Queue: r.Queue, Tenant: r.Tenant, Condition: r.Condition, Threshold: Duration(r.Threshold),
		Count: r.Count, Kind: r.Kind, For: Duration(r.For), Repeat: Duration(r.Repeat), Labels: r.Labels,
		Webhooks: r.Webhooks, Topic: r.Topic,
	}
}

// AlertRule returns the rule r describes.
func (r AlertRule) AlertRule() sluice.AlertRule {
	return sluice.AlertRule{
		Name: r.Name, Queue: r.Queue, Tenant: r.Tenant, Condition: r.Condition, Threshold: time.Duration(r.Threshold),
		Count: r.Count, Kind: r.Kind, For: time.Duration(r.For), Repeat: time.Duration(r.Repeat), Labels: r.Labels,
		Webhooks: r.Webhooks, Topic: r.Topic,
	}
}

// Alert is an active alert, an entry of GET /v1/monitor/alerts.
type Alert struct {
	Rule    string            `json:"rule"`
	Queue   string            `json:"queue"`
	Task    string            `json:"task,omitempty"`
	Tenant  string            `json:"tenant,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	State   string            `json:"state"`
	Summary string            `json:"summary"`
	Since   time.Time         `json:"since"`
	FiredAt time.Time         `json:"fired_at,omitzero"`
	Sent    int               `json:"sent"`
}

// FromAlert returns the document for a.
func FromAlert(a sluice.Alert) Alert {
	return Alert{Rule: a.Rule, Queue: a.Queue, Task: a.Task, Tenant: a.Tenant, Labels: a.Labels, State: a.State,
		Summary: a.Summary, Since: utc(a.Since), FiredAt: utc(a.FiredAt), Sent: a.Sent}
}

// Alert returns the alert a describes.
func (a Alert) Alert() sluice.Alert {
	return sluice.Alert{Rule: a.Rule, Queue: a.Queue, Task: a.Task, Tenant: a.Tenant, Labels: a.Labels, State: a.State,
		Summary: a.Summary, Since: a.Since, FiredAt: a.FiredAt, Sent: a.Sent}
}

// AgeCounts are a queue's or tenant's active task counts by age.
type AgeCounts struct {
	Waiting        int      `json:"waiting"`
	Running        int      `json:"running"`
	WaitingBuckets []int    `json:"waiting_buckets"`
	RunningBuckets []int    `json:"running_buckets"`
	Orphaned       int      `json:"orphaned"`
	Retrying       int      `json:"retrying"`
	OldestWaiting  Duration `json:"oldest_waiting"`
	OldestRunning  Duration `json:"oldest_running"`
}

func fromAgeCounts(c sluice.AgeCounts) AgeCounts {
	return AgeCounts{Waiting: c.Waiting, Running: c.Running, WaitingBuckets: c.WaitingBuckets, RunningBuckets: c.RunningBuckets,
		Orphaned: c.Orphaned, Retrying: c.Retrying, OldestWaiting: Duration(c.OldestWaiting), OldestRunning: Duration(c.OldestRunning)}
}

func (c AgeCounts) counts() sluice.AgeCounts {
	return sluice.AgeCounts{Waiting: c.Waiting, Running: c.Running, WaitingBuckets: c.WaitingBuckets, RunningBuckets: c.RunningBuckets,
		Orphaned: c.Orphaned, Retrying: c.Retrying, OldestWaiting: time.Duration(c.OldestWaiting), OldestRunning: time.Duration(c.OldestRunning)}
}

// TaskAges is one tracked queue's entry of GET /v1/monitor/buckets: bucket
// i of waiting_buckets and running_buckets counts the tasks at least
// buckets[i] old and younger than buckets[i+1].
type TaskAges struct {
	Queue   string     `json:"queue"`
	Buckets []Duration `json:"buckets"`
	AgeCounts
	Tenants map[string]AgeCounts `json:"tenants,omitempty"`
}

// FromTaskAges returns the document for a.
func FromTaskAges(a sluice.TaskAges) TaskAges {
	d := TaskAges{Queue: a.Queue, AgeCounts: fromAgeCounts(a.AgeCounts)}
	for _, b := range a.Bounds {
		d.Buckets = append(d.Buckets, Duration(b))
	}
	if a.Tenants != nil {
		d.Tenants = map[string]AgeCounts{}
		for name, c := range a.Tenants {
			d.Tenants[name] = fromAgeCounts(*c)
		}
	}
	return d
}

// TaskAges returns the counts d describes.
func (d TaskAges) TaskAges() sluice.TaskAges {
	a := sluice.TaskAges{Queue: d.Queue, AgeCounts: d.AgeCounts.counts()}
	for _, b := range d.Buckets {
		a.Bounds = append(a.Bounds, time.Duration(b))
	}
	if d.Tenants != nil {
		a.Tenants = map[string]*sluice.AgeCounts{}
		for name, c := range d.Tenants {
			cc := c.counts()
			a.Tenants[name] = &cc
		}
	}
	return a
}

// ParseAge parses a duration query parameter ("45m", or seconds).
func ParseAge(field, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		var ok bool
		d, ok = parseDuration([]byte(s)) // a number of seconds
		if !ok {
			d = -1
		}
	}
	if d < 0 {
		return 0, sluice.Invalid(field, "%q is not a duration such as 45m", s)
	}
	return d, nil
}

// BucketsResponse is the body of GET /v1/monitor/buckets.
type BucketsResponse struct {
	Queues []TaskAges `json:"queues"`
}

// MonitorTasksResponse is the body of GET /v1/monitor/tasks: the tasks,
// oldest first.
type MonitorTasksResponse struct {
	Tasks []Task `json:"tasks"`
}

// RulesResponse is the body of GET /v1/monitor/rules.
type RulesResponse struct {
	Rules []AlertRule `json:"rules"`
}

// AlertsResponse is the body of GET /v1/monitor/alerts.
type AlertsResponse struct {
	Alerts []Alert `json:"alerts"`
}

// MonitorStatus is the body of GET /v1/monitor/status.
type MonitorStatus struct {
	LastEvaluatedAt time.Time `json:"last_evaluated_at,omitzero"`
	Healthy         bool      `json:"healthy"`
}

// Watch is a Task Monitor watch of external tasks: the body of PUT
// /v1/monitor/watches/{name} and an entry of GET /v1/monitor/watches.
type Watch struct {
	Name            string   `json:"name"`
	StartTopic      string   `json:"start_topic"`
	IDAttribute     string   `json:"id_attribute,omitempty"`
	IDPath          string   `json:"id_path,omitempty"`
	TenantAttribute string   `json:"tenant_attribute,omitempty"`
	CompleteTopic   string   `json:"complete_topic,omitempty"`
	StatusURL       string   `json:"status_url,omitempty"`
	PollInterval    Duration `json:"poll_interval,omitempty"`
	DoneStatus      []int    `json:"done_status,omitempty"`
	DoneMatch       string   `json:"done_match,omitempty"`
	FailedMatch     string   `json:"failed_match,omitempty"`
	ErrorAttribute  string   `json:"error_attribute,omitempty"`
	Retention       Duration `json:"retention,omitempty"`
}

// FromWatch returns the document for w.
func FromWatch(w sluice.Watch) Watch {
	return Watch{Name: w.Name, StartTopic: w.StartTopic, IDAttribute: w.IDAttribute, IDPath: w.IDPath,
		TenantAttribute: w.TenantAttribute, CompleteTopic: w.CompleteTopic, StatusURL: w.StatusURL,
		PollInterval: Duration(w.PollInterval), DoneStatus: w.DoneStatus, DoneMatch: w.DoneMatch, FailedMatch: w.FailedMatch, ErrorAttribute: w.ErrorAttribute,
		Retention: Duration(w.Retention)}
}

// Watch returns the watch d describes.
func (d Watch) Watch() sluice.Watch {
	return sluice.Watch{Name: d.Name, StartTopic: d.StartTopic, IDAttribute: d.IDAttribute, IDPath: d.IDPath,
		TenantAttribute: d.TenantAttribute, CompleteTopic: d.CompleteTopic, StatusURL: d.StatusURL,
		PollInterval: time.Duration(d.PollInterval), DoneStatus: d.DoneStatus, DoneMatch: d.DoneMatch, FailedMatch: d.FailedMatch, ErrorAttribute: d.ErrorAttribute,
		Retention: time.Duration(d.Retention)}
}

// WatchesResponse is the body of GET /v1/monitor/watches.
type WatchesResponse struct {
	Watches []Watch `json:"watches"`
}
