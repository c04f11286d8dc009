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
)

// testHTTPSubscription subscribes an HTTP endpoint through a node
// that does not serve the topic: the owner's push worker sends the
// confirmation request, the endpoint confirms, and a message published
// through the other node is delivered. After the owner stops, the node that
// takes the topic over delivers what is published next.
func testHTTPSubscription(t *testing.T, nodes map[string]*running, owners map[int]string) {
	ctx := t.Context()
	const topic = "hooks"
	owner := nodes[owners[partitionOf(topic)]]
	x, y := others(nodes, owners[partitionOf(topic)])

	type note struct{ Type, Message, SubscribeURL, TopicArn string }
	notes := make(chan note, 10)
	subscriber := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var n note
		b, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(b, &n); err != nil {
			t.Errorf("delivery %s is not an SNS envelope: %v", b, err)
		}
		if n.Type == "SubscriptionConfirmation" {
			if !strings.HasPrefix(n.SubscribeURL, owner.url+"/") {
				t.Errorf("SubscribeURL = %q, want a link to the owner %s", n.SubscribeURL, owner.url)
			}
			if resp, err := http.Get(n.SubscribeURL); err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("GET SubscribeURL: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}
		}
		notes <- n
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(subscriber.Close)
	next := func(what string) note {
		t.Helper()
		select {
		case n := <-notes:
			return n
		case <-time.After(15 * time.Second):
			t.Fatalf("%s never reached the subscriber", what)
			return note{}
		}
	}

	if _, err := x.client.CreateTopic(ctx, sluice.TopicConfig{Name: topic}); err != nil {
		t.Fatal(err)
	}
	sub, err := x.client.Subscribe(ctx, sluice.Subscription{Topic: topic, Protocol: sluice.ProtocolHTTP, Endpoint: subscriber.URL + "/hook"})
	if err != nil {
		t.Fatalf("Subscribe(http) through a non-owner error = %v", err)
	}
	if n := next("the confirmation request"); n.Type != "SubscriptionConfirmation" {
		t.Fatalf("first delivery = %+v, want the confirmation request", n)
	}
	if got, err := y.client.GetSubscription(ctx, sub.ID); err != nil || !got.Confirmed {
		t.Fatalf("GetSubscription() after confirming = %+v, %v, want confirmed", got, err)
	}
	if _, err := y.client.Publish(ctx, topic, sluice.PublishInput{Body: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	if n := next("the first notification"); n.Type != "Notification" || n.Message != "one" || !strings.HasSuffix(n.TopicArn, ":"+topic) {
		t.Errorf("delivery = %+v, want the notification of one from topic %s", n, topic)
	}

	if err := owner.shutdown(t, 10*time.Second); err != nil {
		t.Fatalf("owner stopped with %v", err)
	}
	retry(t, "Publish after the owner stopped", func() error {
		_, err := x.client.Publish(ctx, topic, sluice.PublishInput{Body: []byte("two")})
		return err
	})
	if n := next("the notification published after the move"); n.Message != "two" {
		t.Errorf("delivery after the move = %+v, want two", n)
	}
}
