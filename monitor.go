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
