package wire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicehq/sluice"
)

func TestSendInputs(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		field string // empty: valid
	}{
		{"text body", `{"body":"hello"}`, ""},
		{"empty text body", `{"body":""}`, ""},
		{"base64 body", `{"body_base64":"AP8="}`, ""},
		{"both bodies", `{"body":"a","body_base64":"YQ=="}`, "body_base64"},
		{"no body", `{"tenant":"t"}`, "body"},
		{"bad base64", `{"body_base64":"not base64!"}`, "body_base64"},
		{"unpadded base64", `{"body_base64":"YQ"}`, "body_base64"},
		{"negative delay", `{"body":"a","delay":"-1s"}`, "delay"},
		{"binary attribute", `{"body":"a","attributes":{"k":{"type":"Binary","binary":"AAE="}}}`, ""},
		{"binary attribute with value", `{"body":"a","attributes":{"k":{"type":"Binary","value":"x"}}}`, "attributes.k.value"},
		{"binary attribute bad base64", `{"body":"a","attributes":{"k":{"type":"Binary.x","binary":"%%"}}}`, "attributes.k.binary"},
		{"string attribute with binary", `{"body":"a","attributes":{"k":{"type":"String","binary":"AAE="}}}`, "attributes.k.binary"},
		{"batch", `{"messages":[{"body":"a"},{"body_base64":"YQ=="}]}`, ""},
		{"empty batch", `{"messages":[]}`, "messages"},
		{"null batch", `{"messages":null}`, "messages"},
		{"batch bad base64", `{"messages":[{"body":"a"},{"body":"b"},{"body_base64":"!"}]}`, "messages[2].body_base64"},
		{"batch both bodies", `{"messages":[{"body":"a","body_base64":"YQ=="}]}`, "messages[0].body_base64"},
		{"batch negative delay", `{"messages":[{"body":"a"},{"body":"a","delay":-3}]}`, "messages[1].delay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r SendRequest
			if err := Decode([]byte(tt.in), &r); err != nil {
				t.Fatalf("Decode(%s) = %v", tt.in, err)
			}
			_, err := r.SendInputs()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("SendInputs() = %v, want nil", err)
				}
				return
			}
			var ia *sluice.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tt.field {
				t.Fatalf("SendInputs() = %v, want invalid %s", err, tt.field)
			}
		})
	}
}

