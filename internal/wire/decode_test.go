package wire

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicehq/sluice"
)

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{`"30s"`, 30 * time.Second, true},
		{`"1m30s"`, 90 * time.Second, true},
		{`"0s"`, 0, true},
		{`"0"`, 0, true},
		{`"1.5h"`, 90 * time.Minute, true},
		{`"-5s"`, -5 * time.Second, true}, // rejected later, naming the field
		{`20`, 20 * time.Second, true},
		{`1.5`, 1500 * time.Millisecond, true},
		{`0.1`, 100 * time.Millisecond, true},
		{`0`, 0, true},
		{`"30"`, 0, false},
		{`"soon"`, 0, false},
		{`""`, 0, false},
		{`1e300`, 0, false},
		{`true`, 0, false},
		{`{}`, 0, false},
	}
	for _, tt := range tests {
		var d Duration
		err := d.UnmarshalJSON([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("UnmarshalJSON(%s) error = %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && time.Duration(d) != tt.want {
			t.Errorf("UnmarshalJSON(%s) = %v, want %v", tt.in, time.Duration(d), tt.want)
		}
	}
	for _, d := range []time.Duration{0, time.Nanosecond, 90 * time.Second, 14 * 24 * time.Hour} {
		b, err := json.Marshal(Duration(d))
		if err != nil {
			t.Fatal(err)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || time.Duration(back) != d {
			t.Errorf("round trip of %v via %s = %v, %v", d, b, time.Duration(back), err)
		}
	}
	if b, _ := json.Marshal(Duration(90 * time.Second)); string(b) != `"1m30s"` {
		t.Errorf("Marshal(90s) = %s, want \"1m30s\"", b)
	}
}

// TestDecodeErrors checks that every way a request can be wrong becomes
// malformed JSON or an invalid argument naming the right field.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		v         any
		malformed bool
		field     string
	}{
		{"empty", ``, &ReceiveRequest{}, true, ""},
		{"syntax", `{"max":}`, &ReceiveRequest{}, true, ""},
		{"truncated", `{"max":1`, &ReceiveRequest{}, true, ""},
		{"trailing value", `{"max":1} {}`, &ReceiveRequest{}, true, ""},
		{"trailing garbage", `{"max":1}x`, &ReceiveRequest{}, true, ""},
		{"trailing brace", `{"max":1}}`, &ReceiveRequest{}, true, ""},
		{"not an object", `[1]`, &ReceiveRequest{}, false, ""},
		{"wrong type", `{"max":"ten"}`, &ReceiveRequest{}, false, "max"},
		{"fraction for integer", `{"max":1.5}`, &ReceiveRequest{}, false, "max"},
		{"bad duration", `{"wait":"forever"}`, &ReceiveRequest{}, false, "wait"},
		{"unknown field", `{"maxx":1}`, &ReceiveRequest{}, false, "maxx"},
		{"nested unknown field", `{"name":"q","dead_letter":{"queue":"d","tries":3}}`, &CreateQueueRequest{}, false, "tries"},
		{"nested wrong type", `{"name":"q","dead_letter":{"queue":"d","max_receives":"3"}}`, &CreateQueueRequest{}, false, "dead_letter.max_receives"},
		{"tags wrong type", `{"name":"q","tags":{"a":1}}`, &CreateQueueRequest{}, false, "tags"},
		{"single delay", `{"body":"x","delay":"later"}`, &SendRequest{}, false, "delay"},
		{"single unknown", `{"body":"x","priority":1}`, &SendRequest{}, false, "priority"},
		{"attribute unknown", `{"body":"x","attributes":{"a":{"type":"String","valu":"x"}}}`, &SendRequest{}, false, "attributes.a.valu"},
		{"attribute wrong type", `{"body":"x","attributes":{"a":"x"}}`, &SendRequest{}, false, "attributes.a"},
		{"attributes not object", `{"body":"x","attributes":[]}`, &SendRequest{}, false, "attributes"},
		{"batch entry unknown", `{"messages":[{"body":"a"},{"body":"b","bodyy":"c"}]}`, &SendRequest{}, false, "messages[1].bodyy"},
		{"batch entry delay", `{"messages":[{"body":"a"},{"body":"b"},{"body":"c","delay":"x"}]}`, &SendRequest{}, false, "messages[2].delay"},
		{"batch entry attribute", `{"messages":[{"body":"a","attributes":{"k":{"type":1}}}]}`, &SendRequest{}, false, "messages[0].attributes.k.type"},
		{"batch not array", `{"messages":{}}`, &SendRequest{}, false, "messages"},
		{"batch with top-level body", `{"messages":[],"body":"x"}`, &SendRequest{}, false, "body"},
		{"visibility entry", `{"changes":[{"receipt":"r","timeout":"1s"},{"receipt":"r","timeout":"x"}]}`, &VisibilityRequest{}, false, "changes[1].timeout"},
		{"visibility unknown", `{"changes":[{"receipt":"r","timeoutt":"1s"}]}`, &VisibilityRequest{}, false, "changes[0].timeoutt"},
		{"receipts wrong type", `{"receipts":[1]}`, &AckRequest{}, false, "receipts"},
		{"update null", `{"delay":null}`, &UpdateQueueRequest{}, false, "delay"},
		{"update unknown", `{"name":"x"}`, &UpdateQueueRequest{}, false, "name"},
		{"update bad duration", `{"retention":"1 day"}`, &UpdateQueueRequest{}, false, "retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Decode([]byte(tt.in), tt.v)
			if tt.malformed {
				if !errors.Is(err, ErrMalformedJSON) {
					t.Fatalf("Decode(%s) = %v, want malformed JSON", tt.in, err)
				}
				return
			}
			var ia *sluice.InvalidArgumentError
			if !errors.As(err, &ia) {
				t.Fatalf("Decode(%s) = %v (%T), want *sluice.InvalidArgumentError", tt.in, err, err)
			}
			if ia.Field != tt.field {
				t.Errorf("Decode(%s) field = %q, want %q (%v)", tt.in, ia.Field, tt.field, err)
			}
		})
	}
}

