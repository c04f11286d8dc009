package nativeapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/nativeapi"
)

// TestClientErrors checks errors the engine reports, through the client:
// status, code, field, and the sluice error they unwrap to.
func TestClientErrors(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createQueue(t, sluice.QueueConfig{Name: "small", MaxMessageSize: 100})
	f.createQueue(t, sluice.QueueConfig{Name: "plain"})
	f.createQueue(t, sluice.QueueConfig{Name: "dlq"})
	f.createQueue(t, sluice.QueueConfig{Name: "uses-dlq", DeadLetter: &sluice.DeadLetterPolicy{Queue: "dlq", MaxReceives: 2}})
	if _, err := f.client.Send(ctx, "plain", sluice.SendInput{Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	none := time.Duration(0)
	leased, err := f.client.Receive(ctx, "plain", sluice.ReceiveOptions{WaitTime: &none, VisibilityTimeout: &none})
	if err != nil || len(leased) != 1 {
		t.Fatalf("Receive() = %v, %v", leased, err)
	}
	elevenAttrs := map[string]sluice.Attribute{}
	for i := range 11 {
		elevenAttrs[fmt.Sprintf("a%d", i)] = sluice.Attribute{Type: "String", String: "v"}
	}
	tooLongWait, tooManyMax := 21*time.Minute, 1001

	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
		field  string
		is     error // the sluice error it must match, or nil
	}{
		{"unknown queue", func() error { _, err := f.client.GetQueue(ctx, "nope"); return err },
			404, "queue_not_found", "", sluice.ErrQueueNotFound},
		{"send to unknown queue", func() error { _, err := f.client.Send(ctx, "nope", sluice.SendInput{Body: []byte("x")}); return err },
			404, "queue_not_found", "", sluice.ErrQueueNotFound},
		{"bad queue name", func() error { _, err := f.client.CreateQueue(ctx, sluice.QueueConfig{Name: "bad name!"}); return err },
			400, "invalid_argument", "name", nil},
		{"fifo name on standard", func() error {
			_, err := f.client.CreateQueue(ctx, sluice.QueueConfig{Name: "x.fifo", Type: sluice.Standard})
			return err
		}, 400, "invalid_argument", "name", nil},
		{"visibility timeout too long", func() error {
			_, err := f.client.CreateQueue(ctx, sluice.QueueConfig{Name: "v", VisibilityTimeout: 13 * time.Hour})
			return err
		}, 400, "invalid_argument", "visibility_timeout", nil},
		{"queue exists", func() error {
			_, err := f.client.CreateQueue(ctx, sluice.QueueConfig{Name: "plain", Delay: time.Second})
			return err
		},
			409, "queue_exists", "", sluice.ErrQueueExists},
		{"oversized body", func() error {
			_, err := f.client.Send(ctx, "small", sluice.SendInput{Body: make([]byte, 200)})
			return err
		}, 400, "limit_exceeded", "body", nil},
		{"too many attributes", func() error {
			_, err := f.client.Send(ctx, "plain", sluice.SendInput{Body: []byte("x"), Attributes: elevenAttrs})
			return err
		}, 400, "limit_exceeded", "attributes", nil},
		{"reserved attribute name", func() error {
			_, err := f.client.Send(ctx, "plain", sluice.SendInput{Body: []byte("x"), Attributes: map[string]sluice.Attribute{"AWS.x": {Type: "String", String: "v"}}})
			return err
		}, 400, "invalid_argument", "attributes.AWS.x", nil},
		{"bad entry in batch", func() error {
			_, err := f.client.SendBatch(ctx, "plain", []sluice.SendInput{{Body: []byte("a")}, {Body: []byte("b"), DedupID: "d"}})
			return err
		}, 400, "invalid_argument", "messages[1].dedup_id", nil},
		{"empty batch", func() error { _, err := f.client.SendBatch(ctx, "plain", nil); return err },
			400, "invalid_argument", "messages", nil},
		{"visibility out of range", func() error { return f.client.ChangeVisibility(ctx, "plain", leased[0].Receipt, 13*time.Hour) },
			400, "invalid_argument", "changes[0].timeout", nil},
		{"receive max too large", func() error {
			_, err := f.client.Receive(ctx, "plain", sluice.ReceiveOptions{Max: tooManyMax})
			return err
		}, 400, "invalid_argument", "max", nil},
		{"receive wait too long", func() error {
			_, err := f.client.Receive(ctx, "plain", sluice.ReceiveOptions{WaitTime: &tooLongWait})
			return err
		}, 400, "invalid_argument", "wait", nil},
		{"negative receive max", func() error { _, err := f.client.Receive(ctx, "plain", sluice.ReceiveOptions{Max: -1}); return err },
			400, "invalid_argument", "max", nil},
		{"empty ack", func() error { _, err := f.client.AckBatch(ctx, "plain", nil); return err },
			400, "invalid_argument", "receipts", nil},
		{"list limit too large", func() error { _, err := f.client.ListQueues(ctx, client.ListOptions{Limit: 1001}); return err },
			400, "limit_exceeded", "limit", nil},
		{"list limit negative", func() error { _, err := f.client.ListQueues(ctx, client.ListOptions{Limit: -1}); return err },
			400, "invalid_argument", "limit", nil},
		{"redrive a queue with no dead letters", func() error { _, err := f.client.Redrive(ctx, "plain", sluice.RedriveOptions{}); return err },
			400, "not_dead_letter_queue", "", sluice.ErrNotDeadLetterQueue},
		{"delete a dead-letter queue in use", func() error { return f.client.DeleteQueue(ctx, "dlq") },
			409, "queue_in_use", "", sluice.ErrQueueInUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantAPIError(t, tt.name, err, tt.status, tt.code, tt.field)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%s = %v, want errors.Is %v", tt.name, err, tt.is)
			}
			var ia *sluice.InvalidArgumentError
			if (tt.code == "invalid_argument" || tt.code == "limit_exceeded") && (!errors.As(err, &ia) || ia.Field != tt.field) {
				t.Errorf("%s = %v, want errors.As *sluice.InvalidArgumentError with field %q", tt.name, err, tt.field)
			}
			var le *sluice.LimitError
			if tt.code == "limit_exceeded" && (!errors.As(err, &le) || le.Field != tt.field || le.Limit == 0 || le.Got <= le.Limit) {
				t.Errorf("%s = %v, want errors.As *sluice.LimitError with field %q, limit and got", tt.name, err, tt.field)
			}
		})
	}
}

