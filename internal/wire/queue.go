package wire

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/sluicehq/sluice"
)

// DeadLetter is a queue's dead-letter policy.
type DeadLetter struct {
	Queue       string `json:"queue"`
	MaxReceives int    `json:"max_receives"`
}

func fromDeadLetter(p *sluice.DeadLetterPolicy) *DeadLetter {
	if p == nil {
		return nil
	}
	return &DeadLetter{Queue: p.Queue, MaxReceives: p.MaxReceives}
}

func (d *DeadLetter) policy() *sluice.DeadLetterPolicy {
	if d == nil {
		return nil
	}
	return &sluice.DeadLetterPolicy{Queue: d.Queue, MaxReceives: d.MaxReceives}
}

// Queue is a queue's configuration as the server reports it, with every
// default filled in: the body of GET /v1/queues/{name} and of the responses
// that create or change a queue.
type Queue struct {
	Name              string            `json:"name"`
	Type              sluice.QueueType  `json:"type"`
	VisibilityTimeout Duration          `json:"visibility_timeout"`
	Delay             Duration          `json:"delay"`
	Retention         Duration          `json:"retention"`
	ReceiveWait       Duration          `json:"receive_wait"`
	MaxMessageSize    int               `json:"max_message_size"`
	DeadLetter        *DeadLetter       `json:"dead_letter"` // null when the queue has none
	ContentBasedDedup bool              `json:"content_based_dedup"`
	DisableFairness   bool              `json:"disable_fairness,omitempty"`
	Tags              map[string]string `json:"tags"`            // {} when the queue has none
	Tasks             *TaskPolicy       `json:"tasks,omitempty"` // omitted when the queue is not tracked
	CreatedAt         time.Time         `json:"created_at,omitzero"`
	UpdatedAt         time.Time         `json:"updated_at,omitzero"`
}

// FromQueueConfig returns the document for cfg. Times are given in UTC.
func FromQueueConfig(cfg sluice.QueueConfig) Queue {
	tags := cfg.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return Queue{
		Name:              cfg.Name,
		Type:              cfg.Type,
		VisibilityTimeout: Duration(cfg.VisibilityTimeout),
		Delay:             Duration(cfg.Delay),
		Retention:         Duration(cfg.Retention),
		ReceiveWait:       Duration(cfg.ReceiveWait),
		MaxMessageSize:    cfg.MaxMessageSize,
		DeadLetter:        fromDeadLetter(cfg.DeadLetter),
		ContentBasedDedup: cfg.ContentBasedDedup,
		DisableFairness:   cfg.DisableFairness,
		Tags:              tags,
		Tasks:             fromTaskPolicy(cfg.Tasks),
		CreatedAt:         utc(cfg.CreatedAt),
		UpdatedAt:         utc(cfg.UpdatedAt),
	}
}

// QueueConfig returns the configuration q describes. An empty tag set
// becomes a nil map.
func (q Queue) QueueConfig() sluice.QueueConfig {
	tags := q.Tags
	if len(tags) == 0 {
		tags = nil
	}
	return sluice.QueueConfig{
		Name:              q.Name,
		Type:              q.Type,
		VisibilityTimeout: time.Duration(q.VisibilityTimeout),
		Delay:             time.Duration(q.Delay),
		Retention:         time.Duration(q.Retention),
		ReceiveWait:       time.Duration(q.ReceiveWait),
		MaxMessageSize:    q.MaxMessageSize,
		DeadLetter:        q.DeadLetter.policy(),
		ContentBasedDedup: q.ContentBasedDedup,
		DisableFairness:   q.DisableFairness,
		Tags:              tags,
		Tasks:             q.Tasks.policy(),
		CreatedAt:         q.CreatedAt,
		UpdatedAt:         q.UpdatedAt,
	}
}

