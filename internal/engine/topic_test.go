package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

func (f *fixture) topic(cfg sluice.TopicConfig) {
	f.t.Helper()
	if _, _, err := f.e.CreateTopic(f.t.Context(), cfg); err != nil {
		f.t.Fatalf("CreateTopic(%s) = %v", cfg.Name, err)
	}
}

func (f *fixture) subscribe(s sluice.Subscription) sluice.Subscription {
	f.t.Helper()
	out, err := f.e.Subscribe(f.t.Context(), s)
	if err != nil {
		f.t.Fatalf("Subscribe(%+v) = %v", s, err)
	}
	return out
}

func (f *fixture) publish(topic string, msgs ...sluice.PublishInput) []sluice.PublishResult {
	f.t.Helper()
	res, err := f.e.Publish(f.t.Context(), topic, msgs)
	if err != nil {
		f.t.Fatalf("Publish(%s) = %v", topic, err)
	}
	return res
}

type envelope struct {
	Type              string
	MessageId         string
	TopicArn          string
	Subject           string
	Message           string
	Token             string
	MessageAttributes map[string]struct{ Type, Value string }
}

func TestPublishFansOutOneCopyPerQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 4, engine.Options{})
		f.topic(sluice.TopicConfig{Name: "orders"})
		names := []string{"billing", "shipping", "audit", "search", "mail"}
		for _, n := range names {
			f.create(sluice.QueueConfig{Name: n})
			f.subscribe(sluice.Subscription{Topic: "orders", Protocol: sluice.ProtocolQueue, Endpoint: n, Raw: n != "audit"})
		}
		attrs := map[string]sluice.Attribute{"kind": {Type: "String", String: "created"}}
		res := f.publish("orders", sluice.PublishInput{Body: []byte(`{"order":1}`), Subject: "new order", Attributes: attrs, Tenant: "acme"})
		if res[0].Deliveries != len(names) || res[0].ID == "" {
			t.Fatalf("Publish() = %+v, want %d deliveries", res, len(names))
		}
		for _, n := range names {
			msgs := f.receive(n, 10, time.Minute)
			if len(msgs) != 1 {
				t.Fatalf("%s got %d copies, want exactly 1", n, len(msgs))
			}
			m := msgs[0]
			if m.Tenant != "acme" {
				t.Errorf("%s: tenant %q, want acme", n, m.Tenant)
			}
			if n != "audit" {
				if string(m.Body) != `{"order":1}` || m.Attributes["kind"].String != "created" {
					t.Errorf("%s: raw copy = %q %v", n, m.Body, m.Attributes)
				}
				continue
			}
			var env envelope
			if err := json.Unmarshal(m.Body, &env); err != nil {
				t.Fatalf("audit: envelope %q: %v", m.Body, err)
			}
			if env.Type != "Notification" || env.Message != `{"order":1}` || env.MessageId != res[0].ID ||
				env.Subject != "new order" || env.TopicArn != "arn:aws:sns:us-east-1:000000000000:orders" ||
				env.MessageAttributes["kind"].Value != "created" {
				t.Errorf("audit: envelope = %+v", env)
			}
			if len(m.Attributes) != 0 {
				t.Errorf("audit: enveloped copy carries attributes %v, want none", m.Attributes)
			}
		}
	})
}

func TestFilterPoliciesSelectMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 2, engine.Options{})
		f.topic(sluice.TopicConfig{Name: "events"})
		f.create(sluice.QueueConfig{Name: "red"})
		f.create(sluice.QueueConfig{Name: "big"})
		f.subscribe(sluice.Subscription{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "red", Raw: true,
			FilterPolicy: `{"color":["red"]}`})
		f.subscribe(sluice.Subscription{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "big", Raw: true,
			FilterPolicy: `{"size":[{"numeric":[">",10]}]}`, FilterScope: sluice.ScopeBody})
		f.publish("events",
			sluice.PublishInput{Body: []byte(`{"size":5}`), Attributes: map[string]sluice.Attribute{"color": {Type: "String", String: "red"}}},
			sluice.PublishInput{Body: []byte(`{"size":50}`), Attributes: map[string]sluice.Attribute{"color": {Type: "String", String: "blue"}}},
		)
		wantBodies(t, "red", f.receive("red", 10, time.Minute), `{"size":5}`)
		wantBodies(t, "big", f.receive("big", 10, time.Minute), `{"size":50}`)

		_, err := f.e.Subscribe(t.Context(), sluice.Subscription{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "red", FilterPolicy: `{"color":"red"}`})
		var ia *sluice.InvalidArgumentError
		if err == nil || !errors.As(err, &ia) || ia.Field != "filter_policy" {
			t.Fatalf("Subscribe(bad policy) = %v, want invalid filter_policy", err)
		}
	})
}

