package client_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// recorded is what a canned server saw of one request.
type recorded struct {
	method, path, query string
	header              http.Header
	body                string
}

// setup returns a client for a loopback server that records each request
// and answers with status and body.
func setup(t *testing.T, status int, body string, opts ...client.Option) (*client.Client, chan recorded) {
	t.Helper()
	seen := make(chan recorded, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case seen <- recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header, string(b)}:
		default: // only the first request is recorded
		}
		w.Header().Set("X-Request-Id", "req-1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return client.New(srv.URL+"/", opts...), seen
}

func TestRequests(t *testing.T) {
	five := 5 * time.Second
	tests := []struct {
		name   string
		call   func(c *client.Client) error
		reply  string
		method string
		path   string
		query  string
		body   string // JSON, compared structurally; "" for none
	}{
		{"create", func(c *client.Client) error {
			_, err := c.CreateQueue(t.Context(), sluice.QueueConfig{Name: "q", VisibilityTimeout: time.Minute, DeadLetter: &sluice.DeadLetterPolicy{Queue: "d", MaxReceives: 2}})
			return err
		}, `{"name":"q"}`, "POST", "/v1/queues", "", `{"name":"q","visibility_timeout":"1m0s","dead_letter":{"queue":"d","max_receives":2}}`},
		{"list", func(c *client.Client) error {
			_, err := c.ListQueues(t.Context(), client.ListOptions{Prefix: "a", After: "a1", Limit: 5})
			return err
		}, `{"queues":[],"next":""}`, "GET", "/v1/queues", "after=a1&limit=5&prefix=a", ""},
		{"update removes dead letter", func(c *client.Client) error {
			_, err := c.UpdateQueue(t.Context(), "q", sluice.QueueUpdate{Delay: &five, DeadLetter: &sluice.DeadLetterPolicy{}})
			return err
		}, `{"name":"q"}`, "PATCH", "/v1/queues/q", "", `{"delay":"5s","dead_letter":{"queue":"","max_receives":0}}`},
		{"untag", func(c *client.Client) error { return c.UntagQueue(t.Context(), "q", []string{"a", "b"}) },
			``, "DELETE", "/v1/queues/q/tags", "key=a&key=b", ""},
		{"send binary", func(c *client.Client) error {
			_, err := c.Send(t.Context(), "q", sluice.SendInput{Body: []byte{0xff}, Delay: &five})
			return err
		}, `{"id":"1","sequence":1,"duplicate":false}`, "POST", "/v1/queues/q/messages", "", `{"body_base64":"/w==","delay":"5s"}`},
		{"send batch", func(c *client.Client) error {
			_, err := c.SendBatch(t.Context(), "q", []sluice.SendInput{{Body: []byte("a")}})
			return err
		}, `{"messages":[{"id":"1","sequence":1,"duplicate":false}]}`, "POST", "/v1/queues/q/messages", "", `{"messages":[{"body":"a"}]}`},
		{"receive", func(c *client.Client) error {
			_, err := c.Receive(t.Context(), "q", sluice.ReceiveOptions{Max: 3, WaitTime: &five})
			return err
		}, `{"messages":[]}`, "POST", "/v1/queues/q/receive", "", `{"max":3,"wait":"5s"}`},
		{"nack", func(c *client.Client) error { return c.Nack(t.Context(), "q", "r", five) },
			`{"results":[{"receipt":"r","error":null}],"changed":1,"failed":0}`, "POST", "/v1/queues/q/nack", "", `{"receipts":["r"],"delay":"5s"}`},
		{"change visibility", func(c *client.Client) error { return c.ChangeVisibility(t.Context(), "q", "r", 0) },
			`{"results":[{"receipt":"r","error":null}],"changed":1,"failed":0}`, "POST", "/v1/queues/q/visibility", "", `{"changes":[{"receipt":"r","timeout":"0s"}]}`},
		{"redrive", func(c *client.Client) error {
			_, err := c.Redrive(t.Context(), "dlq", sluice.RedriveOptions{Destination: "q", Max: 10})
			return err
		}, `{"moved":0}`, "POST", "/v1/queues/dlq/redrive", "", `{"destination":"q","max":10}`},
		{"health", func(c *client.Client) error { return c.Health(t.Context()) }, `{"status":"ready"}`, "GET", "/readyz", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := setup(t, 200, tt.reply, client.WithToken("s3cret"), client.WithUserAgent("test/1"))
			if err := tt.call(c); err != nil {
				t.Fatalf("call = %v", err)
			}
			r := <-seen
			if r.method != tt.method || r.path != tt.path || r.query != tt.query {
				t.Errorf("request = %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tt.method, tt.path, tt.query)
			}
			if got := r.header.Get("Authorization"); got != "Bearer s3cret" {
				t.Errorf("Authorization = %q, want Bearer s3cret", got)
			}
			if got := r.header.Get("User-Agent"); got != "test/1" {
				t.Errorf("User-Agent = %q, want test/1", got)
			}
			if tt.body == "" {
				if r.body != "" {
					t.Errorf("body = %s, want none", r.body)
				}
				return
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var got, want any
			if err := json.Unmarshal([]byte(r.body), &got); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			json.Unmarshal([]byte(tt.body), &want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorUnwrap(t *testing.T) {
	tests := []struct {
		code string
		is   error
	}{
		{"queue_not_found", sluice.ErrQueueNotFound},
		{"queue_exists", sluice.ErrQueueExists},
		{"queue_in_use", sluice.ErrQueueInUse},
		{"receipt_invalid", sluice.ErrReceiptInvalid},
		{"receipt_stale", sluice.ErrReceiptStale},
		{"not_dead_letter_queue", sluice.ErrNotDeadLetterQueue},
		{"unavailable", sluice.ErrUnavailable},
	}
	for _, tt := range tests {
		c, _ := setup(t, 409, `{"error":{"code":"`+tt.code+`","message":"m"}}`)
		_, err := c.GetQueue(t.Context(), "q")
		if !errors.Is(err, tt.is) {
			t.Errorf("error for code %s = %v, want errors.Is %v", tt.code, err, tt.is)
		}
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != tt.code || ce.StatusCode != 409 || ce.RequestID != "req-1" {
			t.Errorf("error for code %s = %#v", tt.code, err)
		}
	}
	for _, code := range []string{"internal", "malformed_json", "not_found", "brand_new_code"} {
		c, _ := setup(t, 500, `{"error":{"code":"`+code+`","message":"m"}}`)
		_, err := c.GetQueue(t.Context(), "q")
		if errors.Is(err, sluice.ErrQueueNotFound) || errors.Unwrap(err) != nil {
			t.Errorf("error for code %s = %v, want it to unwrap to nothing", code, err)
		}
	}
}

func TestInvalidArgumentAndLimitErrors(t *testing.T) {
	c, _ := setup(t, 400, `{"error":{"code":"invalid_argument","message":"invalid messages[2].body_base64: is not valid base64","field":"messages[2].body_base64"}}`)
	_, err := c.SendBatch(t.Context(), "q", []sluice.SendInput{{}})
	var ia *sluice.InvalidArgumentError
	if !errors.As(err, &ia) || ia.Field != "messages[2].body_base64" || ia.Reason != "is not valid base64" {
		t.Errorf("SendBatch() = %v, want *sluice.InvalidArgumentError{messages[2].body_base64, is not valid base64}, got %+v", err, ia)
	}
	if want := "invalid messages[2].body_base64: is not valid base64 (invalid_argument, HTTP 400 Bad Request, request req-1)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}

	c, _ = setup(t, 400, `{"error":{"code":"limit_exceeded","message":"attributes is 11, over the limit of 10","field":"attributes","limit":10,"got":11}}`)
	_, err = c.Send(t.Context(), "q", sluice.SendInput{})
	var le *sluice.LimitError
	if !errors.As(err, &le) || *le != (sluice.LimitError{Field: "attributes", Limit: 10, Got: 11}) {
		t.Errorf("Send() = %v, want *sluice.LimitError{attributes, 10, 11}", err)
	}
	if !errors.As(err, &ia) || ia.Field != "attributes" {
		t.Errorf("Send() = %v, want it also to be a *sluice.InvalidArgumentError for attributes", err)
	}
}

func TestBatchEntryErrors(t *testing.T) {
	c, _ := setup(t, 200, `{"results":[{"receipt":"a","error":null},{"receipt":"b","error":{"code":"receipt_stale","message":"stale"}}],"acked":1,"failed":1}`)
	errs, err := c.AckBatch(t.Context(), "q", []string{"a", "b"})
	if err != nil || len(errs) != 2 || errs[0] != nil || !errors.Is(errs[1], sluice.ErrReceiptStale) {
		t.Fatalf("AckBatch() = %v, %v; want [nil, stale]", errs, err)
	}
	var ce *client.Error
	if !errors.As(errs[1], &ce) || ce.StatusCode != 0 || ce.RequestID != "req-1" {
		t.Errorf("entry error = %#v, want StatusCode 0 and the request id", errs[1])
	}
	if _, err := c.AckBatch(t.Context(), "q", []string{"a"}); err == nil {
		t.Errorf("AckBatch() with 2 results for 1 receipt = nil error, want one")
	}
}

func TestUnexpectedResponses(t *testing.T) {
	c, _ := setup(t, 502, `<html>bad gateway</html>`)
	_, err := c.GetQueue(t.Context(), "q")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.StatusCode != 502 || ce.Code != "" || !strings.Contains(ce.Message, "bad gateway") {
		t.Errorf("GetQueue() via a broken proxy = %#v, want a *client.Error with status 502 and the body", err)
	}
	c, _ = setup(t, 200, `{"messages":[{"id":"1","body_base64":"%%%"}]}`)
	if _, err := c.Receive(t.Context(), "q", sluice.ReceiveOptions{}); err == nil {
		t.Errorf("Receive() with bad base64 from the server = nil error")
	}
	if _, err := client.New("http://127.0.0.1:1").GetQueue(t.Context(), ""); !errors.As(err, new(*sluice.InvalidArgumentError)) {
		t.Errorf("GetQueue(\"\") = %v, want an invalid argument without a request", err)
	}
}

func TestHealthPlainText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "shutting down\n")
	}))
	t.Cleanup(srv.Close)
	if err := client.New(srv.URL).Health(t.Context()); !errors.Is(err, sluice.ErrUnavailable) {
		t.Errorf("Health() against a plain-text 503 = %v, want ErrUnavailable", err)
	}
}

func TestBaseURLPrefix(t *testing.T) {
	seen := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.URL.Path
		io.WriteString(w, `{"name":"q"}`)
	}))
	t.Cleanup(srv.Close)
	if _, err := client.New(srv.URL+"/sluice/").GetQueue(t.Context(), "q"); err != nil {
		t.Fatal(err)
	}
	if p := <-seen; p != "/sluice/v1/queues/q" {
		t.Errorf("path = %s, want /sluice/v1/queues/q", p)
	}
}
