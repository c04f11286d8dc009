package sluice

import (
	"cmp"
	"time"
)

// TaskState is where a task of a tracked queue is in its lifecycle.
type TaskState string

// Task states. Queued, delayed, running and failed tasks are active; the
// others are finished and kept for the queue's TaskPolicy.Retention.
const (
	// TaskQueued tasks wait to be received.
	TaskQueued TaskState = "queued"
	// TaskDelayed tasks wait for their send delay to pass.
	TaskDelayed TaskState = "delayed"
	// TaskRunning tasks are leased to a worker.
	TaskRunning TaskState = "running"
	// TaskFailed tasks failed an attempt and wait for their next one.
	TaskFailed TaskState = "failed"
	// TaskSucceeded tasks were completed by a worker, with a result.
	TaskSucceeded TaskState = "succeeded"
	// TaskDead tasks used up their attempts or failed permanently; they were
	// moved to the queue's dead-letter queue when it has one.
	TaskDead TaskState = "dead"
	// TaskExpired tasks outlived the queue's retention unfinished.
	TaskExpired TaskState = "expired"
	// TaskPurged tasks were deleted by a purge of their queue.
	TaskPurged TaskState = "purged"
)

// Active reports whether s is a state of an unfinished task.
func (s TaskState) Active() bool {
	switch s {
	case TaskQueued, TaskDelayed, TaskRunning, TaskFailed:
		return true
	}
	return false
}

// Valid reports whether s is one of the task states.
func (s TaskState) Valid() bool {
	switch s {
	case TaskQueued, TaskDelayed, TaskRunning, TaskFailed, TaskSucceeded, TaskDead, TaskExpired, TaskPurged:
		return true
	}
	return false
}

// Task policy defaults, applied when a TaskPolicy field is zero.
const (
	DefaultMaxAttempts    = 5
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = 15 * time.Minute
	DefaultTaskRetention  = 24 * time.Hour
	DefaultMaxResultSize  = 64 << 10
	MaxTaskResultSize     = 1 << 20
	MaxTaskErrorSize      = 4 << 10
	MaxTaskAttempts       = 1000
	MaxTaskWorkerIDLength = 128
)

// TaskPolicy makes a queue tracked: every message is a task whose status the
// server keeps, and failed attempts are retried with exponential backoff and
// jitter. A zero field means the default.
type TaskPolicy struct {
	// MaxAttempts is how many times a task is delivered before it is dead
	// (default 5, at most 1000), or the queue's DeadLetter.MaxReceives when
	// that is lower. A lease that expires counts as an attempt.
	MaxAttempts int
	// MinBackoff is the wait before the second attempt (default 1s); each
	// later wait doubles, up to MaxBackoff (default 15m). The server waits
	// between half and all of that, at random.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Retention is how long finished statuses are kept (default 24h, at most
	// Limits.MaxRetention).
	Retention time.Duration
	// MaxResultSize caps a result payload in bytes (default 64 KiB, at most
	// 1 MiB).
	MaxResultSize int
}

// WithDefaults returns p with zero fields set to their defaults.
func (p TaskPolicy) WithDefaults() TaskPolicy {
	p.MaxAttempts = cmp.Or(p.MaxAttempts, DefaultMaxAttempts)
	p.MinBackoff = cmp.Or(p.MinBackoff, DefaultMinBackoff)
	p.MaxBackoff = cmp.Or(p.MaxBackoff, max(DefaultMaxBackoff, p.MinBackoff))
	p.Retention = cmp.Or(p.Retention, DefaultTaskRetention)
	p.MaxResultSize = cmp.Or(p.MaxResultSize, DefaultMaxResultSize)
	return p
}

// Backoff returns the longest wait before attempt+1 after attempt failed:
// MinBackoff doubled attempt-1 times, at most MaxBackoff. p must have its
// defaults applied.
func (p TaskPolicy) Backoff(attempt int) time.Duration {
	d := p.MinBackoff
	for i := 1; i < attempt && d < p.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.MaxBackoff)
}

