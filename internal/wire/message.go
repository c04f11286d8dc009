package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
)

// Attribute is a typed message attribute. String and Number attributes
// (with optional custom suffixes such as "Number.float") carry Value; Binary
// ones carry Binary in standard base64 with padding.
type Attribute struct {
	Type   string `json:"type"`
	Value  string `json:"value,omitempty"`
	Binary string `json:"binary,omitempty"`
}

// FromAttribute returns the document for a.
func FromAttribute(a sluice.Attribute) Attribute {
	if a.BaseType() == "Binary" {
		return Attribute{Type: a.Type, Binary: base64.StdEncoding.EncodeToString(a.Binary)}
	}
	return Attribute{Type: a.Type, Value: a.String}
}

// Attribute returns the attribute a describes, or an invalid-argument error
// naming "value" or "binary" when the member does not suit the type or
// Binary is not base64. Checking the type itself is the engine's.
func (a Attribute) Attribute() (sluice.Attribute, error) {
	at := sluice.Attribute{Type: a.Type}
	if at.BaseType() != "Binary" {
		if a.Binary != "" {
			return sluice.Attribute{}, sluice.Invalid("binary", "is only for Binary attributes; %s attributes carry value", a.Type)
		}
		at.String = a.Value
		return at, nil
	}
	if a.Value != "" {
		return sluice.Attribute{}, sluice.Invalid("value", "must be empty for Binary attributes, which carry binary")
	}
	b, err := base64.StdEncoding.DecodeString(a.Binary)
	if err != nil {
		return sluice.Attribute{}, sluice.Invalid("binary", "is not valid base64: %v", err)
	}
	at.Binary = b
	return at, nil
}

// Attributes are the attributes of a message to send, by name. Decoding
// reports errors as "attributes.<name>.<member>", decoding the entries in
// name order.
type Attributes map[string]Attribute

// UnmarshalJSON implements json.Unmarshaler, decoding strictly.
func (a *Attributes) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := Decode(b, &raw); err != nil {
		return sluice.WithField("attributes", err)
	}
	if raw == nil {
		*a = nil
		return nil
	}
	out := make(Attributes, len(raw))
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		var at Attribute
		if err := Decode(raw[name], &at); err != nil {
			return sluice.WithField("attributes."+name, err)
		}
		out[name] = at
	}
	*a = out
	return nil
}

func fromAttributes(attrs map[string]sluice.Attribute) map[string]Attribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]Attribute, len(attrs))
	for name, a := range attrs {
		out[name] = FromAttribute(a)
	}
	return out
}

// toAttributes converts attribute documents, naming the failing one in
// errors ("attributes.color.binary").
func toAttributes(attrs map[string]Attribute) (map[string]sluice.Attribute, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	out := make(map[string]sluice.Attribute, len(attrs))
	for name, d := range attrs {
		a, err := d.Attribute()
		if err != nil {
			return nil, attributeError(attrs)
		}
		out[name] = a
	}
	return out, nil
}

// attributeError returns the error of the first attribute in name order
// that does not convert, so that the error does not depend on map order.
func attributeError(attrs map[string]Attribute) error {
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		if _, err := attrs[name].Attribute(); err != nil {
			return sluice.WithField("attributes."+name, err)
		}
	}
	return nil
}

// SendMessage is one message to send: the body of a single send or an entry
// of a batch. Exactly one of Body (text) and BodyBase64 (any bytes, standard
// base64 with padding) must be given.
type SendMessage struct {
	Body       *string    `json:"body,omitempty"`
	BodyBase64 *string    `json:"body_base64,omitempty"`
	Attributes Attributes `json:"attributes,omitempty"`
	Tenant     string     `json:"tenant,omitempty"`
	GroupID    string     `json:"group_id,omitempty"`
	DedupID    string     `json:"dedup_id,omitempty"`
	Delay      *Duration  `json:"delay,omitempty"`
}

