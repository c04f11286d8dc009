package wire

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/sluicehq/sluice"
)

// FilterPolicy is an SNS filter policy. In requests it is a JSON object or
// a JSON string holding one (as Amazon SNS takes it); responses always give
// the object. The empty policy, which matches every message, is omitted
// from requests and is null in responses. Checking the policy itself is the
// engine's.
type FilterPolicy string

// MarshalJSON implements json.Marshaler: the policy's JSON when it is a
// well-formed JSON value, else a JSON string holding the text, so that the
// server reports what is wrong with it.
func (p FilterPolicy) MarshalJSON() ([]byte, error) {
	switch {
	case p == "":
		return []byte("null"), nil
	case json.Valid([]byte(p)):
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(p)); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	return json.Marshal(string(p))
}

// UnmarshalJSON implements json.Unmarshaler. An object is kept as its JSON
// text and a string as the text it holds; null leaves p unchanged. Any
// other JSON value is an invalid argument naming filter_policy, the member
// of this type in every request.
func (p *FilterPolicy) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '{':
		*p = FilterPolicy(b)
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = FilterPolicy(s)
		return nil
	}
	return sluice.Invalid("filter_policy", "must be a JSON object or a string holding one, not %s", literal(b))
}

// Delivery is an HTTP subscription's delivery policy. In a subscribe
// request a zero or omitted member takes its default (5 attempts, backoff
// from 1s to 1m, 15s timeout, no rate limit); responses give every value.
type Delivery struct {
	MaxAttempts int      `json:"max_attempts"`
	MinBackoff  Duration `json:"min_backoff"`
	MaxBackoff  Duration `json:"max_backoff"`
	Timeout     Duration `json:"timeout"`
	MaxRate     float64  `json:"max_rate"`
}

// UnmarshalJSON implements json.Unmarshaler, decoding strictly and naming
// members in errors as "delivery.<member>".
func (d *Delivery) UnmarshalJSON(b []byte) error {
	type plain Delivery
	var p plain
	if err := Decode(b, &p); err != nil {
		return sluice.WithField("delivery", err)
	}
	*d = Delivery(p)
	return nil
}

// fromDelivery returns the document for p, or nil for the zero policy of
// queue subscriptions.
func fromDelivery(p sluice.DeliveryPolicy) *Delivery {
	if p == (sluice.DeliveryPolicy{}) {
		return nil
	}
	return &Delivery{
		MaxAttempts: p.MaxAttempts,
		MinBackoff:  Duration(p.MinBackoff),
		MaxBackoff:  Duration(p.MaxBackoff),
		Timeout:     Duration(p.Timeout),
		MaxRate:     p.MaxRate,
	}
}

// policy returns the delivery policy d describes, or an invalid-argument
// error naming a negative member ("delivery.min_backoff"). Upper bounds
// are the engine's to check.
func (d *Delivery) policy() (sluice.DeliveryPolicy, error) {
	if d == nil {
		return sluice.DeliveryPolicy{}, nil
	}
	switch {
	case d.MaxAttempts < 0:
		return sluice.DeliveryPolicy{}, sluice.Invalid("delivery.max_attempts", "must not be negative")
	case d.MinBackoff < 0:
		return sluice.DeliveryPolicy{}, sluice.Invalid("delivery.min_backoff", "must not be negative")
	case d.MaxBackoff < 0:
		return sluice.DeliveryPolicy{}, sluice.Invalid("delivery.max_backoff", "must not be negative")
	case d.Timeout < 0:
		return sluice.DeliveryPolicy{}, sluice.Invalid("delivery.timeout", "must not be negative")
	case d.MaxRate < 0:
		return sluice.DeliveryPolicy{}, sluice.Invalid("delivery.max_rate", "must not be negative")
	}
	return sluice.DeliveryPolicy{
		MaxAttempts: d.MaxAttempts,
		MinBackoff:  time.Duration(d.MinBackoff),
		MaxBackoff:  time.Duration(d.MaxBackoff),
		Timeout:     time.Duration(d.Timeout),
		MaxRate:     d.MaxRate,
	}, nil
}