func TestFIFOTopicKeepsGroupOrderAcrossPartitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 4, engine.Options{})
		f.topic(sluice.TopicConfig{Name: "ledger.fifo", ContentBasedDedup: true})
		queues := []string{"a.fifo", "b.fifo", "c.fifo"}
		for _, q := range queues {
			f.create(sluice.QueueConfig{Name: q})
			f.subscribe(sluice.Subscription{Topic: "ledger.fifo", Protocol: sluice.ProtocolQueue, Endpoint: q, Raw: true})
		}
		var mu sync.Mutex
		seqOf := map[string]uint64{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 25 {
					body := fmt.Sprintf("w%d-%d", w, i)
					res := f.publish("ledger.fifo", sluice.PublishInput{Body: []byte(body), GroupID: "g"})
					mu.Lock()
					seqOf[body] = res[0].Sequence
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for _, q := range queues {
			var last uint64
			for n := 0; n < 100; {
				msgs := f.receive(q, 10, time.Minute)
				if len(msgs) == 0 {
					t.Fatalf("%s: only %d of 100 messages", q, n)
				}
				for _, m := range msgs {
					if s := seqOf[string(m.Body)]; s <= last {
						t.Fatalf("%s: %s (topic sequence %d) after sequence %d", q, m.Body, s, last)
					} else {
						last = s
					}
					f.ack(q, m.Receipt)
					n++
				}
			}
		}
		// A duplicate publish within the window is dropped everywhere.
		if res := f.publish("ledger.fifo", sluice.PublishInput{Body: []byte("w0-0"), GroupID: "g"}); !res[0].Duplicate {
			t.Fatalf("republish = %+v, want a duplicate", res[0])
		}
		f.restart()
		if res := f.publish("ledger.fifo", sluice.PublishInput{Body: []byte("w0-1"), GroupID: "g"}); !res[0].Duplicate {
			t.Fatalf("republish after restart = %+v, want a duplicate", res[0])
		}
	})
}

func TestTopicsSurviveRestartAndUnsubscribeStops(t *testing.T) {
	for _, snapshots := range []bool{false, true} {
		t.Run(fmt.Sprint("snapshots=", snapshots), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := engine.Options{}
				if snapshots {
					opts.SnapshotMinBytes = 1
				}
				f := setup(t, 3, opts)
				f.topic(sluice.TopicConfig{Name: "news", Tags: map[string]string{"team": "x"}})
				f.create(sluice.QueueConfig{Name: "one"})
				f.create(sluice.QueueConfig{Name: "two"})
				s1 := f.subscribe(sluice.Subscription{Topic: "news", Protocol: sluice.ProtocolQueue, Endpoint: "one", Raw: true})
				f.subscribe(sluice.Subscription{Topic: "news", Protocol: sluice.ProtocolQueue, Endpoint: "two", Raw: true, FilterPolicy: `{"x":["y"]}`})
				if again := f.subscribe(sluice.Subscription{Topic: "news", Protocol: sluice.ProtocolQueue, Endpoint: "one", Raw: true}); again.ID != s1.ID {
					t.Fatalf("subscribing again = %s, want the existing %s", again.ID, s1.ID)
				}
				var ia *sluice.InvalidArgumentError
				if _, err := f.e.Subscribe(t.Context(), sluice.Subscription{Topic: "news", Protocol: sluice.ProtocolQueue, Endpoint: "one"}); !errors.As(err, &ia) || ia.Field != "endpoint" {
					t.Fatalf("subscribing again with other attributes = %v, want invalid endpoint", err)
				}
				f.publish("news", sluice.PublishInput{Body: []byte("before")})
				synctest.Wait()
				f.restart()
				subs, err := f.e.ListSubscriptions(t.Context(), "news", "", 0)
				policies := map[string]string{}
				for _, s := range subs {
					policies[s.Endpoint] = s.FilterPolicy
				}
				if err != nil || len(subs) != 2 || policies["two"] != `{"x":["y"]}` || policies["one"] != "" {
					t.Fatalf("ListSubscriptions() after restart = %+v, %v", subs, err)
				}
				// Paging goes on after a cursor that no longer exists.
				if page, _ := f.e.ListSubscriptions(t.Context(), "news", subs[0].ID+"-gone", 0); len(page) != 1 || page[0].ID != subs[1].ID {
					t.Fatalf("ListSubscriptions(after a deleted id) = %+v, want the second subscription", page)
				}
				f.publish("news", sluice.PublishInput{Body: []byte("after")})
				wantBodies(t, "one after restart", f.receive("one", 10, time.Minute), "before", "after")
				if err := f.e.Unsubscribe(t.Context(), s1.ID); err != nil {
					t.Fatal(err)
				}
				if res := f.publish("news", sluice.PublishInput{Body: []byte("gone")}); res[0].Deliveries != 0 {
					t.Fatalf("Publish() after unsubscribe = %+v, want no deliveries", res[0])
				}
				wantBodies(t, "one after unsubscribe", f.receive("one", 10, time.Minute))
				if _, err := f.e.GetSubscription(t.Context(), s1.ID); !errors.Is(err, sluice.ErrSubscriptionNotFound) {
					t.Fatalf("GetSubscription(unsubscribed) = %v", err)
				}
				if err := f.e.DeleteTopic(t.Context(), "news"); err != nil {
					t.Fatal(err)
				}
				f.restart()
				if _, err := f.e.GetTopic(t.Context(), "news"); !errors.Is(err, sluice.ErrTopicNotFound) {
					t.Fatalf("GetTopic(deleted) after restart = %v", err)
				}
			})
		})
	}
}

