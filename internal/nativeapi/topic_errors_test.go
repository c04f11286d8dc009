package nativeapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// TestTopicClientErrors checks the errors of the topic endpoints, through
// the client: status, code, field, and the sluice error they unwrap to.
func TestTopicClientErrors(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createTopic(t, sluice.TopicConfig{Name: "t"})
	f.createTopic(t, sluice.TopicConfig{Name: "t.fifo"})
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	sub := f.subscribe(t, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "q"})
	bad := "{"

	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
		field  string
		is     error
	}{
		{"unknown topic", func() error { _, err := f.client.GetTopic(ctx, "nope"); return err },
			404, "topic_not_found", "", sluice.ErrTopicNotFound},
		{"publish to unknown topic", func() error {
			_, err := f.client.Publish(ctx, "nope", sluice.PublishInput{Body: []byte("x")})
			return err
		}, 404, "topic_not_found", "", sluice.ErrTopicNotFound},
		{"subscribe to unknown topic", func() error {
			_, err := f.client.Subscribe(ctx, sluice.Subscription{Topic: "nope", Protocol: sluice.ProtocolQueue, Endpoint: "q"})
			return err
		}, 404, "topic_not_found", "", sluice.ErrTopicNotFound},
		{"list subscriptions of unknown topic", func() error {
			_, err := f.client.ListSubscriptions(ctx, "nope", client.ListOptions{})
			return err
		}, 404, "topic_not_found", "", sluice.ErrTopicNotFound},
		{"delete unknown topic", func() error { return f.client.DeleteTopic(ctx, "nope") },
			404, "topic_not_found", "", sluice.ErrTopicNotFound},
		{"topic exists", func() error {
			_, err := f.client.CreateTopic(ctx, sluice.TopicConfig{Name: "t", Tags: map[string]string{"a": "b"}})
			return err
		}, 409, "topic_exists", "", sluice.ErrTopicExists},
		{"bad topic name", func() error { _, err := f.client.CreateTopic(ctx, sluice.TopicConfig{Name: "bad name"}); return err },
			400, "invalid_argument", "name", nil},
		{"content dedup on standard topic", func() error {
			_, err := f.client.CreateTopic(ctx, sluice.TopicConfig{Name: "s", ContentBasedDedup: true})
			return err
		}, 400, "invalid_argument", "content_based_dedup", nil},
		{"bad filter policy", func() error {
			_, err := f.client.Subscribe(ctx, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "q", FilterPolicy: `{"a":"not a list"}`})
			return err
		}, 400, "invalid_argument", "filter_policy", nil},
		{"filter policy not JSON", func() error {
			_, err := f.client.Subscribe(ctx, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "q", FilterPolicy: "price > 3"})
			return err
		}, 400, "invalid_argument", "filter_policy", nil},
		{"bad filter policy in update", func() error {
			_, err := f.client.UpdateSubscription(ctx, sub.ID, sluice.SubscriptionUpdate{FilterPolicy: &bad})
			return err
		}, 400, "invalid_argument", "filter_policy", nil},
		{"bad protocol", func() error {
			_, err := f.client.Subscribe(ctx, sluice.Subscription{Topic: "t", Protocol: "smtp", Endpoint: "a@b"})
			return err
		}, 400, "invalid_argument", "protocol", nil},
		{"http subscription of a FIFO topic", func() error {
			_, err := f.client.Subscribe(ctx, sluice.Subscription{Topic: "t.fifo", Protocol: sluice.ProtocolHTTP, Endpoint: "http://127.0.0.1/x"})
			return err
		}, 400, "invalid_argument", "protocol", nil},
		{"missing queue", func() error {
			_, err := f.client.Subscribe(ctx, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "missing"})
			return err
		}, 400, "invalid_argument", "endpoint", nil},
		{"too many attempts", func() error {
			_, err := f.client.Subscribe(ctx, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolHTTP, Endpoint: "http://127.0.0.1/x",
				Delivery: sluice.DeliveryPolicy{MaxAttempts: 500}})
			return err
		}, 400, "invalid_argument", "delivery.max_attempts", nil},
		{"unknown subscription", func() error {
			_, err := f.client.GetSubscription(ctx, "t/0123456789abcdef0123456789abcdef")
			return err
		},
			404, "subscription_not_found", "", sluice.ErrSubscriptionNotFound},
		{"update unknown subscription", func() error {
			raw := true
			_, err := f.client.UpdateSubscription(ctx, "t/ffff", sluice.SubscriptionUpdate{Raw: &raw})
			return err
		}, 404, "subscription_not_found", "", sluice.ErrSubscriptionNotFound},
		{"unsubscribe unknown subscription", func() error { return f.client.Unsubscribe(ctx, "nope/ffff") },
			404, "subscription_not_found", "", sluice.ErrSubscriptionNotFound},
		{"wrong token", func() error { _, err := f.client.ConfirmSubscription(ctx, "t", "wrong"); return err },
			400, "token_invalid", "", sluice.ErrTokenInvalid},
		{"empty token", func() error { _, err := f.client.ConfirmSubscription(ctx, "t", ""); return err },
			400, "invalid_argument", "token", nil},
		{"FIFO publish without group", func() error {
			_, err := f.client.Publish(ctx, "t.fifo", sluice.PublishInput{Body: []byte("x"), DedupID: "d"})
			return err
		}, 400, "invalid_argument", "group_id", nil},
		{"FIFO batch entry without group", func() error {
			_, err := f.client.PublishBatch(ctx, "t.fifo", []sluice.PublishInput{{Body: []byte("x"), GroupID: "g", DedupID: "1"}, {Body: []byte("y"), DedupID: "2"}})
			return err
		}, 400, "invalid_argument", "messages[1].group_id", nil},
		{"subject too long", func() error {
			_, err := f.client.Publish(ctx, "t", sluice.PublishInput{Body: []byte("x"), Subject: string(make([]byte, 101))})
			return err
		}, 400, "invalid_argument", "subject", nil},
		{"empty publish batch", func() error { _, err := f.client.PublishBatch(ctx, "t", nil); return err },
			400, "invalid_argument", "messages", nil},
		{"list limit too large", func() error { _, err := f.client.ListTopics(ctx, client.ListOptions{Limit: 1001}); return err },
			400, "limit_exceeded", "limit", nil},
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
		})
	}
	if res := f.publish(t, "t", sluice.PublishInput{Body: []byte("ok")}); res.Deliveries != 1 {
		t.Errorf("Publish() after the failures = %+v, want the one subscription unchanged", res)
	}
}

