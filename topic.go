package sluice

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// TopicConfig is a topic's configuration. A zero field means the default.
type TopicConfig struct {
	Name string
	// Type is Standard, or FIFO for topics whose names end in ".fifo": FIFO
	// topics keep order within a message group and feed FIFO queues only.
	Type QueueType
	// ContentBasedDedup makes a FIFO topic use the SHA-256 of the body as
	// the deduplication id when a publish gives none.
	ContentBasedDedup bool
	Tags              map[string]string
	// DisplayName, Policy and DeliveryPolicy are SNS topic attributes,
	// stored as given: Sluice shows them but does not apply the policies
	// (subscriptions have their own delivery policy).
	DisplayName    string
	Policy         string
	DeliveryPolicy string

	CreatedAt time.Time // set by the engine
	UpdatedAt time.Time // set by the engine
}

// TopicUpdate changes some of a topic's attributes; nil fields are left alone.
type TopicUpdate struct {
	ContentBasedDedup *bool
	DisplayName       *string
	Policy            *string
	DeliveryPolicy    *string
}

// ValidateTopicConfig checks the attributes of a topic other than its name.
func ValidateTopicConfig(cfg TopicConfig) error {
	if cfg.ContentBasedDedup && cfg.Type != FIFO {
		return Invalid("content_based_dedup", "applies to FIFO topics only")
	}
	if len(cfg.DisplayName) > 100 || !utf8.ValidString(cfg.DisplayName) {
		return Invalid("display_name", "must be at most 100 bytes of UTF-8")
	}
	for _, doc := range []struct{ field, value string }{{"policy", cfg.Policy}, {"delivery_policy", cfg.DeliveryPolicy}} {
		if len(doc.value) > 30<<10 {
			return &LimitError{Field: doc.field, Limit: 30 << 10, Got: int64(len(doc.value))}
		}
		if doc.value != "" && !json.Valid([]byte(doc.value)) {
			return Invalid(doc.field, "is not a JSON document")
		}
	}
	return ValidateTags(cfg.Tags)
}

// Protocol is how a subscription receives its copies.
type Protocol string

// Subscription protocols.
const (
	// ProtocolQueue delivers into a queue of the same server.
	ProtocolQueue Protocol = "queue"
	// ProtocolHTTP and ProtocolHTTPS POST each message to an endpoint.
	ProtocolHTTP  Protocol = "http"
	ProtocolHTTPS Protocol = "https"
)

// Filter scopes, as in Amazon SNS.
const (
	ScopeAttributes = "MessageAttributes"
	ScopeBody       = "MessageBody"
)

// Subscription is one consumer of a topic.
type Subscription struct {
	// ID identifies the subscription; it names its topic ("orders/3f2a…").
	ID       string
	Topic    string
	Protocol Protocol
	// Endpoint is the queue name for ProtocolQueue, else the URL.
	Endpoint string
	// FilterPolicy is an SNS filter policy in JSON; empty matches all.
	FilterPolicy string
	// FilterScope is ScopeAttributes (default) or ScopeBody.
	FilterScope string
	// Raw delivers the message body alone; otherwise the body is an
	// SNS-shaped JSON envelope with the message and its attributes.
	Raw bool
	// Delivery controls retries of HTTP deliveries.
	Delivery DeliveryPolicy
	// DeadLetterQueue receives HTTP deliveries that exhausted their attempts.
	DeadLetterQueue string
	// Confirmed is false for HTTP subscriptions until the endpoint confirms
	// them with the token it was sent; queue subscriptions start confirmed.
	Confirmed bool

	CreatedAt time.Time
}

// DeliveryPolicy controls HTTP push retries. A zero field means the default.
type DeliveryPolicy struct {
	MaxAttempts int           // default 5
	MinBackoff  time.Duration // first retry delay (default 1s)
	MaxBackoff  time.Duration // cap on the exponential delay (default 1m)
	Timeout     time.Duration // per request (default 15s)
	MaxRate     float64       // deliveries per second to this endpoint; 0 is unlimited
}

// WithDefaults returns p with zero fields set to their defaults.
func (p DeliveryPolicy) WithDefaults() DeliveryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 5
	}
	if p.MinBackoff == 0 {
		p.MinBackoff = time.Second
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = time.Minute
	}
	if p.Timeout == 0 {
		p.Timeout = 15 * time.Second
	}
	return p
}

// SubscriptionUpdate changes some of a subscription's attributes; nil
// fields are left alone.
type SubscriptionUpdate struct {
	FilterPolicy    *string
	FilterScope     *string
	Raw             *bool
	Delivery        *DeliveryPolicy
	DeadLetterQueue *string
}

// PublishInput is one message to publish.
type PublishInput struct {
	Body       []byte
	Subject    string
	Attributes map[string]Attribute
	Tenant     string
	GroupID    string // required on FIFO topics
	DedupID    string // FIFO only
}

// PublishResult describes one published message.
type PublishResult struct {
	ID       string
	Sequence uint64 // FIFO topics: increases with every publish
	// Duplicate is true when a FIFO topic dropped the publish as a
	// duplicate of the message with this ID.
	Duplicate bool
	// Deliveries counts the subscriptions the message was copied to.
	Deliveries int
}