// CreateQueueRequest is the body of POST /v1/queues. Omitted or zero fields
// take the server's defaults.
type CreateQueueRequest struct {
	Name              string            `json:"name"`
	Type              sluice.QueueType  `json:"type,omitempty"`
	VisibilityTimeout Duration          `json:"visibility_timeout,omitempty"`
	Delay             Duration          `json:"delay,omitempty"`
	Retention         Duration          `json:"retention,omitempty"`
	ReceiveWait       Duration          `json:"receive_wait,omitempty"`
	MaxMessageSize    int               `json:"max_message_size,omitempty"`
	DeadLetter        *DeadLetter       `json:"dead_letter,omitempty"`
	ContentBasedDedup bool              `json:"content_based_dedup,omitempty"`
	DisableFairness   bool              `json:"disable_fairness,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	Tasks             *TaskPolicy       `json:"tasks,omitempty"`
}

// FromCreateQueue returns the request that creates a queue configured as cfg.
// CreatedAt and UpdatedAt are not sent.
func FromCreateQueue(cfg sluice.QueueConfig) CreateQueueRequest {
	return CreateQueueRequest{
		Name:              cfg.Name,
		Type:              cfg.Type,
		VisibilityTimeout: Duration(cfg.VisibilityTimeout),
		Delay:             Duration(cfg.Delay),
		Retention:         Duration(cfg.Retention),
		ReceiveWait:       Duration(cfg.ReceiveWait),
		MaxMessageSize:    cfg.MaxMessageSize,
		DeadLetter:        fromDeadLetter(cfg.DeadLetter),
		ContentBasedDedup: cfg.ContentBasedDedup,
		DisableFairness:   cfg.DisableFairness,
		Tags:              cfg.Tags,
		Tasks:             fromTaskPolicy(cfg.Tasks),
	}
}

// QueueConfig returns the configuration r asks for. Validation of the values
// is the engine's.
func (r CreateQueueRequest) QueueConfig() sluice.QueueConfig {
	return sluice.QueueConfig{
		Name:              r.Name,
		Type:              r.Type,
		VisibilityTimeout: time.Duration(r.VisibilityTimeout),
		Delay:             time.Duration(r.Delay),
		Retention:         time.Duration(r.Retention),
		ReceiveWait:       time.Duration(r.ReceiveWait),
		MaxMessageSize:    r.MaxMessageSize,
		DeadLetter:        r.DeadLetter.policy(),
		ContentBasedDedup: r.ContentBasedDedup,
		DisableFairness:   r.DisableFairness,
		Tags:              r.Tags,
		Tasks:             r.Tasks.policy(),
	}
}

// UpdateQueueRequest is the body of PATCH /v1/queues/{name}. An omitted field
// leaves the attribute unchanged. dead_letter replaces the policy; null or a
// policy with an empty queue removes it. The other fields must not be null.
type UpdateQueueRequest struct {
	VisibilityTimeout *Duration   `json:"visibility_timeout,omitempty"`
	Delay             *Duration   `json:"delay,omitempty"`
	Retention         *Duration   `json:"retention,omitempty"`
	ReceiveWait       *Duration   `json:"receive_wait,omitempty"`
	MaxMessageSize    *int        `json:"max_message_size,omitempty"`
	DeadLetter        *DeadLetter `json:"dead_letter,omitempty"`
	ContentBasedDedup *bool       `json:"content_based_dedup,omitempty"`
	Tasks             *TaskPolicy `json:"tasks,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler: it decodes strictly, turns a
// null dead_letter into a removal and rejects other nulls.
func (r *UpdateQueueRequest) UnmarshalJSON(b []byte) error {
	type plain UpdateQueueRequest
	var p plain
	if err := Decode(b, &p); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := Decode(b, &members); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if !bytes.Equal(members[name], []byte("null")) {
			continue
		}
		if name != "dead_letter" {
			return sluice.Invalid(name, "must not be null; omit it to leave the attribute unchanged")
		}
		p.DeadLetter = &DeadLetter{}
	}
	*r = UpdateQueueRequest(p)
	return nil
}

// FromQueueUpdate returns the request for u.
func FromQueueUpdate(u sluice.QueueUpdate) UpdateQueueRequest {
	return UpdateQueueRequest{
		VisibilityTimeout: durationPtr(u.VisibilityTimeout),
		Delay:             durationPtr(u.Delay),
		Retention:         durationPtr(u.Retention),
		ReceiveWait:       durationPtr(u.ReceiveWait),
		MaxMessageSize:    u.MaxMessageSize,
		DeadLetter:        fromDeadLetter(u.DeadLetter),
		ContentBasedDedup: u.ContentBasedDedup,
		Tasks:             fromTaskPolicy(u.Tasks),
	}
}