// Subscription is a subscription as the server reports it: the body of
// GET /v1/topics/{name}/subscriptions/{sub} and of the responses that
// create, change or confirm one.
type Subscription struct {
	// ID is "<topic>/<sub>"; <sub> names the subscription under its topic's
	// path.
	ID       string          `json:"id"`
	Topic    string          `json:"topic"`
	Protocol sluice.Protocol `json:"protocol"`
	Endpoint string          `json:"endpoint"`
	// FilterPolicy is null when the subscription takes every message.
	FilterPolicy FilterPolicy `json:"filter_policy"`
	// FilterScope is MessageAttributes or MessageBody, never empty.
	FilterScope string `json:"filter_scope"`
	Raw         bool   `json:"raw"`
	// Delivery is null for queue subscriptions, which have no retries.
	Delivery        *Delivery `json:"delivery"`
	DeadLetterQueue string    `json:"dead_letter_queue"`
	Confirmed       bool      `json:"confirmed"`
	CreatedAt       time.Time `json:"created_at,omitzero"`
}

// FromSubscription returns the document for s, with the default filter
// scope filled in. Times are given in UTC.
func FromSubscription(s sluice.Subscription) Subscription {
	scope := s.FilterScope
	if scope == "" {
		scope = sluice.ScopeAttributes
	}
	return Subscription{
		ID:              s.ID,
		Topic:           s.Topic,
		Protocol:        s.Protocol,
		Endpoint:        s.Endpoint,
		FilterPolicy:    FilterPolicy(s.FilterPolicy),
		FilterScope:     scope,
		Raw:             s.Raw,
		Delivery:        fromDelivery(s.Delivery),
		DeadLetterQueue: s.DeadLetterQueue,
		Confirmed:       s.Confirmed,
		CreatedAt:       utc(s.CreatedAt),
	}
}

// Subscription returns the subscription s describes. A delivery policy
// with negative values, which no server sends, is read as it is.
func (s Subscription) Subscription() sluice.Subscription {
	var d sluice.DeliveryPolicy
	if s.Delivery != nil {
		d = sluice.DeliveryPolicy{
			MaxAttempts: s.Delivery.MaxAttempts,
			MinBackoff:  time.Duration(s.Delivery.MinBackoff),
			MaxBackoff:  time.Duration(s.Delivery.MaxBackoff),
			Timeout:     time.Duration(s.Delivery.Timeout),
			MaxRate:     s.Delivery.MaxRate,
		}
	}
	return sluice.Subscription{
		ID:              s.ID,
		Topic:           s.Topic,
		Protocol:        s.Protocol,
		Endpoint:        s.Endpoint,
		FilterPolicy:    string(s.FilterPolicy),
		FilterScope:     s.FilterScope,
		Raw:             s.Raw,
		Delivery:        d,
		DeadLetterQueue: s.DeadLetterQueue,
		Confirmed:       s.Confirmed,
		CreatedAt:       s.CreatedAt,
	}
}

// SubscribeRequest is the body of POST /v1/topics/{name}/subscriptions.
// The topic is the path's. Confirmed pre-confirms an HTTP subscription, for
// operators who trust the endpoint; queue subscriptions are always
// confirmed.
type SubscribeRequest struct {
	Protocol        sluice.Protocol `json:"protocol"`
	Endpoint        string          `json:"endpoint"`
	FilterPolicy    FilterPolicy    `json:"filter_policy,omitempty"`
	FilterScope     string          `json:"filter_scope,omitempty"`
	Raw             bool            `json:"raw,omitempty"`
	Delivery        *Delivery       `json:"delivery,omitempty"`
	DeadLetterQueue string          `json:"dead_letter_queue,omitempty"`
	Confirmed       bool            `json:"confirmed,omitempty"`
}

// FromSubscribe returns the request that subscribes as s asks. ID, Topic
// and CreatedAt are not sent.
func FromSubscribe(s sluice.Subscription) SubscribeRequest {
	return SubscribeRequest{
		Protocol:        s.Protocol,
		Endpoint:        s.Endpoint,
		FilterPolicy:    FilterPolicy(s.FilterPolicy),
		FilterScope:     s.FilterScope,
		Raw:             s.Raw,
		Delivery:        fromDelivery(s.Delivery),
		DeadLetterQueue: s.DeadLetterQueue,
		Confirmed:       s.Confirmed,
	}
}

