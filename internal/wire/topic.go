package wire

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
)

// Topic is a topic's configuration as the server reports it: the body of
// GET /v1/topics/{name} and of the response that creates a topic.
type Topic struct {
	Name              string            `json:"name"`
	Type              sluice.QueueType  `json:"type"`
	ContentBasedDedup bool              `json:"content_based_dedup"`
	Tags              map[string]string `json:"tags"` // {} when the topic has none
	// DisplayName, Policy and DeliveryPolicy are SNS topic attributes,
	// stored as given.
	DisplayName    string    `json:"display_name,omitempty"`
	Policy         string    `json:"policy,omitempty"`
	DeliveryPolicy string    `json:"delivery_policy,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// FromTopicConfig returns the document for cfg. Times are given in UTC.
func FromTopicConfig(cfg sluice.TopicConfig) Topic {
	tags := cfg.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return Topic{
		Name:              cfg.Name,
		Type:              cfg.Type,
		ContentBasedDedup: cfg.ContentBasedDedup,
		Tags:              tags,
		DisplayName:       cfg.DisplayName,
		Policy:            cfg.Policy,
		DeliveryPolicy:    cfg.DeliveryPolicy,
		CreatedAt:         utc(cfg.CreatedAt),
		UpdatedAt:         utc(cfg.UpdatedAt),
	}
}

// TopicConfig returns the configuration t describes. An empty tag set
// becomes a nil map.
func (t Topic) TopicConfig() sluice.TopicConfig {
	tags := t.Tags
	if len(tags) == 0 {
		tags = nil
	}
	return sluice.TopicConfig{
		Name:              t.Name,
		Type:              t.Type,
		ContentBasedDedup: t.ContentBasedDedup,
		Tags:              tags,
		DisplayName:       t.DisplayName,
		Policy:            t.Policy,
		DeliveryPolicy:    t.DeliveryPolicy,
		CreatedAt:         t.CreatedAt,
		UpdatedAt:         t.UpdatedAt,
	}
}

// CreateTopicRequest is the body of POST /v1/topics. Omitted fields take the
// server's defaults: the type is fifo when the name ends in ".fifo".
type CreateTopicRequest struct {
	Name              string            `json:"name"`
	Type              sluice.QueueType  `json:"type,omitempty"`
	ContentBasedDedup bool              `json:"content_based_dedup,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	DisplayName       string            `json:"display_name,omitempty"`
	Policy            string            `json:"policy,omitempty"`
	DeliveryPolicy    string            `json:"delivery_policy,omitempty"`
}

// FromCreateTopic returns the request that creates a topic configured as
// cfg. CreatedAt and UpdatedAt are not sent.
func FromCreateTopic(cfg sluice.TopicConfig) CreateTopicRequest {
	return CreateTopicRequest{Name: cfg.Name, Type: cfg.Type, ContentBasedDedup: cfg.ContentBasedDedup, Tags: cfg.Tags,
		DisplayName: cfg.DisplayName, Policy: cfg.Policy, DeliveryPolicy: cfg.DeliveryPolicy}
}

// TopicConfig returns the configuration r asks for. Validation of the values
// is the engine's.
func (r CreateTopicRequest) TopicConfig() sluice.TopicConfig {
	return sluice.TopicConfig{Name: r.Name, Type: r.Type, ContentBasedDedup: r.ContentBasedDedup, Tags: r.Tags,
		DisplayName: r.DisplayName, Policy: r.Policy, DeliveryPolicy: r.DeliveryPolicy}
}