// TaskStatus is what the server knows of one task.
type TaskStatus struct {
	ID     string
	Queue  string
	Tenant string
	State  TaskState
	// Attempt is the number of deliveries so far; while running, the
	// current one.
	Attempt   int
	CreatedAt time.Time
	// StartedAt is when the current or last attempt began; zero before the
	// first.
	StartedAt time.Time
	// LeaseDeadline is when a running task's lease ends unless extended.
	LeaseDeadline time.Time
	// Worker is the id the running (or last) worker gave when receiving.
	Worker string
	// NextAttemptAt is when a failed or delayed task becomes ready again.
	NextAttemptAt time.Time
	FinishedAt    time.Time
	// LastError is the error of the last failed attempt.
	LastError string
	// Result is a succeeded task's result payload.
	Result []byte
	// DeadLetterQueue names the queue a dead task was moved to, if any.
	DeadLetterQueue string
}

// TaskFailure reports a failed attempt.
type TaskFailure struct {
	// Error says what went wrong (at most 4 KiB are kept).
	Error string
	// RetryAfter, when set, replaces the policy's backoff for the next
	// attempt.
	RetryAfter *time.Duration
	// Permanent makes the task dead at once, without further attempts.
	Permanent bool
}

// TaskFilter selects tasks of a queue for a listing. Zero fields match all.
type TaskFilter struct {
	Tenant string
	// States matches any of the given states; empty matches all.
	States []TaskState
	// After is a cursor: the Next of the previous page.
	After uint64
	// Limit caps the page (default 100).
	Limit int
}

// TaskPage is one page of a task listing, in order of creation.
type TaskPage struct {
	Tasks []TaskStatus
	// Next is the cursor of the following page, or zero on the last one.
	Next uint64
}

// TaskAgeKind selects active tasks for the Task Monitor.
type TaskAgeKind string

// Kinds of active tasks the monitor tells apart. Waiting tasks (queued,
// delayed, failed) are aged from their creation, running ones from the
// start of their attempt.
const (
	AgeWaiting TaskAgeKind = "waiting"
	AgeRunning TaskAgeKind = "running"
	// AgeOrphaned tasks are waiting again because a lease expired (or was
	// given back) without a result: their worker vanished.
	AgeOrphaned TaskAgeKind = "orphaned"
	// AgeRetrying tasks are waiting for another attempt after a failed one.
	AgeRetrying TaskAgeKind = "retrying"
)

// Valid reports whether k is one of the kinds.
func (k TaskAgeKind) Valid() bool {
	switch k {
	case AgeWaiting, AgeRunning, AgeOrphaned, AgeRetrying:
		return true
	}
	return false
}

// TaskAges counts a tracked queue's active tasks by age. Bucket i holds the
// tasks at least Bounds[i] old and younger than Bounds[i+1] (the last is
// open-ended); tasks younger than Bounds[0] are in no bucket but in the
// totals.
type TaskAges struct {
	Queue  string
	Bounds []time.Duration
	AgeCounts
	// Tenants holds the same counts per tenant, when asked for.
	Tenants map[string]*AgeCounts
}

// AgeCounts are the counts of TaskAges for one queue or tenant.
type AgeCounts struct {
	Waiting, Running             int // totals
	WaitingBuckets               []int
	RunningBuckets               []int
	Orphaned, Retrying           int
	OldestWaiting, OldestRunning time.Duration
}

// TaskAgeQuery selects active tasks of a tracked queue by kind and age,
// for a listing oldest first.
type TaskAgeQuery struct {
	Kind TaskAgeKind
	// Over and Under bound the age: at least Over, less than Under (zero
	// Under: no upper bound).
	Over, Under time.Duration
	Tenant      string
	Limit       int // default 100, at most 1000
}