// Subscription returns the subscription of topic that r asks for, or an
// invalid-argument error naming a negative delivery member. Validation of
// the rest is the engine's.
func (r SubscribeRequest) Subscription(topic string) (sluice.Subscription, error) {
	d, err := r.Delivery.policy()
	if err != nil {
		return sluice.Subscription{}, err
	}
	return sluice.Subscription{
		Topic:           topic,
		Protocol:        r.Protocol,
		Endpoint:        r.Endpoint,
		FilterPolicy:    string(r.FilterPolicy),
		FilterScope:     r.FilterScope,
		Raw:             r.Raw,
		Delivery:        d,
		DeadLetterQueue: r.DeadLetterQueue,
		Confirmed:       r.Confirmed,
	}, nil
}

// UpdateSubscriptionRequest is the body of PATCH
// /v1/topics/{name}/subscriptions/{sub}. An omitted member leaves the
// attribute unchanged; filter_policy null or "" removes the policy. The
// other members must not be null. Delivery policies and dead-letter queues
// are fixed when subscribing.
type UpdateSubscriptionRequest struct {
	FilterPolicy *FilterPolicy `json:"filter_policy,omitempty"`
	FilterScope  *string       `json:"filter_scope,omitempty"`
	Raw          *bool         `json:"raw,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler: it decodes strictly, turns a
// null filter_policy into a removal and rejects other nulls.
func (r *UpdateSubscriptionRequest) UnmarshalJSON(b []byte) error {
	type plain UpdateSubscriptionRequest
	var p plain
	if err := Decode(b, &p); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := Decode(b, &members); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if !bytes.Equal(bytes.TrimSpace(members[name]), []byte("null")) {
			continue
		}
		if name != "filter_policy" {
			return sluice.Invalid(name, "must not be null; omit it to leave the attribute unchanged")
		}
		p.FilterPolicy = new(FilterPolicy)
	}
	*r = UpdateSubscriptionRequest(p)
	return nil
}

// FromSubscriptionUpdate returns the request for u, or an invalid-argument
// error when u changes what only subscribing sets: the delivery policy or
// the dead-letter queue.
func FromSubscriptionUpdate(u sluice.SubscriptionUpdate) (UpdateSubscriptionRequest, error) {
	switch {
	case u.Delivery != nil:
		return UpdateSubscriptionRequest{}, sluice.Invalid("delivery", "is set when subscribing and cannot change")
	case u.DeadLetterQueue != nil:
		return UpdateSubscriptionRequest{}, sluice.Invalid("dead_letter_queue", "is set when subscribing and cannot change")
	}
	var fp *FilterPolicy
	if u.FilterPolicy != nil {
		v := FilterPolicy(*u.FilterPolicy)
		fp = &v
	}
	return UpdateSubscriptionRequest{FilterPolicy: fp, FilterScope: u.FilterScope, Raw: u.Raw}, nil
}

// SubscriptionUpdate returns the update r asks for.
func (r UpdateSubscriptionRequest) SubscriptionUpdate() sluice.SubscriptionUpdate {
	var fp *string
	if r.FilterPolicy != nil {
		v := string(*r.FilterPolicy)
		fp = &v
	}
	return sluice.SubscriptionUpdate{FilterPolicy: fp, FilterScope: r.FilterScope, Raw: r.Raw}
}

// ListSubscriptionsResponse is the body of GET /v1/subscriptions and GET
// /v1/topics/{name}/subscriptions: one page of subscriptions, by topic name
// and then in creation order. Next is the id to pass as after for the
// following page, or empty on the last page.
type ListSubscriptionsResponse struct {
	Subscriptions []Subscription `json:"subscriptions"`
	Next          string         `json:"next"`
}

// ConfirmRequest is the body of POST /v1/topics/{name}/confirm: the token
// the server sent to the endpoint in its SubscriptionConfirmation message.
type ConfirmRequest struct {
	Token string `json:"token"`
}

// Validate returns an invalid-argument error when r has no token.
func (r ConfirmRequest) Validate() error {
	if r.Token == "" {
		return sluice.Invalid("token", "is required")
	}
	return nil
}
