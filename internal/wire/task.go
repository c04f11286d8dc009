package wire

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// TaskPolicy is a tracked queue's task policy. In requests, omitted or zero
// members take their defaults; in responses every member is filled in.
type TaskPolicy struct {
	MaxAttempts   int      `json:"max_attempts,omitempty"`
	MinBackoff    Duration `json:"min_backoff,omitempty"`
	MaxBackoff    Duration `json:"max_backoff,omitempty"`
	Retention     Duration `json:"retention,omitempty"`
	MaxResultSize int      `json:"max_result_size,omitempty"`
}

func fromTaskPolicy(p *sluice.TaskPolicy) *TaskPolicy {
	if p == nil {
		return nil
	}
	return &TaskPolicy{
		MaxAttempts: p.MaxAttempts, MinBackoff: Duration(p.MinBackoff), MaxBackoff: Duration(p.MaxBackoff),
		Retention: Duration(p.Retention), MaxResultSize: p.MaxResultSize,
	}
}

func (p *TaskPolicy) policy() *sluice.TaskPolicy {
	if p == nil {
		return nil
	}
	return &sluice.TaskPolicy{
		MaxAttempts: p.MaxAttempts, MinBackoff: time.Duration(p.MinBackoff), MaxBackoff: time.Duration(p.MaxBackoff),
		Retention: time.Duration(p.Retention), MaxResultSize: p.MaxResultSize,
	}
}

// Task is a task's status: the body of GET /v1/queues/{name}/tasks/{id}.
// Result holds a succeeded task's result when it is valid UTF-8,
// ResultBase64 otherwise. Times that do not apply are omitted.
type Task struct {
	ID              string           `json:"id"`
	Queue           string           `json:"queue"`
	Tenant          string           `json:"tenant,omitempty"`
	State           sluice.TaskState `json:"state"`
	Attempt         int              `json:"attempt"`
	CreatedAt       time.Time        `json:"created_at"`
	StartedAt       time.Time        `json:"started_at,omitzero"`
	LeaseDeadline   time.Time        `json:"lease_deadline,omitzero"`
	Worker          string           `json:"worker,omitempty"`
	NextAttemptAt   time.Time        `json:"next_attempt_at,omitzero"`
	FinishedAt      time.Time        `json:"finished_at,omitzero"`
	LastError       string           `json:"last_error,omitempty"`
	Result          *string          `json:"result,omitempty"`
	ResultBase64    *string          `json:"result_base64,omitempty"`
	DeadLetterQueue string           `json:"dead_letter_queue,omitempty"`
}

// FromTaskStatus returns the document for s.
func FromTaskStatus(s sluice.TaskStatus) Task {
	t := Task{
		ID: s.ID, Queue: s.Queue, Tenant: s.Tenant, State: s.State, Attempt: s.Attempt,
		CreatedAt: utc(s.CreatedAt), StartedAt: utc(s.StartedAt), LeaseDeadline: utc(s.LeaseDeadline),
		Worker: s.Worker, NextAttemptAt: utc(s.NextAttemptAt), FinishedAt: utc(s.FinishedAt),
		LastError: s.LastError, DeadLetterQueue: s.DeadLetterQueue,
	}
	if s.Result != nil {
		t.Result, t.ResultBase64 = encodeBody(s.Result)
	}
	return t
}

// TaskStatus returns the status t describes, or an invalid-argument error
// for a result_base64 that does not decode.
func (t Task) TaskStatus() (sluice.TaskStatus, error) {
	s := sluice.TaskStatus{
		ID: t.ID, Queue: t.Queue, Tenant: t.Tenant, State: t.State, Attempt: t.Attempt,
		CreatedAt: t.CreatedAt, StartedAt: t.StartedAt, LeaseDeadline: t.LeaseDeadline,
		Worker: t.Worker, NextAttemptAt: t.NextAttemptAt, FinishedAt: t.FinishedAt,
		LastError: t.LastError, DeadLetterQueue: t.DeadLetterQueue,
	}
	var err error
	s.Result, err = decodePayload("result", t.Result, t.ResultBase64)
	return s, err
}

// decodePayload returns the bytes of a text-or-base64 pair of members.
func decodePayload(field string, text, b64 *string) ([]byte, error) {
	switch {
	case text != nil && b64 != nil:
		return nil, sluice.Invalid(field+"_base64", "must not be given with %s", field)
	case text != nil:
		return []byte(*text), nil
	case b64 != nil:
		b, err := base64.StdEncoding.DecodeString(*b64)
		if err != nil {
			return nil, sluice.Invalid(field+"_base64", "is not valid base64: %v", err)
		}
		return b, nil
	}
	return nil, nil
}