func TestHTTPSubscriptionWaitsForConfirmation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 2, engine.Options{})
		f.topic(sluice.TopicConfig{Name: "hooks"})
		f.create(sluice.QueueConfig{Name: "undeliverable"})
		s := f.subscribe(sluice.Subscription{Topic: "hooks", Protocol: sluice.ProtocolHTTP, Endpoint: "http://127.0.0.1:1/hook",
			DeadLetterQueue: "undeliverable", Delivery: sluice.DeliveryPolicy{MaxAttempts: 3}})
		if s.Confirmed || s.Delivery.MinBackoff != time.Second {
			t.Fatalf("Subscribe(http) = %+v, want unconfirmed with default delivery policy", s)
		}
		targets, err := f.e.PushTargets(t.Context())
		if err != nil || len(targets) != 1 || targets[0].Subscription != s.ID || !targets[0].DeadLetter || targets[0].Pending != 1 {
			t.Fatalf("PushTargets() = %+v, %v; want one target holding the confirmation", targets, err)
		}
		if qs, _ := f.e.ListQueues(t.Context(), "", "", 0); len(qs) != 1 {
			t.Fatalf("ListQueues() = %v, want only the user's queue", qs)
		}
		// The subscription's dead-letter queue is in use, and the error
		// names the subscription rather than its hidden queue.
		if err := f.e.DeleteQueue(t.Context(), "undeliverable"); !errors.Is(err, sluice.ErrQueueInUse) ||
			!strings.Contains(err.Error(), s.ID) || strings.Contains(err.Error(), "~push") {
			t.Fatalf("DeleteQueue(the subscription's dead-letter queue) = %v, want ErrQueueInUse naming %s", err, s.ID)
		}
		if targets[0].Confirmation == "" {
			t.Errorf("PushTargets() = %+v, want the confirmation request's id", targets[0])
		}
		if res := f.publish("hooks", sluice.PublishInput{Body: []byte("early")}); res[0].Deliveries != 0 {
			t.Fatalf("Publish() before confirmation = %+v, want no deliveries", res[0])
		}
		msgs := f.receive(targets[0].Queue, 10, time.Minute)
		var conf envelope
		if len(msgs) != 1 || json.Unmarshal(msgs[0].Body, &conf) != nil || conf.Type != "SubscriptionConfirmation" || conf.Token == "" {
			t.Fatalf("push queue holds %q, want a SubscriptionConfirmation", bodies(msgs))
		}
		if msgs[0].ID != targets[0].Confirmation || conf.MessageId != msgs[0].ID {
			t.Errorf("confirmation message id %s (envelope %s), want the target's Confirmation %s", msgs[0].ID, conf.MessageId, targets[0].Confirmation)
		}
		f.ack(targets[0].Queue, msgs[0].Receipt)
		if _, err := f.e.ConfirmSubscription(t.Context(), "hooks", "wrong"); !errors.Is(err, sluice.ErrTokenInvalid) {
			t.Fatalf("ConfirmSubscription(wrong token) = %v, want ErrTokenInvalid", err)
		}
		got, err := f.e.ConfirmSubscription(t.Context(), "hooks", conf.Token)
		if err != nil || !got.Confirmed {
			t.Fatalf("ConfirmSubscription() = %+v, %v", got, err)
		}
		if res := f.publish("hooks", sluice.PublishInput{Body: []byte("hello")}); res[0].Deliveries != 1 {
			t.Fatalf("Publish() after confirmation = %+v, want 1 delivery", res[0])
		}
		msgs = f.receive(targets[0].Queue, 10, time.Minute)
		var note envelope
		if len(msgs) != 1 || json.Unmarshal(msgs[0].Body, &note) != nil || note.Type != "Notification" || note.Message != "hello" {
			t.Fatalf("push queue holds %q, want the notification", bodies(msgs))
		}
		if err := f.e.Unsubscribe(t.Context(), s.ID); err != nil {
			t.Fatal(err)
		}
		targets, _ = f.e.PushTargets(t.Context())
		if len(targets) != 1 || !targets[0].Retired || targets[0].Pending != 1 {
			t.Fatalf("PushTargets() after unsubscribe = %+v, want the retired target with its pending delivery", targets)
		}
		// A retired queue is removed only once empty, in one step, so a
		// message that arrives after the worker saw it drained is kept.
		for _, name := range []string{"undeliverable", targets[0].Queue} {
			if removed, err := f.e.RemoveDrainedPushQueue(t.Context(), name); err != nil || removed {
				t.Fatalf("RemoveDrainedPushQueue(%s: a user queue, or a retired one holding a message) = %v, %v; want false", name, removed, err)
			}
		}
		f.ack(targets[0].Queue, msgs[0].Receipt)
		if removed, err := f.e.RemoveDrainedPushQueue(t.Context(), targets[0].Queue); err != nil || !removed {
			t.Fatalf("RemoveDrainedPushQueue(drained) = %v, %v; want true", removed, err)
		}
		if targets, _ = f.e.PushTargets(t.Context()); len(targets) != 0 {
			t.Fatalf("PushTargets() after removing the drained queue = %+v, want none", targets)
		}
		f.restart()
		if targets, _ = f.e.PushTargets(t.Context()); len(targets) != 0 {
			t.Fatalf("PushTargets() after a restart = %+v, want none", targets)
		}
	})
}

