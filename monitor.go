package sluice

import "time"

// Conditions of alert rules.
const (
	// CondRunningAge fires per task that has run for the threshold.
	CondRunningAge = "running_age"
	// CondWaitingAge fires per task that has waited for the threshold.
	CondWaitingAge = "waiting_age"
	// CondOrphaned fires per orphaned task (its lease expired without a
	// result) once it is the threshold old.
	CondOrphaned = "orphaned"
	// CondBucketCount fires per queue when more than Count active tasks
	// (or only those of Kind) are at least the threshold old.
	CondBucketCount = "bucket_count"
	// CondOldestAge fires per queue when its oldest waiting task is at
	// least the threshold old.
	CondOldestAge = "oldest_age"
)

// AlertRule is a Task Monitor alert rule. Per-task conditions fire once per
// task, aggregate ones once per queue; every notice goes to the log, to
// the rule's webhooks and to its topic.
type AlertRule struct {
	Name string
	// Queue limits the rule to one tracked queue; empty means all of them.
	Queue     string
	Tenant    string
	Condition string
	Threshold time.Duration
	Count     int         // CondBucketCount's limit
	Kind      TaskAgeKind // narrows CondBucketCount to waiting or running tasks
	// For is how long the condition must hold before the alert fires.
	For time.Duration
	// Repeat re-sends a firing alert this often; zero sends it once.
	Repeat   time.Duration
	Labels   map[string]string
	Webhooks []string
	Topic    string
}

// PerTask reports whether the rule fires per task rather than per queue.
func (r AlertRule) PerTask() bool {
	return r.Condition == CondRunningAge || r.Condition == CondWaitingAge || r.Condition == CondOrphaned
}

// Alert is an active alert: a rule whose condition holds for a queue or a
// task.
type Alert struct {
	Rule   string
	Queue  string
	Task   string // per-task rules only
	Tenant string
	Labels map[string]string
	// State is "pending" until the condition has held for the rule's For,
	// then "firing".
	State   string
	Summary string
	Since   time.Time // when the condition was first seen
	FiredAt time.Time
	Sent    int // notices sent
}

// WatchQueuePrefix starts the name under which a watch's external tasks
// appear in the Task Monitor's buckets, listings and alerts:
// "watch:<name>". Queue names cannot contain ':', so it never names a queue.
const WatchQueuePrefix = "watch:"

// Watch makes the Task Monitor follow tasks that run outside Sluice, in a
// legacy system that only announces them. Each message published to
// StartTopic starts an external task, whose id is the message attribute
// IDAttribute or the value at IDPath (dot-separated keys) in its JSON body.
// The task ends when a message with the same id is published to
// CompleteTopic, or when the HTTP status URL (StatusURL with "{id}"
// replaced) answers one of DoneStatus and, if DoneMatch is set, a body
// containing it; FailedMatch and ErrorAttribute tell failures apart. An
// external task counts as running from its start message
// on: it gets the buckets, listings and alerts of tracked queues under the
// name WatchQueuePrefix+Name.
type Watch struct {
	Name        string
	StartTopic  string
	IDAttribute string
	IDPath      string
	// TenantAttribute names the attribute holding the task's tenant; empty
	// takes the tenant the message was published with.
	TenantAttribute string
	CompleteTopic   string
	StatusURL       string
	// PollInterval is how often each running task's status URL is asked
	// (default 1m).
	PollInterval time.Duration
	// DoneStatus are the HTTP statuses that mean done (default 200).
	DoneStatus []int
	DoneMatch  string
	// FailedMatch, if set, is text whose presence in a status answer (of
	// any status) means the task ended in failure: it ends as dead.
	FailedMatch string
	// ErrorAttribute, if set, names the attribute of completion messages
	// that says the task failed; its value becomes the task's error and
	// the task ends as dead.
	ErrorAttribute string
	// Retention keeps finished external tasks for lookups (default 1h).
	Retention time.Duration
}

// Queue returns the name the watch's tasks appear under.
func (w Watch) Queue() string { return WatchQueuePrefix + w.Name }
