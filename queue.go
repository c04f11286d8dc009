package sluice

import "time"

// QueueType says how a queue orders and deduplicates messages.
type QueueType string

// Queue types.
const (
	// Standard queues deliver at least once in best-effort order and share
	// dispatch fairly across tenants.
	Standard QueueType = "standard"
	// FIFO queues deliver in order within a message group, block a group while
	// its head is in flight and drop duplicates sent within the dedup window.
	FIFO QueueType = "fifo"
)

// Defaults applied by the engine when a QueueConfig field is zero.
const (
	DefaultVisibilityTimeout = 30 * time.Second
	DefaultRetention         = 4 * 24 * time.Hour
	DedupWindow              = 5 * time.Minute
)

// QueueConfig is a queue's configuration. A zero field means the default.
type QueueConfig struct {
	Name string
	Type QueueType // Standard when empty; a name ending in ".fifo" implies FIFO

	// VisibilityTimeout is how long a received message stays invisible before
	// it is delivered again (default 30s, at most Limits.MaxVisibilityTimeout).
	VisibilityTimeout time.Duration
	// Delay postpones the first delivery of every message (at most 15m).
	Delay time.Duration
	// Retention is how long a message is kept before it expires unreceived or
	// unacknowledged (default 4 days, 1 minute to 14 days).
	Retention time.Duration
	// ReceiveWait is the long-poll wait used when a receive asks for none.
	ReceiveWait time.Duration
	// MaxMessageSize caps the body plus attributes in bytes (default and
	// upper bound Limits.MaxMessageSize).
	MaxMessageSize int
	// DeadLetter, when set, moves a message to another queue once it has been
	// received MaxReceives times without being acknowledged.
	DeadLetter *DeadLetterPolicy
	// ContentBasedDedup makes a FIFO queue use the SHA-256 of the body as the
	// deduplication id when a send gives none.
	ContentBasedDedup bool
	// DisableFairness makes a standard queue deliver in send order across
	// tenants, ignoring tenant weights and limits. Fairness is on by
	// default; FIFO queues always serve groups round-robin.
	DisableFairness bool
	// Tags are free-form labels.
	Tags map[string]string
	// Tasks, when set, makes the queue tracked: each message is a task with
	// a status kept by the server (see TaskPolicy).
	Tasks *TaskPolicy

	// DedupScope is where a FIFO queue's deduplication ids must be unique:
	// DedupPerQueue (the default when empty) or DedupPerGroup.
	DedupScope string
	// ThroughputLimit is a FIFO queue's SQS FifoThroughputLimit,
	// "perQueue" (the default when empty) or "perMessageGroupId". Sluice
	// stores it; it imposes no throughput quota either way.
	ThroughputLimit string
	// Policy is the queue's access policy, a JSON document stored as
	// given (SQS's Policy attribute). It is not enforced.
	Policy string
	// RedriveAllowPolicy says which queues may use this one as their
	// dead-letter queue: a JSON document stored as given (SQS's
	// RedriveAllowPolicy attribute).
	RedriveAllowPolicy string
	// Encryption settings, stored for SQS clients: Sluice encrypts
	// nothing itself (use disk encryption).
	KMSKeyID        string
	KMSDataKeyReuse time.Duration
	ManagedSSE      bool

	CreatedAt time.Time // set by the engine
	UpdatedAt time.Time // set by the engine
}

// Deduplication scopes of FIFO queues.
const (
	DedupPerQueue = "queue"
	DedupPerGroup = "messageGroup"
)

// DeadLetterPolicy names a queue's dead-letter queue.
type DeadLetterPolicy struct {
	Queue       string
	MaxReceives int // 1 to 1000
}

// QueueUpdate changes some of a queue's attributes; nil fields are left alone.
type QueueUpdate struct {
	VisibilityTimeout *time.Duration
	Delay             *time.Duration
	Retention         *time.Duration
	ReceiveWait       *time.Duration
	MaxMessageSize    *int
	// DeadLetter replaces the policy; a policy with an empty Queue removes it.
	DeadLetter        *DeadLetterPolicy
	ContentBasedDedup *bool
	DedupScope        *string
	ThroughputLimit   *string
	Policy            *string
	// RedriveAllowPolicy replaces the stored policy; "" removes it.
	RedriveAllowPolicy *string
	KMSKeyID           *string
	KMSDataKeyReuse    *time.Duration
	ManagedSSE         *bool
	// Tasks replaces the task policy; a policy on an untracked queue makes
	// it tracked from then on. Tracking cannot be turned off.
	Tasks *TaskPolicy
}

// QueueStats is a point-in-time view of a queue.
type QueueStats struct {
	Name      string
	Visible   int           // ready to be received now
	InFlight  int           // received and not yet acknowledged or returned
	Delayed   int           // waiting for their delay to pass
	Waiting   int           // receives long-polling the queue now
	OldestAge time.Duration // age of the oldest message, zero when empty

	Sent         uint64 // messages accepted since the server started
	Received     uint64 // deliveries since the server started
	Acked        uint64
	Returned     uint64 // visibility changes and timeouts that made a message visible again
	DeadLettered uint64
	Expired      uint64
	Tenants      int // tenants with messages or recent deliveries
}
