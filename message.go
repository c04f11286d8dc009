package sluice

import "time"

// Attribute is a typed message attribute, as in Amazon SQS. Type is "String",
// "Number" or "Binary", optionally followed by a custom suffix
// ("Number.float", "String.json"). String holds the value of String and
// Number attributes, Binary the value of Binary ones.
type Attribute struct {
	Type   string
	String string
	Binary []byte
}

// BaseType returns the attribute's type without its custom suffix.
func (a Attribute) BaseType() string {
	for i := 0; i < len(a.Type); i++ {
		if a.Type[i] == '.' {
			return a.Type[:i]
		}
	}
	return a.Type
}

// Message is a message as delivered by a receive.
type Message struct {
	ID         string
	Body       []byte
	Attributes map[string]Attribute
	Tenant     string // empty for the default tenant
	GroupID    string // FIFO message group
	DedupID    string // FIFO deduplication id
	Sequence   uint64 // increases with every send to the queue

	SentAt          time.Time
	FirstReceivedAt time.Time
	ReceiveCount    int
	// Receipt proves this delivery's lease; ack and visibility changes need it.
	// It goes stale when the message is received again.
	Receipt string
	// SourceQueue is set on messages moved to a dead-letter queue: the queue
	// they came from.
	SourceQueue string
	// TraceHeader is the tracing header the sender attached (SQS's
	// AWSTraceHeader system attribute), carried unchanged.
	TraceHeader string
}

// SendInput is one message to send.
type SendInput struct {
	Body       []byte
	Attributes map[string]Attribute
	Tenant     string
	GroupID    string // required on FIFO queues
	DedupID    string // FIFO only; defaults to the body's hash with ContentBasedDedup
	// Delay postpones delivery; nil means the queue's delay. On FIFO queues
	// only the queue's delay applies.
	Delay *time.Duration
	// TraceHeader is an opaque tracing header (an X-Ray trace header, SQS's
	// AWSTraceHeader system attribute) delivered with the message.
	TraceHeader string
}

// SendResult describes one accepted message.
type SendResult struct {
	ID       string
	Sequence uint64
	// Tracked is true when the queue is tracked: ID is also the task id.
	Tracked bool
	// Duplicate is true when a FIFO queue dropped the send as a duplicate of
	// the message with this ID within the deduplication window.
	Duplicate bool
}

// ReceiveOptions controls a receive.
type ReceiveOptions struct {
	// Max is the number of messages wanted (default 1, at most Limits.MaxReceiveBatch).
	Max int
	// VisibilityTimeout overrides the queue's for these messages; nil means the
	// queue's. Zero makes them visible again at once.
	VisibilityTimeout *time.Duration
	// WaitTime is how long to wait for a first message when none is ready; nil
	// means the queue's ReceiveWait.
	WaitTime *time.Duration
	// Worker identifies the receiver in the status of tracked queues' tasks
	// (at most 128 characters).
	Worker string
}

// VisibilityChange sets a received message's remaining invisibility. A zero
// Timeout returns the message at once (a nack); a positive one is a nack with
// delay or a lease extension.
type VisibilityChange struct {
	Receipt string
	Timeout time.Duration
}

// RedriveOptions controls moving messages out of a dead-letter queue.
type RedriveOptions struct {
	// Destination is the queue to move to; empty means each message's source queue.
	Destination string
	// Max caps how many messages are moved; zero means all that are ready.
	Max int
}