// ListTasksResponse is the body of GET /v1/queues/{name}/tasks: one page of
// tasks in order of creation. Next is the cursor to pass as after for the
// following page, or empty on the last page.
type ListTasksResponse struct {
	Tasks []Task `json:"tasks"`
	Next  string `json:"next"`
}

// FromTaskPage returns the document for p.
func FromTaskPage(p sluice.TaskPage) ListTasksResponse {
	r := ListTasksResponse{Tasks: make([]Task, len(p.Tasks))}
	for i, s := range p.Tasks {
		r.Tasks[i] = FromTaskStatus(s)
	}
	if p.Next != 0 {
		r.Next = strconv.FormatUint(p.Next, 10)
	}
	return r
}

// TaskPage returns the page r describes.
func (r ListTasksResponse) TaskPage() (sluice.TaskPage, error) {
	p := sluice.TaskPage{Tasks: make([]sluice.TaskStatus, len(r.Tasks))}
	for i, t := range r.Tasks {
		s, err := t.TaskStatus()
		if err != nil {
			return p, err
		}
		p.Tasks[i] = s
	}
	if r.Next != "" {
		n, err := ParseCursor("next", r.Next)
		if err != nil {
			return p, err
		}
		p.Next = n
	}
	return p, nil
}

// ParseCursor parses a task listing cursor.
func ParseCursor(field, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, sluice.Invalid(field, "%q is not a cursor from a previous page", s)
	}
	return n, nil
}

// ParseStates parses a comma-separated list of task states.
func ParseStates(field, s string) ([]sluice.TaskState, error) {
	if s == "" {
		return nil, nil
	}
	var out []sluice.TaskState
	for _, part := range strings.Split(s, ",") {
		st := sluice.TaskState(strings.TrimSpace(part))
		if !st.Valid() {
			return nil, sluice.Invalid(field, "%q is not a task state", part)
		}
		out = append(out, st)
	}
	return out, nil
}

// CompleteRequest is the body of POST /v1/queues/{name}/complete: the
// receipt of a running task's delivery and its result, as text or base64.
type CompleteRequest struct {
	Receipt      string  `json:"receipt"`
	Result       *string `json:"result,omitempty"`
	ResultBase64 *string `json:"result_base64,omitempty"`
}

// FromComplete returns the request completing the delivery receipt with
// result.
func FromComplete(receipt string, result []byte) CompleteRequest {
	r := CompleteRequest{Receipt: receipt}
	if result != nil {
		r.Result, r.ResultBase64 = encodeBody(result)
	}
	return r
}

// Parts returns the receipt and result r carries, or an invalid-argument
// error naming the member at fault.
func (r CompleteRequest) Parts() (string, []byte, error) {
	if r.Receipt == "" {
		return "", nil, sluice.Invalid("receipt", "is required")
	}
	result, err := decodePayload("result", r.Result, r.ResultBase64)
	return r.Receipt, result, err
}

// FailRequest is the body of POST /v1/queues/{name}/fail.
type FailRequest struct {
	Receipt    string    `json:"receipt"`
	Error      string    `json:"error,omitempty"`
	RetryAfter *Duration `json:"retry_after,omitempty"`
	Permanent  bool      `json:"permanent,omitempty"`
}

// FromFailure returns the request failing the delivery receipt with f.
func FromFailure(receipt string, f sluice.TaskFailure) FailRequest {
	return FailRequest{Receipt: receipt, Error: f.Error, RetryAfter: durationPtr(f.RetryAfter), Permanent: f.Permanent}
}

// Failure returns the receipt and failure r carries, or an invalid-argument
// error naming the member at fault.
func (r FailRequest) Failure() (string, sluice.TaskFailure, error) {
	if r.Receipt == "" {
		return "", sluice.TaskFailure{}, sluice.Invalid("receipt", "is required")
	}
	if r.RetryAfter != nil && *r.RetryAfter < 0 {
		return "", sluice.TaskFailure{}, sluice.Invalid("retry_after", "must not be negative")
	}
	return r.Receipt, sluice.TaskFailure{Error: r.Error, RetryAfter: r.RetryAfter.ptr(), Permanent: r.Permanent}, nil
}