// FromSendInput returns the document for in, carrying the body as text when
// it is valid UTF-8 and as base64 otherwise.
func FromSendInput(in sluice.SendInput) SendMessage {
	m := SendMessage{
		Attributes: fromAttributes(in.Attributes),
		Tenant:     in.Tenant,
		GroupID:    in.GroupID,
		DedupID:    in.DedupID,
		Delay:      durationPtr(in.Delay),
	}
	m.Body, m.BodyBase64 = encodeBody(in.Body)
	return m
}

// SendInput returns the message m describes. It returns an invalid-argument
// error, naming the field relative to m, when both or neither of body and
// body_base64 are given, when base64 does not decode, when an attribute's
// members do not suit its type, or when delay is negative. Limits are the
// engine's to check.
func (m SendMessage) SendInput() (sluice.SendInput, error) {
	var in sluice.SendInput
	switch {
	case m.Body != nil && m.BodyBase64 != nil:
		return in, sluice.Invalid("body_base64", "must not be given with body")
	case m.Body != nil:
		in.Body = []byte(*m.Body)
	case m.BodyBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*m.BodyBase64)
		if err != nil {
			return in, sluice.Invalid("body_base64", "is not valid base64: %v", err)
		}
		in.Body = b
	default:
		return in, sluice.Invalid("body", "is required, or body_base64 for binary bodies")
	}
	attrs, err := toAttributes(m.Attributes)
	if err != nil {
		return in, err
	}
	if m.Delay != nil && *m.Delay < 0 {
		return in, sluice.Invalid("delay", "must not be negative")
	}
	in.Attributes = attrs
	in.Tenant = m.Tenant
	in.GroupID = m.GroupID
	in.DedupID = m.DedupID
	in.Delay = m.Delay.ptr()
	return in, nil
}

// SendRequest is the body of POST /v1/queues/{name}/messages: either one
// message or a batch. In JSON a single send is the message's members at the
// top level; a batch is {"messages": [...]} and has no other members.
type SendRequest struct {
	Message  *SendMessage  // the message of a single send
	Messages []SendMessage // the entries of a batch; non-nil for a batch
}

// MarshalJSON implements json.Marshaler.
func (r SendRequest) MarshalJSON() ([]byte, error) {
	if r.Messages != nil {
		return json.Marshal(struct {
			Messages []SendMessage `json:"messages"`
		}{r.Messages})
	}
	if r.Message == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(r.Message)
}

// UnmarshalJSON implements json.Unmarshaler, decoding strictly and naming
// batch entries in errors as "messages[i]".
func (r *SendRequest) UnmarshalJSON(b []byte) error {
	var members map[string]json.RawMessage
	if err := Decode(b, &members); err != nil {
		return err
	}
	list, batch := members["messages"]
	if !batch {
		var m SendMessage
		if err := Decode(b, &m); err != nil {
			return err
		}
		*r = SendRequest{Message: &m}
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if name != "messages" {
			return sluice.Invalid(name, "must not be given beside messages; set it on each entry")
		}
	}
	*r = SendRequest{}
	if err := decodeList(list, "messages", &r.Messages); err != nil {
		return err
	}
	if r.Messages == nil {
		r.Messages = []SendMessage{} // "messages": null is still a batch
	}
	return nil
}

// Batch reports whether r is a batch send, whose response is a
// SendBatchResponse rather than a SendResult.
func (r SendRequest) Batch() bool { return r.Messages != nil }

// SendInputs returns the messages r asks to send: one for a single send, the
// batch's entries otherwise. Errors are those of SendMessage.SendInput, with
// fields prefixed "messages[i]" in a batch; an empty batch is an invalid
// argument too.
func (r SendRequest) SendInputs() ([]sluice.SendInput, error) {
	if !r.Batch() {
		var m SendMessage
		if r.Message != nil {
			m = *r.Message
		}
		in, err := m.SendInput()
		if err != nil {
			return nil, err
		}
		return []sluice.SendInput{in}, nil
	}
	if len(r.Messages) == 0 {
		return nil, sluice.Invalid("messages", "must not be empty")
	}
	ins := make([]sluice.SendInput, len(r.Messages))
	for i, m := range r.Messages {
		in, err := m.SendInput()
		if err != nil {
			return nil, sluice.WithField(fmt.Sprintf("messages[%d]", i), err)
		}
		ins[i] = in
	}
	return ins, nil
}

