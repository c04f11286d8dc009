// Package worker runs handlers over the tasks of a Sluice tracked queue, in
// the shape of net/http: a Handler serves one task and returns its result,
// a Mux routes tasks to handlers by kind, middleware wraps handlers, and a
// Pool receives tasks with bounded concurrency, keeps their leases alive
// while handlers run, reports results and errors to the server (which
// schedules retries with backoff and dead-letters tasks that keep failing),
// turns panics into failures, and shuts down gracefully.
//
// The Pool talks to the server through a Source; *client.Client is one.
package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluicehq/sluice"
)

// Task is one delivery of a task to a handler.
type Task struct {
	// ID is the task id: the status URL's last element.
	ID         string
	Queue      string
	Body       []byte
	Attributes map[string]sluice.Attribute
	Tenant     string
	// Attempt counts deliveries, starting at 1.
	Attempt int
	// Message is the delivery as received, with its receipt.
	Message sluice.Message
}

// Kind returns the task's kind: the value of its "type" attribute, or "".
func (t *Task) Kind() string { return t.Attributes[KindAttribute].String }

// KindAttribute is the message attribute a Mux routes on.
const KindAttribute = "type"

// A Handler serves a task. It returns the task's result (nil for none), or
// an error: the server retries the task after its queue's backoff, or after
// the delay of an error made with RetryAfter, and never again for an error
// made with Permanent. ServeTask should return when ctx is done: the task's
// lease was lost or the pool is shutting down past its drain timeout.
type Handler interface {
	ServeTask(ctx context.Context, t *Task) ([]byte, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, t *Task) ([]byte, error)

// ServeTask calls f(ctx, t).
func (f HandlerFunc) ServeTask(ctx context.Context, t *Task) ([]byte, error) { return f(ctx, t) }

// Middleware wraps a handler, as for net/http.
type Middleware func(Handler) Handler

// Chain returns h wrapped by mws, the first outermost.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// ErrNoHandler is the permanent failure of a task whose kind no handler of
// a Mux serves.
var ErrNoHandler = errors.New("worker: no handler for the task's kind")

// Mux routes tasks to handlers by kind (Task.Kind), like http.ServeMux
// routes requests by path. Its methods are safe for concurrent use once
// registration is done; register every handler before the pool runs.
type Mux struct {
	handlers map[string]Handler
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{handlers: map[string]Handler{}} }

// Handle registers h for tasks of kind; "" serves tasks of every kind that
// has no handler of its own. It panics if kind already has one, as
// http.ServeMux does for a duplicate pattern.
func (m *Mux) Handle(kind string, h Handler) {
	if _, ok := m.handlers[kind]; ok {
		panic(fmt.Sprintf("worker: a handler for kind %q is already registered", kind))
	}
	m.handlers[kind] = h
}

// HandleFunc registers f for tasks of kind.
func (m *Mux) HandleFunc(kind string, f func(ctx context.Context, t *Task) ([]byte, error)) {
	m.Handle(kind, HandlerFunc(f))
}

// ServeTask passes t to the handler of its kind, or fails it permanently
// with ErrNoHandler.
func (m *Mux) ServeTask(ctx context.Context, t *Task) ([]byte, error) {
	h, ok := m.handlers[t.Kind()]
	if !ok {
		h, ok = m.handlers[""]
	}
	if !ok {
		return nil, Permanent(fmt.Errorf("%w %q", ErrNoHandler, t.Kind()))
	}
	return h.ServeTask(ctx, t)
}

// retryError asks for the next attempt after a delay.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// RetryAfter returns err marked so that the server retries the task after
// d instead of its queue's backoff.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		err = errors.New("retry requested")
	}
	return &retryError{err: err, after: max(d, 0)}
}

// permanentError asks for no further attempt.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent returns err marked so that the task is not retried: it is dead
// at once (and moved to its queue's dead-letter queue, if any).
func Permanent(err error) error {
	if err == nil {
		err = errors.New("permanent failure")
	}
	return &permanentError{err: err}
}

// failure returns what the server is told of a handler's error.
func failure(err error) sluice.TaskFailure {
	f := sluice.TaskFailure{Error: err.Error()}
	if re, ok := errors.AsType[*retryError](err); ok {
		f.RetryAfter = &re.after
	}
	if _, ok := errors.AsType[*permanentError](err); ok {
		f.Permanent = true
	}
	return f
}