// QueueUpdate returns the update r asks for.
func (r UpdateQueueRequest) QueueUpdate() sluice.QueueUpdate {
	return sluice.QueueUpdate{
		VisibilityTimeout: r.VisibilityTimeout.ptr(),
		Delay:             r.Delay.ptr(),
		Retention:         r.Retention.ptr(),
		ReceiveWait:       r.ReceiveWait.ptr(),
		MaxMessageSize:    r.MaxMessageSize,
		DeadLetter:        r.DeadLetter.policy(),
		ContentBasedDedup: r.ContentBasedDedup,
		Tasks:             r.Tasks.policy(),
	}
}

// ListQueuesResponse is the body of GET /v1/queues: one page of queues in
// name order. Next is the name to pass as after for the following page, or
// empty on the last page.
type ListQueuesResponse struct {
	Queues []Queue `json:"queues"`
	Next   string  `json:"next"`
}

// PurgeResponse is the body of POST /v1/queues/{name}/purge.
type PurgeResponse struct {
	Purged int `json:"purged"`
}

// Stats is the body of GET /v1/queues/{name}/stats.
type Stats struct {
	Name         string   `json:"name"`
	Visible      int      `json:"visible"`
	InFlight     int      `json:"in_flight"`
	Delayed      int      `json:"delayed"`
	Waiting      int      `json:"waiting"`
	OldestAge    Duration `json:"oldest_age"`
	Sent         uint64   `json:"sent"`
	Received     uint64   `json:"received"`
	Acked        uint64   `json:"acked"`
	Returned     uint64   `json:"returned"`
	DeadLettered uint64   `json:"dead_lettered"`
	Expired      uint64   `json:"expired"`
	Tenants      int      `json:"tenants,omitempty"`
}

// FromQueueStats returns the document for s.
func FromQueueStats(s sluice.QueueStats) Stats {
	return Stats{
		Name: s.Name, Visible: s.Visible, InFlight: s.InFlight, Delayed: s.Delayed, Waiting: s.Waiting,
		OldestAge: Duration(s.OldestAge),
		Sent:      s.Sent, Received: s.Received, Acked: s.Acked, Returned: s.Returned,
		DeadLettered: s.DeadLettered, Expired: s.Expired, Tenants: s.Tenants,
	}
}

// QueueStats returns the statistics s describes.
func (s Stats) QueueStats() sluice.QueueStats {
	return sluice.QueueStats{
		Name: s.Name, Visible: s.Visible, InFlight: s.InFlight, Delayed: s.Delayed, Waiting: s.Waiting,
		OldestAge: time.Duration(s.OldestAge),
		Sent:      s.Sent, Received: s.Received, Acked: s.Acked, Returned: s.Returned,
		DeadLettered: s.DeadLettered, Expired: s.Expired, Tenants: s.Tenants,
	}
}

// RedriveRequest is the body of POST /v1/queues/{name}/redrive.
type RedriveRequest struct {
	Destination string `json:"destination,omitempty"`
	Max         int    `json:"max,omitempty"`
}

// FromRedriveOptions returns the request for opts.
func FromRedriveOptions(opts sluice.RedriveOptions) RedriveRequest {
	return RedriveRequest{Destination: opts.Destination, Max: opts.Max}
}

// RedriveOptions returns the options r asks for, or an invalid-argument
// error for a negative max.
func (r RedriveRequest) RedriveOptions() (sluice.RedriveOptions, error) {
	if r.Max < 0 {
		return sluice.RedriveOptions{}, sluice.Invalid("max", "must not be negative")
	}
	return sluice.RedriveOptions{Destination: r.Destination, Max: r.Max}, nil
}

// RedriveResponse is the body of a redrive's response.
type RedriveResponse struct {
	Moved int `json:"moved"`
}

// utc returns t in UTC, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
