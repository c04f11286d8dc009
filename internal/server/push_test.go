package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/server"
)

// TestHTTPSubscriptionConfirmsAndReceives runs the whole push path through
// a real server: an HTTP subscriber is sent a confirmation request, confirms
// by fetching its SubscribeURL from the native API, and then receives what
// is published.
func TestHTTPSubscriptionConfirmsAndReceives(t *testing.T) {
	r := start(t, server.Config{})
	ctx := t.Context()
	type note struct {
		Type, Message, SubscribeURL string
	}
	notes := make(chan note, 10)
	confirmed := make(chan error, 1)
	subscriber := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var n note
		b, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(b, &n); err != nil || n.Type != req.Header.Get("x-amz-sns-message-type") {
			t.Errorf("delivery %s (type header %q) is not an SNS envelope of its type: %v", b, req.Header.Get("x-amz-sns-message-type"), err)
		}
		if n.Type == "SubscriptionConfirmation" {
			if !strings.HasPrefix(n.SubscribeURL, r.url+"/v1/topics/events/confirm?token=") {
				t.Errorf("SubscribeURL = %q, want the server's confirm link", n.SubscribeURL)
			}
			resp, err := http.Get(n.SubscribeURL)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = &statusError{resp.StatusCode}
				}
			}
			confirmed <- err
		} else {
			notes <- n
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(subscriber.Close)

	if _, err := r.client.CreateTopic(ctx, sluice.TopicConfig{Name: "events"}); err != nil {
		t.Fatal(err)
	}
	sub, err := r.client.Subscribe(ctx, sluice.Subscription{Topic: "events", Protocol: sluice.ProtocolHTTP, Endpoint: subscriber.URL + "/hook"})
	if err != nil {
		t.Fatalf("Subscribe() = %v", err)
	}
	select {
	case err := <-confirmed:
		if err != nil {
			t.Fatalf("GET SubscribeURL: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no confirmation request reached the subscriber")
	}
	if got, err := r.client.GetSubscription(ctx, sub.ID); err != nil || !got.Confirmed {
		t.Fatalf("GetSubscription() after fetching SubscribeURL = %+v, %v; want confirmed", got, err)
	}
	if res, err := r.client.Publish(ctx, "events", sluice.PublishInput{Body: []byte("hello")}); err != nil || res.Deliveries != 1 {
		t.Fatalf("Publish() = %+v, %v; want 1 delivery", res, err)
	}
	select {
	case n := <-notes:
		if n.Type != "Notification" || n.Message != "hello" {
			t.Errorf("delivery = %+v, want the notification of hello", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the published message never reached the subscriber")
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }
