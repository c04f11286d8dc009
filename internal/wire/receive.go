package wire

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sluicehq/sluice"
)

// ReceiveRequest is the body of POST /v1/queues/{name}/receive. Every member
// is optional: max defaults to 1, wait and visibility_timeout to the queue's.
type ReceiveRequest struct {
	Max               int       `json:"max,omitempty"`
	Wait              *Duration `json:"wait,omitempty"`
	VisibilityTimeout *Duration `json:"visibility_timeout,omitempty"`
	// Worker names the receiver in tracked queues' task statuses.
	Worker string `json:"worker,omitempty"`
}

// FromReceiveOptions returns the request for opts.
func FromReceiveOptions(opts sluice.ReceiveOptions) ReceiveRequest {
	return ReceiveRequest{
		Max:               opts.Max,
		Wait:              durationPtr(opts.WaitTime),
		VisibilityTimeout: durationPtr(opts.VisibilityTimeout),
		Worker:            opts.Worker,
	}
}

// ReceiveOptions returns the options r asks for, or an invalid-argument error
// naming a negative member. Upper bounds are the engine's to check.
func (r ReceiveRequest) ReceiveOptions() (sluice.ReceiveOptions, error) {
	switch {
	case r.Max < 0:
		return sluice.ReceiveOptions{}, sluice.Invalid("max", "must not be negative")
	case r.Wait != nil && *r.Wait < 0:
		return sluice.ReceiveOptions{}, sluice.Invalid("wait", "must not be negative")
	case r.VisibilityTimeout != nil && *r.VisibilityTimeout < 0:
		return sluice.ReceiveOptions{}, sluice.Invalid("visibility_timeout", "must not be negative")
	}
	return sluice.ReceiveOptions{
		Max:               r.Max,
		WaitTime:          r.Wait.ptr(),
		VisibilityTimeout: r.VisibilityTimeout.ptr(),
		Worker:            r.Worker,
	}, nil
}

// ReceiveResponse is the body of a receive's response; Messages is empty,
// never null, when none arrived within the wait.
type ReceiveResponse struct {
	Messages []Message `json:"messages"`
}

// AckRequest is the body of POST /v1/queues/{name}/ack.
type AckRequest struct {
	Receipts []string `json:"receipts"`
}

// Validate returns an invalid-argument error when r has no receipts.
func (r AckRequest) Validate() error {
	if len(r.Receipts) == 0 {
		return sluice.Invalid("receipts", "must not be empty")
	}
	return nil
}

// EntryResult is the outcome of one entry of an ack or visibility batch:
// Error is null when the entry succeeded.
type EntryResult struct {
	Receipt string     `json:"receipt"`
	Error   *ErrorBody `json:"error"`
}

// AckResponse is the body of an ack's response, its results in the order of
// the request's receipts. A failed entry does not fail the request.
type AckResponse struct {
	Results []EntryResult `json:"results"`
	Acked   int           `json:"acked"`
	Failed  int           `json:"failed"`
}

// VisibilityChange is one entry of a visibility request: the receipt of a
// received message and its new remaining invisibility. Timeout is required;
// "0s" makes the message visible at once.
type VisibilityChange struct {
	Receipt string    `json:"receipt"`
	Timeout *Duration `json:"timeout"`
}

// VisibilityRequest is the body of POST /v1/queues/{name}/visibility.
type VisibilityRequest struct {
	Changes []VisibilityChange `json:"changes"`
}

// UnmarshalJSON implements json.Unmarshaler, decoding strictly and naming
// entries in errors as "changes[i]".
func (r *VisibilityRequest) UnmarshalJSON(b []byte) error {
	var p struct {
		Changes json.RawMessage `json:"changes"`
	}
	if err := Decode(b, &p); err != nil {
		return err
	}
	*r = VisibilityRequest{}
	if p.Changes == nil {
		return nil
	}
	return decodeList(p.Changes, "changes", &r.Changes)
}

// FromVisibilityChanges returns the request for changes.
func FromVisibilityChanges(changes []sluice.VisibilityChange) VisibilityRequest {
	r := VisibilityRequest{Changes: make([]VisibilityChange, len(changes))}
	for i, c := range changes {
		t := Duration(c.Timeout)
		r.Changes[i] = VisibilityChange{Receipt: c.Receipt, Timeout: &t}
	}
	return r
}

// VisibilityChanges returns the changes r asks for, or an invalid-argument
// error when there are none or an entry's timeout is missing or negative.
func (r VisibilityRequest) VisibilityChanges() ([]sluice.VisibilityChange, error) {
	if len(r.Changes) == 0 {
		return nil, sluice.Invalid("changes", "must not be empty")
	}
	out := make([]sluice.VisibilityChange, len(r.Changes))
	for i, c := range r.Changes {
		switch {
		case c.Timeout == nil:
			return nil, sluice.Invalid(fmt.Sprintf("changes[%d].timeout", i), "is required")
		case *c.Timeout < 0:
			return nil, sluice.Invalid(fmt.Sprintf("changes[%d].timeout", i), "must not be negative")
		}
		out[i] = sluice.VisibilityChange{Receipt: c.Receipt, Timeout: time.Duration(*c.Timeout)}
	}
	return out, nil
}

// NackRequest is the body of POST /v1/queues/{name}/nack: return received
// messages to the queue, visible again after Delay (default at once).
type NackRequest struct {
	Receipts []string  `json:"receipts"`
	Delay    *Duration `json:"delay,omitempty"`
}

// VisibilityChanges returns the visibility changes r amounts to, or an
// invalid-argument error when there are no receipts or delay is negative.
func (r NackRequest) VisibilityChanges() ([]sluice.VisibilityChange, error) {
	if len(r.Receipts) == 0 {
		return nil, sluice.Invalid("receipts", "must not be empty")
	}
	var delay time.Duration
	if r.Delay != nil {
		if *r.Delay < 0 {
			return nil, sluice.Invalid("delay", "must not be negative")
		}
		delay = time.Duration(*r.Delay)
	}
	out := make([]sluice.VisibilityChange, len(r.Receipts))
	for i, rc := range r.Receipts {
		out[i] = sluice.VisibilityChange{Receipt: rc, Timeout: delay}
	}
	return out, nil
}

// VisibilityResponse is the body of the responses to visibility and nack
// requests, its results in the order of the request's entries. A failed
// entry does not fail the request.
type VisibilityResponse struct {
	Results []EntryResult `json:"results"`
	Changed int           `json:"changed"`
	Failed  int           `json:"failed"`
}