// TestRequestErrors checks what only a raw request can get wrong.
func TestRequestErrors(t *testing.T) {
	f := setup(t, func(o *setupOptions) { o.api.MaxRequestBytes = 4096 })
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	json := "application/json"
	big := `{"body":"` + strings.Repeat("x", 5000) + `"}`

	tests := []struct {
		name                string
		method, path, ctype string
		body                any
		status              int
		code, field         string
	}{
		{"malformed JSON", "POST", "/v1/queues/q/messages", json, `{"body":`, 400, "malformed_json", ""},
		{"empty body", "POST", "/v1/queues/q/messages", json, ``, 400, "malformed_json", ""},
		{"trailing garbage", "POST", "/v1/queues/q/messages", json, `{"body":"a"} x`, 400, "malformed_json", ""},
		{"two values", "POST", "/v1/queues", json, `{"name":"a"}{"name":"b"}`, 400, "malformed_json", ""},
		{"unknown field", "POST", "/v1/queues/q/messages", json, `{"body":"a","colour":"red"}`, 400, "invalid_argument", "colour"},
		{"unknown field in batch entry", "POST", "/v1/queues/q/messages", json, `{"messages":[{"body":"a"},{"body":"b","colour":"red"}]}`, 400, "invalid_argument", "messages[1].colour"},
		{"unknown field in create", "POST", "/v1/queues", json, `{"name":"z","visibility":"30s"}`, 400, "invalid_argument", "visibility"},
		{"both bodies", "POST", "/v1/queues/q/messages", json, `{"body":"a","body_base64":"YQ=="}`, 400, "invalid_argument", "body_base64"},
		{"no body", "POST", "/v1/queues/q/messages", json, `{"tenant":"t"}`, 400, "invalid_argument", "body"},
		{"bad base64", "POST", "/v1/queues/q/messages", json, `{"body_base64":"%%%"}`, 400, "invalid_argument", "body_base64"},
		{"bad base64 in batch", "POST", "/v1/queues/q/messages", json, `{"messages":[{"body":"a"},{"body":"b"},{"body_base64":"%%%"}]}`, 400, "invalid_argument", "messages[2].body_base64"},
		{"bad binary attribute", "POST", "/v1/queues/q/messages", json, `{"body":"a","attributes":{"k":{"type":"Binary","binary":"?"}}}`, 400, "invalid_argument", "attributes.k.binary"},
		{"bad duration", "POST", "/v1/queues/q/receive", json, `{"wait":"soon"}`, 400, "invalid_argument", "wait"},
		{"bad duration in create", "POST", "/v1/queues", json, `{"name":"z","retention":"1 day"}`, 400, "invalid_argument", "retention"},
		{"negative delay", "POST", "/v1/queues/q/messages", json, `{"body":"a","delay":-1}`, 400, "invalid_argument", "delay"},
		{"negative visibility", "POST", "/v1/queues/q/receive", json, `{"visibility_timeout":"-1s"}`, 400, "invalid_argument", "visibility_timeout"},
		{"missing timeout", "POST", "/v1/queues/q/visibility", json, `{"changes":[{"receipt":"r"}]}`, 400, "invalid_argument", "changes[0].timeout"},
		{"nack delay out of range", "POST", "/v1/queues/q/nack", json, `{"receipts":["r"],"delay":"13h"}`, 400, "invalid_argument", "delay"},
		{"negative redrive max", "POST", "/v1/queues/q/redrive", json, `{"max":-1}`, 400, "invalid_argument", "max"},
		{"null in update", "PATCH", "/v1/queues/q", json, `{"retention":null}`, 400, "invalid_argument", "retention"},
		{"tag value not a string", "PUT", "/v1/queues/q/tags", json, `{"a":1}`, 400, "invalid_argument", "tags"},
		{"untag without keys", "DELETE", "/v1/queues/q/tags", "", nil, 400, "invalid_argument", "key"},
		{"unknown query parameter", "GET", "/v1/queues?prefx=a", "", nil, 400, "invalid_argument", "prefx"},
		{"limit not a number", "GET", "/v1/queues?limit=ten", "", nil, 400, "invalid_argument", "limit"},
		{"wrong content type", "POST", "/v1/queues/q/messages", "text/plain", `{"body":"a"}`, 415, "unsupported_media_type", ""},
		{"wrong charset", "POST", "/v1/queues/q/messages", "application/json; charset=latin1", `{"body":"a"}`, 415, "unsupported_media_type", ""},
		{"body too large", "POST", "/v1/queues/q/messages", json, big, 413, "request_too_large", ""},
		{"chunked body too large", "POST", "/v1/queues/q/messages", json, io.MultiReader(strings.NewReader(big)), 413, "request_too_large", ""},
		{"unknown route", "GET", "/v1/nothing", "", nil, 404, "not_found", ""},
		{"unknown queue subresource", "GET", "/v1/queues/q/things", "", nil, 404, "not_found", ""},
		{"root", "GET", "/", "", nil, 404, "not_found", ""},
		{"wrong method", "DELETE", "/v1/queues", "", nil, 405, "method_not_allowed", ""},
		{"wrong method on queue", "POST", "/v1/queues/q", json, `{}`, 405, "method_not_allowed", ""},
		{"wrong method on receive", "GET", "/v1/queues/q/receive", "", nil, 405, "method_not_allowed", ""},
		{"unknown queue", "GET", "/v1/queues/nope/stats", "", nil, 404, "queue_not_found", ""},
		{"receipt on unknown queue", "POST", "/v1/queues/nope/ack", json, `{"receipts":["r"]}`, 404, "queue_not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.doReader(t, tt.method, tt.path, tt.ctype, tt.body)
			e := r.apiError(t)
			if r.status != tt.status || e.Code != tt.code || e.Field != tt.field {
				t.Errorf("%s %s = %d %s field %q, want %d %s field %q (%s)", tt.method, tt.path, r.status, e.Code, e.Field, tt.status, tt.code, tt.field, r.body)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Errorf("%s %s: no X-Request-Id", tt.method, tt.path)
			}
			if tt.status == 405 && r.header.Get("Allow") == "" {
				t.Errorf("%s %s: 405 without Allow", tt.method, tt.path)
			}
		})
	}
	if s := f.stats(t, "q"); s.Sent != 0 || s.Visible != 0 {
		t.Errorf("Stats() after rejected sends = %+v, want nothing written", s)
	}
}

