package client_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

const subscriptionReply = `{"id":"t/ab","topic":"t","protocol":"queue","endpoint":"q","filter_policy":{"a":["b"]},"filter_scope":"MessageAttributes","raw":true,"delivery":null,"dead_letter_queue":"","confirmed":true}`

func TestTopicRequests(t *testing.T) {
	raw := true
	policy := `{"a": ["c"]}`
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
			_, err := c.CreateTopic(t.Context(), sluice.TopicConfig{Name: "t.fifo", ContentBasedDedup: true, Tags: map[string]string{"a": "b"}})
			return err
		}, `{"name":"t.fifo"}`, "POST", "/v1/topics", "", `{"name":"t.fifo","content_based_dedup":true,"tags":{"a":"b"}}`},
		{"get", func(c *client.Client) error { _, err := c.GetTopic(t.Context(), "t"); return err },
			`{"name":"t"}`, "GET", "/v1/topics/t", "", ""},
		{"list", func(c *client.Client) error {
			_, err := c.ListTopics(t.Context(), client.ListOptions{Prefix: "a", After: "a1", Limit: 5})
			return err
		}, `{"topics":[],"next":""}`, "GET", "/v1/topics", "after=a1&limit=5&prefix=a", ""},
		{"delete", func(c *client.Client) error { return c.DeleteTopic(t.Context(), "t") }, ``, "DELETE", "/v1/topics/t", "", ""},
		{"tag", func(c *client.Client) error { return c.TagTopic(t.Context(), "t", map[string]string{"k": "v"}) },
			``, "PUT", "/v1/topics/t/tags", "", `{"k":"v"}`},
		{"untag", func(c *client.Client) error { return c.UntagTopic(t.Context(), "t", []string{"a", "b"}) },
			``, "DELETE", "/v1/topics/t/tags", "key=a&key=b", ""},
		{"publish", func(c *client.Client) error {
			_, err := c.Publish(t.Context(), "t", sluice.PublishInput{Body: []byte("hi"), Subject: "s", GroupID: "g",
				Attributes: map[string]sluice.Attribute{"n": {Type: "Number", String: "1"}}})
			return err
		}, `{"id":"1","sequence":0,"duplicate":false,"deliveries":2}`, "POST", "/v1/topics/t/publish", "",
			`{"body":"hi","subject":"s","group_id":"g","attributes":{"n":{"type":"Number","value":"1"}}}`},
		{"publish batch", func(c *client.Client) error {
			_, err := c.PublishBatch(t.Context(), "t", []sluice.PublishInput{{Body: []byte("a")}, {Body: []byte("")}})
			return err
		}, `{"messages":[{"id":"1"},{"id":"2"}]}`, "POST", "/v1/topics/t/publish", "", `{"messages":[{"body":"a"},{"body":""}]}`},
		{"subscribe http", func(c *client.Client) error {
			_, err := c.Subscribe(t.Context(), sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolHTTPS, Endpoint: "https://x/y",
				FilterPolicy: `{"a":["b"]}`, Delivery: sluice.DeliveryPolicy{MaxAttempts: 3, MaxBackoff: time.Minute}, Confirmed: true})
			return err
		}, subscriptionReply, "POST", "/v1/topics/t/subscriptions", "",
			`{"protocol":"https","endpoint":"https://x/y","filter_policy":{"a":["b"]},"confirmed":true,
			"delivery":{"max_attempts":3,"min_backoff":"0s","max_backoff":"1m0s","timeout":"0s","max_rate":0}}`},
		{"get subscription", func(c *client.Client) error { _, err := c.GetSubscription(t.Context(), "t/ab"); return err },
			subscriptionReply, "GET", "/v1/topics/t/subscriptions/ab", "", ""},
		{"list topic subscriptions", func(c *client.Client) error {
			_, err := c.ListSubscriptions(t.Context(), "t", client.ListOptions{After: "t/ab", Limit: 2})
			return err
		}, `{"subscriptions":[],"next":""}`, "GET", "/v1/topics/t/subscriptions", "after=t%2Fab&limit=2", ""},
		{"list all subscriptions", func(c *client.Client) error {
			_, err := c.ListSubscriptions(t.Context(), "", client.ListOptions{})
			return err
		}, `{"subscriptions":[],"next":""}`, "GET", "/v1/subscriptions", "", ""},
		{"update subscription", func(c *client.Client) error {
			_, err := c.UpdateSubscription(t.Context(), "t/ab", sluice.SubscriptionUpdate{FilterPolicy: &policy, Raw: &raw})
			return err
		}, subscriptionReply, "PATCH", "/v1/topics/t/subscriptions/ab", "", `{"filter_policy":{"a":["c"]},"raw":true}`},
		{"unsubscribe", func(c *client.Client) error { return c.Unsubscribe(t.Context(), "t/ab") },
			``, "DELETE", "/v1/topics/t/subscriptions/ab", "", ""},
		{"confirm", func(c *client.Client) error { _, err := c.ConfirmSubscription(t.Context(), "t", "tok"); return err },
			subscriptionReply, "POST", "/v1/topics/t/confirm", "", `{"token":"tok"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := setup(t, 200, tt.reply)
			if err := tt.call(c); err != nil {
				t.Fatalf("call = %v", err)
			}
			r := <-seen
			if r.method != tt.method || r.path != tt.path || r.query != tt.query {
				t.Errorf("request = %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tt.method, tt.path, tt.query)
			}
			if tt.body == "" {
				if r.body != "" {
					t.Errorf("body = %s, want none", r.body)
				}
				return
			}
			var got, want any
			if err := json.Unmarshal([]byte(r.body), &got); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			if err := json.Unmarshal([]byte(tt.body), &want); err != nil {
				t.Fatalf("test body %s: %v", tt.body, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubscriptionDecoding(t *testing.T) {
	c, _ := setup(t, 200, subscriptionReply)
	s, err := c.GetSubscription(t.Context(), "t/ab")
	want := sluice.Subscription{ID: "t/ab", Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "q", FilterPolicy: `{"a":["b"]}`,
		FilterScope: sluice.ScopeAttributes, Raw: true, Confirmed: true}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("GetSubscription() (-want +got):\n%s", diff)
	}
}

func TestTopicErrorUnwrap(t *testing.T) {
	for code, is := range map[string]error{
		"topic_not_found":        sluice.ErrTopicNotFound,
		"topic_exists":           sluice.ErrTopicExists,
		"subscription_not_found": sluice.ErrSubscriptionNotFound,
		"token_invalid":          sluice.ErrTokenInvalid,
	} {
		c, _ := setup(t, 400, `{"error":{"code":"`+code+`","message":"m"}}`)
		_, err := c.GetTopic(t.Context(), "t")
		if !errors.Is(err, is) {
			t.Errorf("error for code %s = %v, want errors.Is %v", code, err, is)
		}
	}
}

func TestTopicArgumentsCheckedLocally(t *testing.T) {
	c := client.New("http://127.0.0.1:1") // no request must be made
	ctx := t.Context()
	var ia *sluice.InvalidArgumentError
	if _, err := c.Publish(ctx, "t", sluice.PublishInput{Body: []byte{0xff}}); !errors.As(err, &ia) || ia.Field != "body" {
		t.Errorf("Publish(non-UTF-8) = %v, want invalid body", err)
	}
	if _, err := c.Subscribe(ctx, sluice.Subscription{Protocol: sluice.ProtocolQueue, Endpoint: "q"}); !errors.As(err, &ia) || ia.Field != "topic" {
		t.Errorf("Subscribe(no topic) = %v, want invalid topic", err)
	}
	d := sluice.DeliveryPolicy{MaxAttempts: 2}
	if _, err := c.UpdateSubscription(ctx, "t/ab", sluice.SubscriptionUpdate{Delivery: &d}); !errors.As(err, &ia) || ia.Field != "delivery" {
		t.Errorf("UpdateSubscription(delivery) = %v, want invalid delivery", err)
	}
	for _, id := range []string{"", "t", "/ab", "t/", "t/a/b"} {
		if _, err := c.GetSubscription(ctx, id); !errors.Is(err, sluice.ErrSubscriptionNotFound) {
			t.Errorf("GetSubscription(%q) = %v, want ErrSubscriptionNotFound", id, err)
		}
	}
	if _, err := c.ListSubscriptions(ctx, "t", client.ListOptions{Prefix: "a"}); !errors.As(err, &ia) || ia.Field != "prefix" {
		t.Errorf("ListSubscriptions(prefix) = %v, want invalid prefix", err)
	}
}