// UpdateTopicRequest is the body of PATCH /v1/topics/{name}. An omitted
// field leaves the attribute unchanged; none may be null.
type UpdateTopicRequest struct {
	ContentBasedDedup *bool   `json:"content_based_dedup,omitempty"`
	DisplayName       *string `json:"display_name,omitempty"`
	Policy            *string `json:"policy,omitempty"`
	DeliveryPolicy    *string `json:"delivery_policy,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler: it decodes strictly and
// rejects nulls.
func (r *UpdateTopicRequest) UnmarshalJSON(b []byte) error {
	type plain UpdateTopicRequest
	var p plain
	if err := Decode(b, &p); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := Decode(b, &members); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if string(members[name]) == "null" {
			return sluice.Invalid(name, "must not be null; omit it to leave the attribute unchanged")
		}
	}
	*r = UpdateTopicRequest(p)
	return nil
}

// FromTopicUpdate returns the request for u.
func FromTopicUpdate(u sluice.TopicUpdate) UpdateTopicRequest {
	return UpdateTopicRequest{ContentBasedDedup: u.ContentBasedDedup, DisplayName: u.DisplayName, Policy: u.Policy, DeliveryPolicy: u.DeliveryPolicy}
}

// TopicUpdate returns the update r asks for.
func (r UpdateTopicRequest) TopicUpdate() sluice.TopicUpdate {
	return sluice.TopicUpdate{ContentBasedDedup: r.ContentBasedDedup, DisplayName: r.DisplayName, Policy: r.Policy, DeliveryPolicy: r.DeliveryPolicy}
}

// ListTopicsResponse is the body of GET /v1/topics: one page of topics in
// name order. Next is the name to pass as after for the following page, or
// empty on the last page.
type ListTopicsResponse struct {
	Topics []Topic `json:"topics"`
	Next   string  `json:"next"`
}

// PublishMessage is one message to publish to a topic: the body of a single
// publish or an entry of a batch. Body is required and is text: topic
// messages are delivered inside JSON envelopes, as in Amazon SNS.
type PublishMessage struct {
	Body       *string    `json:"body,omitempty"`
	Subject    string     `json:"subject,omitempty"`
	Attributes Attributes `json:"attributes,omitempty"`
	Tenant     string     `json:"tenant,omitempty"`
	GroupID    string     `json:"group_id,omitempty"`
	DedupID    string     `json:"dedup_id,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler, decoding strictly. Members
// whose raw bytes are not valid UTF-8 are an invalid argument naming the
// member: encoding/json would silently replace the bytes with U+FFFD, and a
// body must be delivered exactly as published or not at all.
func (m *PublishMessage) UnmarshalJSON(b []byte) error {
	if !utf8.Valid(b) {
		return invalidUTF8(b)
	}
	type plain PublishMessage
	var p plain
	if err := Decode(b, &p); err != nil {
		return err
	}
	*m = PublishMessage(p)
	return nil
}

// invalidUTF8 returns the error for a JSON object holding bytes that are
// not valid UTF-8, naming the first member, in name order, that holds
// them.
func invalidUTF8(b []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err == nil {
		for _, name := range slices.Sorted(maps.Keys(members)) {
			if !utf8.Valid(members[name]) {
				return sluice.Invalid(name, "must be valid UTF-8 text")
			}
		}
	}
	return sluice.Invalid("", "the request must be valid UTF-8")
}

// FromPublishInput returns the document for in. A body that is not valid
// UTF-8 cannot be represented; callers check it first (the client reports
// an invalid argument without sending).
func FromPublishInput(in sluice.PublishInput) PublishMessage {
	body := string(in.Body)
	return PublishMessage{
		Body:       &body,
		Subject:    in.Subject,
		Attributes: fromAttributes(in.Attributes),
		Tenant:     in.Tenant,
		GroupID:    in.GroupID,
		DedupID:    in.DedupID,
	}
}

// PublishInput returns the message m describes. It returns an
// invalid-argument error, naming the field relative to m, when the body is
// missing or an attribute's members do not suit its type. Limits and the
// FIFO rules are the engine's to check.
func (m PublishMessage) PublishInput() (sluice.PublishInput, error) {
	if m.Body == nil {
		return sluice.PublishInput{}, sluice.Invalid("body", "is required")
	}
	attrs, err := toAttributes(m.Attributes)
	if err != nil {
		return sluice.PublishInput{}, err
	}
	return sluice.PublishInput{
		Body:       []byte(*m.Body),
		Subject:    m.Subject,
		Attributes: attrs,
		Tenant:     m.Tenant,
		GroupID:    m.GroupID,
		DedupID:    m.DedupID,
	}, nil
}

// PublishRequest is the body of POST /v1/topics/{name}/publish: either one
// message or a batch, shaped as SendRequest is. In JSON a single publish is
// the message's members at the top level; a batch is {"messages": [...]}
// and has no other members.
type PublishRequest struct {
	Message  *PublishMessage  // the message of a single publish
	Messages []PublishMessage // the entries of a batch; non-nil for a batch
}

// MarshalJSON implements json.Marshaler.
func (r PublishRequest) MarshalJSON() ([]byte, error) {
	if r.Messages != nil {
		return json.Marshal(struct {
			Messages []PublishMessage `json:"messages"`
		}{r.Messages})
	}
	if r.Message == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(r.Message)
}

// UnmarshalJSON implements json.Unmarshaler, decoding strictly and naming
// batch entries in errors as "messages[i]".
func (r *PublishRequest) UnmarshalJSON(b []byte) error {
	var members map[string]json.RawMessage
	if err := Decode(b, &members); err != nil {
		return err
	}
	list, batch := members["messages"]
	if !batch {
		var m PublishMessage
		if err := Decode(b, &m); err != nil {
			return err
		}
		*r = PublishRequest{Message: &m}
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if name != "messages" {
			return sluice.Invalid(name, "must not be given beside messages; set it on each entry")
		}
	}
	*r = PublishRequest{}
	if err := decodeList(list, "messages", &r.Messages); err != nil {
		return err
	}
	if r.Messages == nil {
		r.Messages = []PublishMessage{} // "messages": null is still a batch
	}
	return nil
}

// Batch reports whether r is a batch publish, whose response is a
// PublishBatchResponse rather than a PublishResult.
func (r PublishRequest) Batch() bool { return r.Messages != nil }

// PublishInputs returns the messages r asks to publish: one for a single
// publish, the batch's entries otherwise. Errors are those of
// PublishMessage.PublishInput, with fields prefixed "messages[i]" in a
// batch; an empty batch is an invalid argument too.
func (r PublishRequest) PublishInputs() ([]sluice.PublishInput, error) {
	if !r.Batch() {
		var m PublishMessage
		if r.Message != nil {
			m = *r.Message
		}
		in, err := m.PublishInput()
		if err != nil {
			return nil, err
		}
		return []sluice.PublishInput{in}, nil
	}
	if len(r.Messages) == 0 {
		return nil, sluice.Invalid("messages", "must not be empty")
	}
	ins := make([]sluice.PublishInput, len(r.Messages))
	for i, m := range r.Messages {
		in, err := m.PublishInput()
		if err != nil {
			return nil, sluice.WithField(fmt.Sprintf("messages[%d]", i), err)
		}
		ins[i] = in
	}
	return ins, nil
}

// PublishResult is the response to a single publish and an entry of a
// batch's. Deliveries counts the subscriptions the message was copied to.
type PublishResult struct {
	ID         string `json:"id"`
	Sequence   uint64 `json:"sequence"`
	Duplicate  bool   `json:"duplicate"`
	Deliveries int    `json:"deliveries"`
}

// FromPublishResult returns the document for r.
func FromPublishResult(r sluice.PublishResult) PublishResult {
	return PublishResult{ID: r.ID, Sequence: r.Sequence, Duplicate: r.Duplicate, Deliveries: r.Deliveries}
}

// PublishResult returns the result r describes.
func (r PublishResult) PublishResult() sluice.PublishResult {
	return sluice.PublishResult{ID: r.ID, Sequence: r.Sequence, Duplicate: r.Duplicate, Deliveries: r.Deliveries}
}

// PublishBatchResponse is the response to a batch publish, its entries in
// the order of the request's.
type PublishBatchResponse struct {
	Messages []PublishResult `json:"messages"`
}
