package sluice

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by the engine and, through the client, by the server.
// Compare with errors.Is.
var (
	// ErrQueueNotFound means the named queue does not exist.
	ErrQueueNotFound = errors.New("queue not found")
	// ErrQueueExists means a queue with the name exists with other attributes.
	ErrQueueExists = errors.New("queue already exists with different attributes")
	// ErrReceiptInvalid means a receipt could not be decoded or names no message.
	ErrReceiptInvalid = errors.New("receipt is invalid")
	// ErrReceiptStale means the message was received again (or its lease ended)
	// after this receipt was issued, so the receipt no longer proves the lease.
	ErrReceiptStale = errors.New("receipt is stale: the message was received again or its lease expired")
	// ErrNotDeadLetterQueue means a redrive was asked of a queue that holds no
	// dead-lettered messages and names no destination.
	ErrNotDeadLetterQueue = errors.New("queue is not a dead-letter queue")
	// ErrQueueInUse means the queue cannot be deleted or changed because another
	// queue uses it as its dead-letter queue.
	ErrQueueInUse = errors.New("queue is in use as a dead-letter queue")
	// ErrTopicNotFound means the named topic does not exist.
	ErrTopicNotFound = errors.New("topic not found")
	// ErrTopicExists means a topic with the name exists with other attributes.
	ErrTopicExists = errors.New("topic already exists with different attributes")
	// ErrSubscriptionNotFound means no subscription has the given id.
	ErrSubscriptionNotFound = errors.New("subscription not found")
	// ErrTokenInvalid means a subscription confirmation token matches no
	// pending subscription of the topic.
	ErrTokenInvalid = errors.New("confirmation token is invalid")
	// ErrTierNotFound means the named tier does not exist.
	ErrTierNotFound = errors.New("tier not found")
	// ErrTenantNotFound means the tenant has neither a setting nor messages
	// where it was looked up.
	ErrTenantNotFound = errors.New("tenant not found")
	// ErrTaskNotFound means the queue has no task with the id, or its
	// finished status was dropped after the queue's task retention.
	ErrTaskNotFound = errors.New("task not found")
	// ErrNotTracked means a task operation was asked of a queue that is not
	// tracked.
	ErrNotTracked = errors.New("queue is not tracked")
	// ErrRuleNotFound means no alert rule has the name.
	ErrRuleNotFound = errors.New("alert rule not found")
	// ErrWatchNotFound means no Task Monitor watch has the name.
	ErrWatchNotFound = errors.New("watch not found")
	// ErrClosed means the engine is shutting down or has stopped.
	ErrClosed = errors.New("sluice engine is closed")
	// ErrUnavailable means the engine cannot accept writes, for example after a
	// journal write failed. The server reports not ready until restarted.
	ErrUnavailable = errors.New("sluice engine is unavailable")
)

// InvalidArgumentError reports a request field that failed validation.
// Field uses the native API's JSON names, with dots and indexes for nested
// values ("messages[3].body").
type InvalidArgumentError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e *InvalidArgumentError) Error() string {
	if e.Field == "" {
		return "invalid argument: " + e.Reason
	}
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason)
}

// Invalid returns an *InvalidArgumentError for field, formatting the reason.
func Invalid(field, format string, args ...any) error {
	return &InvalidArgumentError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// LimitError reports a request that exceeds a configured limit. Field names
// the offending value as in InvalidArgumentError; Limit is the bound.
type LimitError struct {
	Field string
	Limit int64
	Got   int64
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s is %d, over the limit of %d", e.Field, e.Got, e.Limit)
}

// WithField returns err with its field prefixed by prefix ("messages[2]"),
// for errors about one entry of a batch. Other errors are returned unchanged.
func WithField(prefix string, err error) error {
	var ia *InvalidArgumentError
	if errors.As(err, &ia) {
		return &InvalidArgumentError{Field: joinField(prefix, ia.Field), Reason: ia.Reason}
	}
	var le *LimitError
	if errors.As(err, &le) {
		return &LimitError{Field: joinField(prefix, le.Field), Limit: le.Limit, Got: le.Got}
	}
	return err
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	default:
		return prefix + "." + field
	}
}