// TestRejectedBatchWritesNothing checks that a batch with one bad entry,
// whether the handler or the engine rejects it, leaves the queue unchanged.
func TestRejectedBatchWritesNothing(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createQueue(t, sluice.QueueConfig{Name: "q", MaxMessageSize: 100})
	if _, err := f.client.Send(ctx, "q", sluice.SendInput{Body: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	before := f.stats(t, "q")

	_, err := f.client.SendBatch(ctx, "q", []sluice.SendInput{{Body: []byte("a")}, {Body: []byte("b")}, {Body: make([]byte, 101)}})
	wantAPIError(t, "SendBatch(oversized third)", err, 400, "limit_exceeded", "messages[2].body")
	r := f.do(t, "POST", "/v1/queues/q/messages", "application/json", `{"messages":[{"body":"a"},{"body_base64":"not base64"}]}`)
	if e := r.apiError(t); e.Field != "messages[1].body_base64" {
		t.Errorf("batch with bad base64 = %d %s field %q, want messages[1].body_base64", r.status, e.Code, e.Field)
	}

	after := f.stats(t, "q")
	after.OldestAge, before.OldestAge = 0, 0
	if after != before {
		t.Errorf("Stats() after rejected batches = %+v, want %+v", after, before)
	}
}

// brokenEngine fails GetQueue with an error the error table does not know.
type brokenEngine struct{ nativeapi.Engine }

func (brokenEngine) GetQueue(context.Context, string) (sluice.QueueConfig, error) {
	return sluice.QueueConfig{}, errors.New("disk on fire at sector 7")
}

func TestInternalErrorHidesDetail(t *testing.T) {
	logs := &syncBuffer{}
	srv := httptest.NewServer(nativeapi.New(brokenEngine{}, nativeapi.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}))
	t.Cleanup(srv.Close)
	_, err := client.New(srv.URL).GetQueue(t.Context(), "q")
	ce := wantAPIError(t, "GetQueue()", err, 500, "internal", "")
	if ce.Message != "internal error" || strings.Contains(err.Error(), "disk") {
		t.Errorf("GetQueue() = %v, want no detail", err)
	}
	if !strings.Contains(logs.String(), "disk on fire at sector 7") || !strings.Contains(logs.String(), ce.RequestID) {
		t.Errorf("log = %q, want the detail and request id %s", logs.String(), ce.RequestID)
	}
}

// doReader is do with any body: a string, an io.Reader (sent chunked) or nil.
func (f *fixture) doReader(t *testing.T, method, path, contentType string, body any) response {
	t.Helper()
	if rd, ok := body.(io.Reader); ok {
		req, err := http.NewRequestWithContext(t.Context(), method, f.url+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, header: resp.Header, body: data}
	}
	return f.do(t, method, path, contentType, body)
}