func TestSubscriptionValidation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.topic(sluice.TopicConfig{Name: "t"})
		f.topic(sluice.TopicConfig{Name: "t.fifo"})
		f.create(sluice.QueueConfig{Name: "q"})
		for _, tc := range []struct {
			sub   sluice.Subscription
			field string
		}{
			{sluice.Subscription{Topic: "t", Protocol: "smtp", Endpoint: "x"}, "protocol"},
			{sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "missing"}, "endpoint"},
			{sluice.Subscription{Topic: "t.fifo", Protocol: sluice.ProtocolQueue, Endpoint: "q"}, "endpoint"},
			{sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolHTTP, Endpoint: "ftp://x"}, "endpoint"},
			{sluice.Subscription{Topic: "t.fifo", Protocol: sluice.ProtocolHTTP, Endpoint: "http://127.0.0.1/x"}, "protocol"},
			{sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolHTTP, Endpoint: "http://127.0.0.1/x", Delivery: sluice.DeliveryPolicy{MaxAttempts: 500}}, "delivery.max_attempts"},
			{sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "q", FilterScope: "Body"}, "filter_scope"},
		} {
			_, err := f.e.Subscribe(t.Context(), tc.sub)
			var ia *sluice.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tc.field {
				t.Errorf("Subscribe(%+v) = %v, want invalid %s", tc.sub, err, tc.field)
			}
		}
		if _, err := f.e.Subscribe(t.Context(), sluice.Subscription{Topic: "nope", Protocol: sluice.ProtocolQueue, Endpoint: "q"}); !errors.Is(err, sluice.ErrTopicNotFound) {
			t.Errorf("Subscribe(missing topic) = %v, want ErrTopicNotFound", err)
		}
		if _, err := f.e.Publish(t.Context(), "t", []sluice.PublishInput{{Body: []byte{0xff}}}); err == nil {
			t.Error("Publish(invalid UTF-8) succeeded")
		}
		if _, err := f.e.Publish(t.Context(), "t.fifo", []sluice.PublishInput{{Body: []byte("x")}}); err == nil {
			t.Error("Publish(FIFO without group) succeeded")
		}
	})
}