func TestDecodeUpdateQueue(t *testing.T) {
	five := 5 * time.Second
	tests := []struct {
		in   string
		want sluice.QueueUpdate
	}{
		{`{}`, sluice.QueueUpdate{}},
		{`{"delay":"5s"}`, sluice.QueueUpdate{Delay: &five}},
		{`{"delay":5}`, sluice.QueueUpdate{Delay: &five}},
		{`{"dead_letter":null}`, sluice.QueueUpdate{DeadLetter: &sluice.DeadLetterPolicy{}}},
		{`{"dead_letter":{"queue":""}}`, sluice.QueueUpdate{DeadLetter: &sluice.DeadLetterPolicy{}}},
		{`{"dead_letter":{"queue":"dlq","max_receives":3}}`, sluice.QueueUpdate{DeadLetter: &sluice.DeadLetterPolicy{Queue: "dlq", MaxReceives: 3}}},
	}
	for _, tt := range tests {
		var r UpdateQueueRequest
		if err := Decode([]byte(tt.in), &r); err != nil {
			t.Errorf("Decode(%s) = %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, r.QueueUpdate()); diff != "" {
			t.Errorf("Decode(%s) update mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
	// Absent and null must differ, and the client's encoding must say what it means.
	for _, u := range []sluice.QueueUpdate{{}, {DeadLetter: &sluice.DeadLetterPolicy{}}, {Delay: &five}} {
		b, err := json.Marshal(FromQueueUpdate(u))
		if err != nil {
			t.Fatal(err)
		}
		var r UpdateQueueRequest
		if err := Decode(b, &r); err != nil {
			t.Fatalf("Decode(%s) = %v", b, err)
		}
		if diff := cmp.Diff(u, r.QueueUpdate()); diff != "" {
			t.Errorf("round trip via %s (-want +got):\n%s", b, diff)
		}
	}
}

func TestErrorTable(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{sluice.Invalid("messages[2].body", "is bad"), 400, CodeInvalidArgument},
		{&sluice.LimitError{Field: "attributes", Limit: 10, Got: 11}, 400, CodeLimitExceeded},
		{ErrMalformedJSON, 400, CodeMalformedJSON},
		{ErrRequestTooLarge, 413, CodeRequestTooLarge},
		{ErrUnsupportedMediaType, 415, CodeUnsupportedMediaType},
		{sluice.ErrQueueNotFound, 404, CodeQueueNotFound},
		{ErrNotFound, 404, CodeNotFound},
		{ErrMethodNotAllowed, 405, CodeMethodNotAllowed},
		{sluice.ErrQueueExists, 409, CodeQueueExists},
		{sluice.ErrQueueInUse, 409, CodeQueueInUse},
		{sluice.ErrReceiptInvalid, 400, CodeReceiptInvalid},
		{sluice.ErrReceiptStale, 409, CodeReceiptStale},
		{sluice.ErrNotDeadLetterQueue, 400, CodeNotDeadLetterQueue},
		{sluice.ErrTopicNotFound, 404, CodeTopicNotFound},
		{sluice.ErrSubscriptionNotFound, 404, CodeSubscriptionNotFound},
		{sluice.ErrTierNotFound, 404, CodeTierNotFound},
		{sluice.ErrTopicExists, 409, CodeTopicExists},
		{sluice.ErrTokenInvalid, 400, CodeTokenInvalid},
		{sluice.ErrTaskNotFound, 404, CodeTaskNotFound},
		{sluice.ErrNotTracked, 400, CodeNotTracked},
		{sluice.ErrRuleNotFound, 404, CodeRuleNotFound},
		{sluice.ErrWatchNotFound, 404, CodeWatchNotFound},
		{sluice.ErrUnavailable, 503, CodeUnavailable},
		{sluice.ErrClosed, 503, CodeUnavailable},
		{errors.New("disk on fire"), 500, CodeInternal},
	}
	for _, tt := range tests {
		wrapped := errors.Join(errors.New("context"), tt.err)
		status, body := ErrorBodyOf(wrapped)
		if status != tt.status || body.Code != tt.code {
			t.Errorf("ErrorBodyOf(%v) = %d %s, want %d %s", tt.err, status, body.Code, tt.status, tt.code)
		}
		if Status(tt.code) != tt.status {
			t.Errorf("Status(%s) = %d, want %d", tt.code, Status(tt.code), tt.status)
		}
		back := body.Err()
		switch {
		case tt.code == CodeInternal || httpLevel(tt.err):
			if back != nil {
				t.Errorf("ErrorBody{%s}.Err() = %v, want nil", tt.code, back)
			}
		case tt.err == sluice.ErrClosed:
			if back != sluice.ErrUnavailable {
				t.Errorf("ErrorBody{%s}.Err() = %v, want ErrUnavailable", tt.code, back)
			}
		default:
			if back == nil || back.Error() != tt.err.Error() {
				t.Errorf("ErrorBody{%s}.Err() = %v, want %v", tt.code, back, tt.err)
			}
		}
	}
	if n := len(Codes()); n != 24 {
		t.Errorf("Codes() has %d codes, want 24", n)
	}
	if _, body := ErrorBodyOf(errors.New("secret detail")); body.Message != "internal error" {
		t.Errorf("internal error message = %q, want no detail", body.Message)
	}
}