// TestTopicRequestErrors checks what only a raw request can get wrong.
func TestTopicRequestErrors(t *testing.T) {
	f := setup(t)
	f.createTopic(t, sluice.TopicConfig{Name: "t"})
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	s := f.subscribe(t, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "q"})
	subPath := "/v1/topics/" + s.ID[:2] + "subscriptions/" + s.ID[2:]
	json := "application/json"

	tests := []struct {
		name                string
		method, path, ctype string
		body                any
		status              int
		code, field         string
	}{
		{"non-UTF-8 body", "POST", "/v1/topics/t/publish", json, "{\"body\":\"caf\xe9\"}", 400, "invalid_argument", "body"},
		{"non-UTF-8 body in batch", "POST", "/v1/topics/t/publish", json, "{\"messages\":[{\"body\":\"a\"},{\"body\":\"\xff\"}]}", 400, "invalid_argument", "messages[1].body"},
		{"non-UTF-8 subject", "POST", "/v1/topics/t/publish", json, "{\"body\":\"a\",\"subject\":\"\xff\"}", 400, "invalid_argument", "subject"},
		{"no body", "POST", "/v1/topics/t/publish", json, `{"subject":"s"}`, 400, "invalid_argument", "body"},
		{"base64 body", "POST", "/v1/topics/t/publish", json, `{"body_base64":"YQ=="}`, 400, "invalid_argument", "body_base64"},
		{"member beside messages", "POST", "/v1/topics/t/publish", json, `{"messages":[{"body":"a"}],"tenant":"x"}`, 400, "invalid_argument", "tenant"},
		{"unknown field in batch entry", "POST", "/v1/topics/t/publish", json, `{"messages":[{"body":"a","colour":"red"}]}`, 400, "invalid_argument", "messages[0].colour"},
		{"bad binary attribute", "POST", "/v1/topics/t/publish", json, `{"body":"a","attributes":{"k":{"type":"Binary","binary":"?"}}}`, 400, "invalid_argument", "attributes.k.binary"},
		{"unknown field in create", "POST", "/v1/topics", json, `{"name":"x","retention":"1d"}`, 400, "invalid_argument", "retention"},
		{"filter policy an array", "POST", "/v1/topics/t/subscriptions", json, `{"protocol":"queue","endpoint":"q","filter_policy":["a"]}`, 400, "invalid_argument", "filter_policy"},
		{"filter policy string not JSON", "POST", "/v1/topics/t/subscriptions", json, `{"protocol":"queue","endpoint":"q","filter_policy":"nope"}`, 400, "invalid_argument", "filter_policy"},
		{"bad filter scope", "POST", "/v1/topics/t/subscriptions", json, `{"protocol":"queue","endpoint":"q","filter_scope":"Body"}`, 400, "invalid_argument", "filter_scope"},
		{"negative backoff", "POST", "/v1/topics/t/subscriptions", json, `{"protocol":"http","endpoint":"http://127.0.0.1/x","delivery":{"min_backoff":"-1s"}}`, 400, "invalid_argument", "delivery.min_backoff"},
		{"bad delivery duration", "POST", "/v1/topics/t/subscriptions", json, `{"protocol":"http","endpoint":"http://127.0.0.1/x","delivery":{"timeout":"soon"}}`, 400, "invalid_argument", "delivery.timeout"},
		{"unknown delivery member", "POST", "/v1/topics/t/subscriptions", json, `{"protocol":"http","endpoint":"http://127.0.0.1/x","delivery":{"retries":3}}`, 400, "invalid_argument", "delivery.retries"},
		{"delivery for a queue", "POST", "/v1/topics/t/subscriptions", json, `{"protocol":"queue","endpoint":"q","delivery":{"max_attempts":3}}`, 400, "invalid_argument", "delivery"},
		{"null raw in update", "PATCH", subPath, json, `{"raw":null}`, 400, "invalid_argument", "raw"},
		{"delivery in update", "PATCH", subPath, json, `{"delivery":{"max_attempts":3}}`, 400, "invalid_argument", "delivery"},
		{"confirm without token", "GET", "/v1/topics/t/confirm", "", nil, 400, "invalid_argument", "token"},
		{"confirm with unknown parameter", "GET", "/v1/topics/t/confirm?token=a&x=1", "", nil, 400, "invalid_argument", "x"},
		{"confirm body unknown member", "POST", "/v1/topics/t/confirm", json, `{"Token":"a","x":1}`, 400, "invalid_argument", "x"},
		{"prefix on subscriptions", "GET", "/v1/subscriptions?prefix=a", "", nil, 400, "invalid_argument", "prefix"},
		{"untag topic without keys", "DELETE", "/v1/topics/t/tags", "", nil, 400, "invalid_argument", "key"},
		{"topic tag not a string", "PUT", "/v1/topics/t/tags", json, `{"a":1}`, 400, "invalid_argument", "tags"},
		{"wrong method on publish", "GET", "/v1/topics/t/publish", "", nil, 405, "method_not_allowed", ""},
		{"wrong method on topic", "POST", "/v1/topics/t", json, `{}`, 405, "method_not_allowed", ""},
		{"topic update null", "PATCH", "/v1/topics/t", json, `{"display_name":null}`, 400, "invalid_argument", "display_name"},
		{"topic update unknown member", "PATCH", "/v1/topics/t", json, `{"name":"x"}`, 400, "invalid_argument", "name"},
		{"topic update of unknown topic", "PATCH", "/v1/topics/nope", json, `{}`, 404, "topic_not_found", ""},
		{"unknown topic", "GET", "/v1/topics/nope", "", nil, 404, "topic_not_found", ""},
		{"unknown subscription", "GET", "/v1/topics/t/subscriptions/ffff", "", nil, 404, "subscription_not_found", ""},
		{"subscription of unknown topic", "DELETE", "/v1/topics/nope/subscriptions/ffff", "", nil, 404, "subscription_not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.doReader(t, tt.method, tt.path, tt.ctype, tt.body)
			e := r.apiError(t)
			if r.status != tt.status || e.Code != tt.code || e.Field != tt.field {
				t.Errorf("%s %s = %d %s field %q, want %d %s field %q (%s)", tt.method, tt.path, r.status, e.Code, e.Field, tt.status, tt.code, tt.field, r.body)
			}
		})
	}
	subs, err := f.client.ListSubscriptions(t.Context(), "t", client.ListOptions{})
	if err != nil || len(subs.Subscriptions) != 1 || subs.Subscriptions[0].FilterPolicy != "" || subs.Subscriptions[0].Raw {
		t.Errorf("subscriptions after rejected requests = %+v, %v; want the one, unchanged", subs.Subscriptions, err)
	}
}