// SendResult is the response to a single send and an entry of a batch's.
type SendResult struct {
	ID        string `json:"id"`
	Sequence  uint64 `json:"sequence"`
	Duplicate bool   `json:"duplicate"`
	// Tracked is set when the queue is tracked and ID is a task id.
	Tracked bool `json:"tracked,omitempty"`
}

// FromSendResult returns the document for r.
func FromSendResult(r sluice.SendResult) SendResult {
	return SendResult{ID: r.ID, Sequence: r.Sequence, Duplicate: r.Duplicate, Tracked: r.Tracked}
}

// SendResult returns the result r describes.
func (r SendResult) SendResult() sluice.SendResult {
	return sluice.SendResult{ID: r.ID, Sequence: r.Sequence, Duplicate: r.Duplicate, Tracked: r.Tracked}
}

// SendBatchResponse is the response to a batch send, its entries in the
// order of the request's.
type SendBatchResponse struct {
	Messages []SendResult `json:"messages"`
}

// Message is a received message. Body holds the body when it is valid
// UTF-8, BodyBase64 otherwise.
type Message struct {
	ID              string               `json:"id"`
	Body            *string              `json:"body,omitempty"`
	BodyBase64      *string              `json:"body_base64,omitempty"`
	Attributes      map[string]Attribute `json:"attributes,omitempty"`
	Tenant          string               `json:"tenant,omitempty"`
	GroupID         string               `json:"group_id,omitempty"`
	DedupID         string               `json:"dedup_id,omitempty"`
	Sequence        uint64               `json:"sequence"`
	SentAt          time.Time            `json:"sent_at"`
	FirstReceivedAt time.Time            `json:"first_received_at,omitzero"`
	ReceiveCount    int                  `json:"receive_count"`
	Receipt         string               `json:"receipt"`
	SourceQueue     string               `json:"source_queue,omitempty"`
}

// FromMessage returns the document for m. Times are given in UTC.
func FromMessage(m sluice.Message) Message {
	w := Message{
		ID:              m.ID,
		Attributes:      fromAttributes(m.Attributes),
		Tenant:          m.Tenant,
		GroupID:         m.GroupID,
		DedupID:         m.DedupID,
		Sequence:        m.Sequence,
		SentAt:          utc(m.SentAt),
		FirstReceivedAt: utc(m.FirstReceivedAt),
		ReceiveCount:    m.ReceiveCount,
		Receipt:         m.Receipt,
		SourceQueue:     m.SourceQueue,
	}
	w.Body, w.BodyBase64 = encodeBody(m.Body)
	return w
}

// Message returns the message m describes, or an error when its base64 does
// not decode.
func (m Message) Message() (sluice.Message, error) {
	var body []byte
	switch {
	case m.Body != nil:
		body = []byte(*m.Body)
	case m.BodyBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*m.BodyBase64)
		if err != nil {
			return sluice.Message{}, fmt.Errorf("message %s: body_base64: %w", m.ID, err)
		}
		body = b
	}
	attrs, err := toAttributes(m.Attributes)
	if err != nil {
		return sluice.Message{}, fmt.Errorf("message %s: %w", m.ID, err)
	}
	return sluice.Message{
		ID:              m.ID,
		Body:            body,
		Attributes:      attrs,
		Tenant:          m.Tenant,
		GroupID:         m.GroupID,
		DedupID:         m.DedupID,
		Sequence:        m.Sequence,
		SentAt:          m.SentAt,
		FirstReceivedAt: m.FirstReceivedAt,
		ReceiveCount:    m.ReceiveCount,
		Receipt:         m.Receipt,
		SourceQueue:     m.SourceQueue,
	}, nil
}

// encodeBody returns body as text when it is valid UTF-8, as base64
// otherwise; exactly one result is non-nil.
func encodeBody(body []byte) (text, b64 *string) {
	if utf8.Valid(body) {
		s := string(body)
		return &s, nil
	}
	s := base64.StdEncoding.EncodeToString(body)
	return nil, &s
}