// TestSendRoundTrip checks that what the client encodes the server decodes
// to the same inputs, text and binary alike.
func TestSendRoundTrip(t *testing.T) {
	delay := 3 * time.Second
	ins := []sluice.SendInput{
		{Body: []byte("hello"), Tenant: "acme", GroupID: "g", DedupID: "d", Delay: &delay},
		{Body: []byte{0, 0xff, 0xfe}, Attributes: map[string]sluice.Attribute{
			"s": {Type: "String", String: "v"},
			"n": {Type: "Number.float", String: "1.5"},
			"b": {Type: "Binary", Binary: []byte{1, 2, 3}},
		}},
		{Body: []byte{}},
	}
	for _, batch := range []bool{false, true} {
		req := SendRequest{Message: ptr(FromSendInput(ins[0]))}
		want := ins[:1]
		if batch {
			req = SendRequest{Messages: []SendMessage{FromSendInput(ins[0]), FromSendInput(ins[1]), FromSendInput(ins[2])}}
			want = ins
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		var got SendRequest
		if err := Decode(b, &got); err != nil {
			t.Fatalf("Decode(%s) = %v", b, err)
		}
		if got.Batch() != batch {
			t.Errorf("Batch() = %v, want %v for %s", got.Batch(), batch, b)
		}
		inputs, err := got.SendInputs()
		if err != nil {
			t.Fatalf("SendInputs() = %v", err)
		}
		if diff := cmp.Diff(want, inputs); diff != "" {
			t.Errorf("round trip via %s (-want +got):\n%s", b, diff)
		}
	}
}

func TestMessageRoundTrip(t *testing.T) {
	now := time.Date(2025, 11, 28, 4, 11, 0, 123456789, time.UTC)
	for _, body := range [][]byte{[]byte("text"), {0xc3, 0x28}, {}} {
		m := sluice.Message{
			ID: "m1", Body: body, Sequence: 7, SentAt: now, FirstReceivedAt: now.Add(time.Second),
			ReceiveCount: 2, Receipt: "r", SourceQueue: "src", Tenant: "t",
			Attributes: map[string]sluice.Attribute{"b": {Type: "Binary", Binary: []byte{9}}},
		}
		b, err := json.Marshal(FromMessage(m))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"sent_at":"2025-11-28T04:11:00.123456789Z"`) {
			t.Errorf("Marshal = %s, want sent_at with nanoseconds", b)
		}
		var w Message
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		got, err := w.Message()
		if err != nil {
			t.Fatalf("Message() = %v", err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("round trip via %s (-want +got):\n%s", b, diff)
		}
	}
}

func TestQueueRoundTrip(t *testing.T) {
	cfg := sluice.QueueConfig{
		Name: "orders.fifo", Type: sluice.FIFO, VisibilityTimeout: time.Minute, Delay: time.Second,
		Retention: time.Hour, ReceiveWait: 20 * time.Second, MaxMessageSize: 1024,
		DeadLetter:        &sluice.DeadLetterPolicy{Queue: "dead.fifo", MaxReceives: 5},
		ContentBasedDedup: true, Tags: map[string]string{"team": "a"},
		CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), UpdatedAt: time.Date(2025, 1, 2, 3, 4, 5, 7, time.UTC),
	}
	b, err := json.Marshal(FromQueueConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var q Queue
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cfg, q.QueueConfig()); diff != "" {
		t.Errorf("round trip via %s (-want +got):\n%s", b, diff)
	}
	create := cfg
	create.CreatedAt, create.UpdatedAt = time.Time{}, time.Time{}
	b, _ = json.Marshal(FromCreateQueue(create))
	var r CreateQueueRequest
	if err := Decode(b, &r); err != nil {
		t.Fatalf("Decode(%s) = %v", b, err)
	}
	if diff := cmp.Diff(create, r.QueueConfig()); diff != "" {
		t.Errorf("create round trip via %s (-want +got):\n%s", b, diff)
	}
}

func TestReceiveAndVisibilityRequests(t *testing.T) {
	tests := []struct {
		in    string
		v     interface{ check() error }
		field string
	}{
		{`{"max":10,"wait":"20s","visibility_timeout":30}`, &receiveCheck{}, ""},
		{`{"max":-1}`, &receiveCheck{}, "max"},
		{`{"wait":"-1s"}`, &receiveCheck{}, "wait"},
		{`{"visibility_timeout":-1}`, &receiveCheck{}, "visibility_timeout"},
		{`{"changes":[{"receipt":"r","timeout":"0s"}]}`, &visibilityCheck{}, ""},
		{`{"changes":[]}`, &visibilityCheck{}, "changes"},
		{`{"changes":[{"receipt":"r","timeout":"1s"},{"receipt":"r"}]}`, &visibilityCheck{}, "changes[1].timeout"},
		{`{"changes":[{"receipt":"r","timeout":"-1s"}]}`, &visibilityCheck{}, "changes[0].timeout"},
		{`{"receipts":["a"],"delay":"5s"}`, &nackCheck{}, ""},
		{`{"receipts":[]}`, &nackCheck{}, "receipts"},
		{`{"receipts":["a"],"delay":"-5s"}`, &nackCheck{}, "delay"},
	}
	for _, tt := range tests {
		if err := Decode([]byte(tt.in), tt.v); err != nil {
			t.Fatalf("Decode(%s) = %v", tt.in, err)
		}
		err := tt.v.check()
		var ia *sluice.InvalidArgumentError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v, want nil", tt.in, err)
		case tt.field != "" && (!errors.As(err, &ia) || ia.Field != tt.field):
			t.Errorf("%s: %v, want invalid %s", tt.in, err, tt.field)
		}
	}
}

type receiveCheck struct{ ReceiveRequest }

func (r *receiveCheck) check() error { _, err := r.ReceiveOptions(); return err }

type visibilityCheck struct{ VisibilityRequest }

func (r *visibilityCheck) check() error { _, err := r.VisibilityChanges(); return err }

type nackCheck struct{ NackRequest }

func (r *nackCheck) check() error { _, err := r.VisibilityChanges(); return err }

func ptr[T any](v T) *T { return &v }