// TestClientRejectsNonUTF8Publish checks that the client refuses a body
// it cannot send faithfully, rather than letting JSON encoding replace it.
func TestClientRejectsNonUTF8Publish(t *testing.T) {
	f := setup(t)
	f.createTopic(t, sluice.TopicConfig{Name: "t"})
	_, err := f.client.Publish(t.Context(), "t", sluice.PublishInput{Body: []byte{0xff}})
	var ia *sluice.InvalidArgumentError
	if !errors.As(err, &ia) || ia.Field != "body" {
		t.Errorf("Publish(0xff) = %v, want an invalid body", err)
	}
	_, err = f.client.PublishBatch(t.Context(), "t", []sluice.PublishInput{{Body: []byte("a")}, {Body: []byte{0xc3}}})
	if !errors.As(err, &ia) || ia.Field != "messages[1].body" {
		t.Errorf("PublishBatch(..., 0xc3) = %v, want an invalid messages[1].body", err)
	}
}

// randomIDs matches the random parts of subscription ids and message ids,
// which TestTopicGolden replaces with fixed ones.
var (
	subscriptionIDs = regexp.MustCompile(`/[0-9a-f]{32}"`)
	messageIDs      = regexp.MustCompile(`"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"`)
)

// TestTopicGolden pins representative topic responses, as TestGolden does
// for queues. Run with -update to accept a deliberate change.
func TestTopicGolden(t *testing.T) {
	now := time.Date(2025, 11, 28, 4, 11, 0, 123456789, time.UTC)
	f := setup(t, func(o *setupOptions) { o.now = func() time.Time { return now } })
	f.createQueue(t, sluice.QueueConfig{Name: "billing"})
	tests := []struct {
		name                string
		method, path, ctype string
		body                string
	}{
		{"create_topic", "POST", "/v1/topics", "application/json", `{"name":"orders","tags":{"team":"a"}}`},
		{"get_topic", "GET", "/v1/topics/orders", "", ``},
		{"list_topics", "GET", "/v1/topics?limit=1", "", ``},
		{"subscribe_queue", "POST", "/v1/topics/orders/subscriptions", "application/json",
			`{"protocol":"queue","endpoint":"billing","filter_policy":"{\"kind\": [\"created\"]}","raw":true}`},
		{"subscribe_http", "POST", "/v1/topics/orders/subscriptions", "application/json",
			`{"protocol":"https","endpoint":"https://hooks.example.com/orders","delivery":{"max_attempts":10,"max_backoff":"5m"}}`},
		{"list_subscriptions", "GET", "/v1/subscriptions", "", ``},
		{"publish", "POST", "/v1/topics/orders/publish", "application/json", `{"body":"hi","attributes":{"kind":{"type":"String","value":"created"}}}`},
		{"topic_not_found", "GET", "/v1/topics/nope", "", ``},
		{"token_invalid", "POST", "/v1/topics/orders/confirm", "application/json", `{"token":"wrong"}`},
	}
	for _, tt := range tests {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		r := f.do(t, tt.method, tt.path, tt.ctype, body)
		var got bytes.Buffer
		got.WriteString(tt.method + " " + tt.path + "\n" + strconv.Itoa(r.status) + " " + r.header.Get("Content-Type") + "\n")
		if err := json.Indent(&got, r.body, "", "  "); err != nil {
			t.Fatalf("%s %s: response is not JSON: %v: %s", tt.method, tt.path, err, r.body)
		}
		out := subscriptionIDs.ReplaceAll(got.Bytes(), []byte(`/0123456789abcdef0123456789abcdef"`))
		out = messageIDs.ReplaceAll(out, []byte(`"00000000-0000-4000-8000-000000000000"`))
		path := filepath.Join("testdata", tt.name+".golden")
		if *update {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%s %s response differs from %s:\ngot:\n%s\nwant:\n%s", tt.method, tt.path, path, out, want)
		}
	}
}
