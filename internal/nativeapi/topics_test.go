package nativeapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/engine"
)

// createTopic creates a topic through the client or fails the test.
func (f *fixture) createTopic(t *testing.T, cfg sluice.TopicConfig) sluice.TopicConfig {
	t.Helper()
	tc, err := f.client.CreateTopic(t.Context(), cfg)
	if err != nil {
		t.Fatalf("CreateTopic(%s) = %v", cfg.Name, err)
	}
	return tc
}

// subscribe subscribes through the client or fails the test.
func (f *fixture) subscribe(t *testing.T, s sluice.Subscription) sluice.Subscription {
	t.Helper()
	got, err := f.client.Subscribe(t.Context(), s)
	if err != nil {
		t.Fatalf("Subscribe(%s %s) = %v", s.Protocol, s.Endpoint, err)
	}
	return got
}

// publish publishes through the client or fails the test.
func (f *fixture) publish(t *testing.T, topic string, in sluice.PublishInput) sluice.PublishResult {
	t.Helper()
	res, err := f.client.Publish(t.Context(), topic, in)
	if err != nil {
		t.Fatalf("Publish(%s, %q) = %v", topic, in.Body, err)
	}
	return res
}

// drain receives and acknowledges every message ready in queue, through the
// client, and returns them in the order received.
func (f *fixture) drain(t *testing.T, queue string) []sluice.Message {
	t.Helper()
	var all []sluice.Message
	none := time.Duration(0)
	for {
		msgs, err := f.client.Receive(t.Context(), queue, sluice.ReceiveOptions{Max: 10, WaitTime: &none})
		if err != nil {
			t.Fatalf("Receive(%s) = %v", queue, err)
		}
		if len(msgs) == 0 {
			return all
		}
		for _, m := range msgs {
			if err := f.client.Ack(t.Context(), queue, m.Receipt); err != nil {
				t.Fatalf("Ack(%s) = %v", queue, err)
			}
		}
		all = append(all, msgs...)
	}
}

// envelope is the SNS-shaped JSON body of a non-raw delivery.
type envelope struct {
	Type              string
	MessageID         string `json:"MessageId"`
	Token             string
	TopicArn          string
	Subject           string
	Message           string
	SubscribeURL      string
	MessageAttributes map[string]struct{ Type, Value string }
}

// messages returns the Message of each envelope body in msgs.
func messages(t *testing.T, msgs []sluice.Message) []string {
	t.Helper()
	out := []string{}
	for _, m := range msgs {
		var e envelope
		if err := json.Unmarshal(m.Body, &e); err != nil || e.Type != "Notification" {
			t.Fatalf("delivery %q is not a notification envelope (%v)", m.Body, err)
		}
		out = append(out, e.Message)
	}
	return out
}

func TestTopicLifecycle(t *testing.T) {
	f := setup(t)
	ctx := t.Context()

	tc := f.createTopic(t, sluice.TopicConfig{Name: "orders", Tags: map[string]string{"team": "a"}})
	if tc.Type != sluice.Standard || tc.CreatedAt.IsZero() || tc.Tags["team"] != "a" {
		t.Errorf("CreateTopic() = %+v, want a standard topic with its tag and creation time", tc)
	}
	got, err := f.client.GetTopic(ctx, "orders")
	if err != nil {
		t.Fatalf("GetTopic() = %v", err)
	}
	if diff := cmp.Diff(tc, got); diff != "" {
		t.Errorf("GetTopic() mismatch (-created +got):\n%s", diff)
	}
	fifo := f.createTopic(t, sluice.TopicConfig{Name: "events.fifo", ContentBasedDedup: true})
	if fifo.Type != sluice.FIFO || !fifo.ContentBasedDedup {
		t.Errorf("CreateTopic(events.fifo) = %+v, want a content-deduplicated FIFO topic", fifo)
	}

	if err := f.client.TagTopic(ctx, "orders", map[string]string{"env": "prod"}); err != nil {
		t.Fatalf("TagTopic() = %v", err)
	}
	if err := f.client.UntagTopic(ctx, "orders", []string{"team", "absent"}); err != nil {
		t.Fatalf("UntagTopic() = %v", err)
	}
	got, _ = f.client.GetTopic(ctx, "orders")
	if diff := cmp.Diff(map[string]string{"env": "prod"}, got.Tags); diff != "" {
		t.Errorf("tags after tag and untag (-want +got):\n%s", diff)
	}

	if err := f.client.DeleteTopic(ctx, "orders"); err != nil {
		t.Fatalf("DeleteTopic() = %v", err)
	}
	if _, err := f.client.GetTopic(ctx, "orders"); !errors.Is(err, sluice.ErrTopicNotFound) {
		t.Errorf("GetTopic() after delete = %v, want ErrTopicNotFound", err)
	}
}

func TestCreateTopicStatus(t *testing.T) {
	f := setup(t)
	first := f.do(t, "POST", "/v1/topics", "application/json", `{"name":"news","tags":{"a":"b"}}`)
	if first.status != http.StatusCreated || first.header.Get("Location") != "/v1/topics/news" {
		t.Errorf("first create = %d, Location %q; want 201 /v1/topics/news (%s)", first.status, first.header.Get("Location"), first.body)
	}
	same := f.do(t, "POST", "/v1/topics", "application/json", `{"name":"news","type":"standard","tags":{"a":"b"}}`)
	if same.status != http.StatusOK {
		t.Errorf("identical create = %d, want 200 (%s)", same.status, same.body)
	}
	other := f.do(t, "POST", "/v1/topics", "", `{"name":"news","tags":{"a":"c"}}`)
	if e := other.apiError(t); other.status != http.StatusConflict || e.Code != "topic_exists" {
		t.Errorf("conflicting create = %d %s, want 409 topic_exists", other.status, e.Code)
	}
}

func TestListTopicsPages(t *testing.T) {
	f := setup(t)
	for _, name := range []string{"t-3", "t-1", "other", "t-2"} {
		f.createTopic(t, sluice.TopicConfig{Name: name})
	}
	var pages [][]string
	opts := client.ListOptions{Prefix: "t-", Limit: 2}
	for range 10 {
		page, err := f.client.ListTopics(t.Context(), opts)
		if err != nil {
			t.Fatalf("ListTopics(%+v) = %v", opts, err)
		}
		var names []string
		for _, tc := range page.Topics {
			names = append(names, tc.Name)
		}
		pages = append(pages, names)
		if page.Next == "" {
			break
		}
		opts.After = page.Next
	}
	if diff := cmp.Diff([][]string{{"t-1", "t-2"}, {"t-3"}}, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	empty := f.do(t, "GET", "/v1/topics?prefix=none", "", nil)
	if string(empty.body) != "{\"topics\":[],\"next\":\"\"}\n" {
		t.Errorf("empty listing = %s, want an empty array", empty.body)
	}
}

func TestPublishFansOutOneCopyPerQueue(t *testing.T) {
	f := setup(t)
	const n = 5
	f.createTopic(t, sluice.TopicConfig{Name: "news"})
	for i := range n {
		q := fmt.Sprintf("reader-%d", i)
		f.createQueue(t, sluice.QueueConfig{Name: q})
		f.subscribe(t, sluice.Subscription{Topic: "news", Protocol: sluice.ProtocolQueue, Endpoint: q})
	}
	// Subscribing the same queue again changes nothing.
	again := f.subscribe(t, sluice.Subscription{Topic: "news", Protocol: sluice.ProtocolQueue, Endpoint: "reader-0"})

	res := f.publish(t, "news", sluice.PublishInput{Body: []byte("first"), Subject: "hello", Tenant: "acme",
		Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "story"}}})
	if res.ID == "" || res.Deliveries != n || res.Duplicate {
		t.Errorf("Publish() = %+v, want an id and %d deliveries", res, n)
	}
	batch, err := f.client.PublishBatch(t.Context(), "news", []sluice.PublishInput{{Body: []byte("second")}, {Body: []byte("third")}})
	if err != nil || len(batch) != 2 || batch[0].Deliveries != n || batch[1].Deliveries != n || batch[0].ID == batch[1].ID {
		t.Fatalf("PublishBatch() = %+v, %v; want 2 results of %d deliveries", batch, err, n)
	}

	for i := range n {
		q := fmt.Sprintf("reader-%d", i)
		msgs := f.drain(t, q)
		if diff := cmp.Diff([]string{"first", "second", "third"}, messages(t, msgs)); diff != "" {
			t.Errorf("%s received (-want +got):\n%s", q, diff)
			continue
		}
		var e envelope
		json.Unmarshal(msgs[0].Body, &e)
		if e.MessageID != res.ID || e.Subject != "hello" || !strings.HasSuffix(e.TopicArn, ":news") ||
			e.MessageAttributes["kind"].Value != "story" || msgs[0].Tenant != "acme" {
			t.Errorf("%s: envelope %+v, tenant %q; want id %s, subject, topic ARN, attribute and tenant", q, e, msgs[0].Tenant, res.ID)
		}
	}
	page, err := f.client.ListSubscriptions(t.Context(), "news", client.ListOptions{})
	if err != nil || len(page.Subscriptions) != n || page.Subscriptions[0].ID != again.ID {
		t.Errorf("ListSubscriptions(news) = %d subscriptions, %v; want %d, the first %s", len(page.Subscriptions), err, n, again.ID)
	}
}

func TestFilterPoliciesSelectMessages(t *testing.T) {
	f := setup(t)
	f.createTopic(t, sluice.TopicConfig{Name: "orders"})
	for _, q := range []string{"big", "eu", "all"} {
		f.createQueue(t, sluice.QueueConfig{Name: q})
	}
	f.subscribe(t, sluice.Subscription{Topic: "orders", Protocol: sluice.ProtocolQueue, Endpoint: "big",
		FilterPolicy: `{"price":[{"numeric":[">=",100]}]}`})
	// The body scope, with the policy given as a JSON string in the request.
	r := f.do(t, "POST", "/v1/topics/orders/subscriptions", "application/json",
		`{"protocol":"queue","endpoint":"eu","filter_policy":"{\"region\":[\"eu-west\",\"eu-north\"]}","filter_scope":"MessageBody"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("subscribe with a string policy = %d %s", r.status, r.body)
	}
	var doc struct {
		FilterPolicy map[string][]string `json:"filter_policy"`
		FilterScope  string              `json:"filter_scope"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil || len(doc.FilterPolicy["region"]) != 2 || doc.FilterScope != "MessageBody" {
		t.Errorf("subscribe response = %s, want the policy as a JSON object and the body scope", r.body)
	}
	all := f.subscribe(t, sluice.Subscription{Topic: "orders", Protocol: sluice.ProtocolQueue, Endpoint: "all"})
	if all.FilterPolicy != "" || all.FilterScope != sluice.ScopeAttributes {
		t.Errorf("Subscribe(no policy) = policy %q scope %q, want none and the default scope", all.FilterPolicy, all.FilterScope)
	}

	price := func(p string) map[string]sluice.Attribute {
		return map[string]sluice.Attribute{"price": {Type: "Number", String: p}}
	}
	wantDeliveries := []int{3, 1, 2, 1}
	for i, in := range []sluice.PublishInput{
		{Body: []byte(`{"region":"eu-west","n":1}`), Attributes: price("150")},
		{Body: []byte(`{"region":"us-east","n":2}`), Attributes: price("50")},
		{Body: []byte(`{"region":"eu-north","n":3}`)},
		{Body: []byte(`not json`), Attributes: price("99.5")},
	} {
		if res := f.publish(t, "orders", in); res.Deliveries != wantDeliveries[i] {
			t.Errorf("Publish(%s) = %d deliveries, want %d", in.Body, res.Deliveries, wantDeliveries[i])
		}
	}
	for _, tt := range []struct {
		queue string
		want  []string
	}{
		{"big", []string{`{"region":"eu-west","n":1}`}},
		{"eu", []string{`{"region":"eu-west","n":1}`, `{"region":"eu-north","n":3}`}},
		{"all", []string{`{"region":"eu-west","n":1}`, `{"region":"us-east","n":2}`, `{"region":"eu-north","n":3}`, `not json`}},
	} {
		if diff := cmp.Diff(tt.want, messages(t, f.drain(t, tt.queue))); diff != "" {
			t.Errorf("%s received (-want +got):\n%s", tt.queue, diff)
		}
	}
}

func TestRawAndEnvelopeDeliveries(t *testing.T) {
	f := setup(t)
	f.createTopic(t, sluice.TopicConfig{Name: "t"})
	f.createQueue(t, sluice.QueueConfig{Name: "raw"})
	f.createQueue(t, sluice.QueueConfig{Name: "wrapped"})
	f.subscribe(t, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "raw", Raw: true})
	f.subscribe(t, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "wrapped"})
	attrs := map[string]sluice.Attribute{"k": {Type: "String", String: "v"}, "b": {Type: "Binary", Binary: []byte{1, 2}}}
	f.publish(t, "t", sluice.PublishInput{Body: []byte("héllo"), Subject: "s", Attributes: attrs})

	raw := f.drain(t, "raw")
	if len(raw) != 1 || string(raw[0].Body) != "héllo" {
		t.Fatalf("raw delivery = %q, want the body alone", bodies(raw))
	}
	if diff := cmp.Diff(attrs, raw[0].Attributes); diff != "" {
		t.Errorf("raw delivery attributes (-want +got):\n%s", diff)
	}
	wrapped := f.drain(t, "wrapped")
	if diff := cmp.Diff([]string{"héllo"}, messages(t, wrapped)); diff != "" {
		t.Errorf("wrapped delivery (-want +got):\n%s", diff)
	}
	if len(wrapped[0].Attributes) != 0 {
		t.Errorf("wrapped delivery has attributes %v, want them in the envelope only", wrapped[0].Attributes)
	}

	// Switching a subscription to raw changes later deliveries.
	subs, _ := f.client.ListSubscriptions(t.Context(), "t", client.ListOptions{})
	raw2 := true
	wrappedSub := subs.Subscriptions[1]
	upd, err := f.client.UpdateSubscription(t.Context(), wrappedSub.ID, sluice.SubscriptionUpdate{Raw: &raw2})
	if err != nil || !upd.Raw || upd.Endpoint != "wrapped" {
		t.Fatalf("UpdateSubscription(raw) = %+v, %v", upd, err)
	}
	f.publish(t, "t", sluice.PublishInput{Body: []byte("plain")})
	if got := f.drain(t, "wrapped"); len(got) != 1 || string(got[0].Body) != "plain" {
		t.Errorf("after switching to raw, wrapped received %q, want plain", bodies(got))
	}
}

// bodies returns the bodies of msgs as strings.
func bodies(msgs []sluice.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Body)
	}
	return out
}

func TestFIFOTopicKeepsOrder(t *testing.T) {
	f := setup(t)
	f.createTopic(t, sluice.TopicConfig{Name: "ledger.fifo"})
	f.createQueue(t, sluice.QueueConfig{Name: "books.fifo"})
	f.subscribe(t, sluice.Subscription{Topic: "ledger.fifo", Protocol: sluice.ProtocolQueue, Endpoint: "books.fifo", Raw: true})

	var want []string
	var last uint64
	for i := range 20 {
		body := fmt.Sprintf("entry-%02d", i)
		want = append(want, body)
		res := f.publish(t, "ledger.fifo", sluice.PublishInput{Body: []byte(body), GroupID: "acct-1", DedupID: body})
		if res.Sequence <= last || res.Deliveries != 1 {
			t.Fatalf("Publish(%s) = %+v, want an increasing sequence and 1 delivery", body, res)
		}
		last = res.Sequence
	}
	dup := f.publish(t, "ledger.fifo", sluice.PublishInput{Body: []byte("again"), GroupID: "acct-1", DedupID: "entry-03"})
	if !dup.Duplicate || dup.Deliveries != 0 {
		t.Errorf("Publish(repeated dedup id) = %+v, want a duplicate with no deliveries", dup)
	}
	got := f.drain(t, "books.fifo")
	if diff := cmp.Diff(want, bodies(got)); diff != "" {
		t.Errorf("books.fifo received (-want +got):\n%s", diff)
	}
	for _, m := range got {
		if m.GroupID != "acct-1" {
			t.Errorf("copy %s has group %q, want acct-1", m.Body, m.GroupID)
		}
	}
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createTopic(t, sluice.TopicConfig{Name: "t"})
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	s := f.subscribe(t, sluice.Subscription{Topic: "t", Protocol: sluice.ProtocolQueue, Endpoint: "q"})
	if !s.Confirmed || !strings.HasPrefix(s.ID, "t/") || s.Delivery != (sluice.DeliveryPolicy{}) {
		t.Errorf("Subscribe(queue) = %+v, want confirmed, an id under t/ and no delivery policy", s)
	}
	got, err := f.client.GetSubscription(ctx, s.ID)
	if err != nil {
		t.Fatalf("GetSubscription() = %v", err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("GetSubscription() mismatch (-subscribed +got):\n%s", diff)
	}
	f.publish(t, "t", sluice.PublishInput{Body: []byte("before")})
	if err := f.client.Unsubscribe(ctx, s.ID); err != nil {
		t.Fatalf("Unsubscribe() = %v", err)
	}
	if res := f.publish(t, "t", sluice.PublishInput{Body: []byte("after")}); res.Deliveries != 0 {
		t.Errorf("Publish() after unsubscribe = %+v, want no deliveries", res)
	}
	if diff := cmp.Diff([]string{"before"}, messages(t, f.drain(t, "q"))); diff != "" {
		t.Errorf("q received (-want +got):\n%s", diff)
	}
	if _, err := f.client.GetSubscription(ctx, s.ID); !errors.Is(err, sluice.ErrSubscriptionNotFound) {
		t.Errorf("GetSubscription() after unsubscribe = %v, want ErrSubscriptionNotFound", err)
	}
	if err := f.client.Unsubscribe(ctx, s.ID); !errors.Is(err, sluice.ErrSubscriptionNotFound) {
		t.Errorf("Unsubscribe() twice = %v, want ErrSubscriptionNotFound", err)
	}
}

func TestSubscriptionEndpoints(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createTopic(t, sluice.TopicConfig{Name: "a"})
	f.createTopic(t, sluice.TopicConfig{Name: "b"})
	f.createQueue(t, sluice.QueueConfig{Name: "q1"})
	f.createQueue(t, sluice.QueueConfig{Name: "q2"})
	f.createQueue(t, sluice.QueueConfig{Name: "dead"})
	var ids []string
	for _, s := range []sluice.Subscription{
		{Topic: "b", Protocol: sluice.ProtocolQueue, Endpoint: "q1"},
		{Topic: "a", Protocol: sluice.ProtocolQueue, Endpoint: "q1"},
		{Topic: "a", Protocol: sluice.ProtocolQueue, Endpoint: "q2", FilterPolicy: `{"k":["v"]}`},
		{Topic: "a", Protocol: sluice.ProtocolHTTPS, Endpoint: "https://hooks.example.com/x", DeadLetterQueue: "dead",
			Delivery: sluice.DeliveryPolicy{MaxAttempts: 3, MaxBackoff: 2 * time.Minute, MaxRate: 2.5}},
	} {
		got := f.subscribe(t, s)
		ids = append(ids, got.ID)
	}
	// Every topic's subscriptions: topic a's, in creation order, then b's.
	want := []string{ids[1], ids[2], ids[3], ids[0]}
	var listed []string
	opts := client.ListOptions{Limit: 3}
	for range 10 {
		page, err := f.client.ListSubscriptions(ctx, "", opts)
		if err != nil {
			t.Fatalf("ListSubscriptions(all, %+v) = %v", opts, err)
		}
		for _, s := range page.Subscriptions {
			listed = append(listed, s.ID)
		}
		if page.Next == "" {
			break
		}
		opts.After = page.Next
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("ListSubscriptions(all) pages (-want +got):\n%s", diff)
	}

	h, err := f.client.GetSubscription(ctx, ids[3])
	wantDelivery := sluice.DeliveryPolicy{MaxAttempts: 3, MinBackoff: time.Second, MaxBackoff: 2 * time.Minute, Timeout: 15 * time.Second, MaxRate: 2.5}
	if err != nil || h.Confirmed || h.Delivery != wantDelivery || h.DeadLetterQueue != "dead" || h.Protocol != sluice.ProtocolHTTPS {
		t.Errorf("GetSubscription(https) = %+v, %v; want unconfirmed with delivery %+v and dead-letter queue", h, err, wantDelivery)
	}

	// PATCH: a new policy as an object, then removal with null.
	_, sub, _ := strings.Cut(ids[2], "/")
	path := "/v1/topics/a/subscriptions/" + sub
	r := f.do(t, "PATCH", path, "application/json", `{"filter_policy":{"k":["w"]},"filter_scope":"MessageAttributes"}`)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"filter_policy":{"k":["w"]}`) {
		t.Errorf("PATCH filter_policy = %d %s", r.status, r.body)
	}
	r = f.do(t, "PATCH", path, "application/json", `{"filter_policy":null}`)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"filter_policy":null`) {
		t.Errorf("PATCH filter_policy null = %d %s", r.status, r.body)
	}
	if res := f.publish(t, "a", sluice.PublishInput{Body: []byte("x")}); res.Deliveries != 2 {
		t.Errorf("Publish() after removing the filter = %d deliveries, want 2 (the HTTP one is unconfirmed)", res.Deliveries)
	}
	r = f.do(t, "DELETE", path, "", nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("DELETE subscription = %d %q, want 204 and no body", r.status, r.body)
	}
	r = f.do(t, "GET", path, "", nil)
	if e := r.apiError(t); r.status != 404 || e.Code != "subscription_not_found" {
		t.Errorf("GET deleted subscription = %d %s, want 404 subscription_not_found", r.status, e.Code)
	}
}

// pushConfirmation returns the token of the confirmation request waiting in
// the hidden push queue of the subscription with id. The push worker, not
// this package, delivers it; the test reads the queue through the engine.
func (f *fixture) pushConfirmation(t *testing.T, id string) envelope {
	t.Helper()
	targets, err := f.engine.PushTargets(t.Context())
	if err != nil {
		t.Fatalf("PushTargets() = %v", err)
	}
	i := slices.IndexFunc(targets, func(p engine.PushTarget) bool { return p.Subscription == id })
	if i < 0 {
		t.Fatalf("PushTargets() = %+v, want one for %s", targets, id)
	}
	none := time.Duration(0)
	msgs, err := f.engine.Receive(t.Context(), targets[i].Queue, sluice.ReceiveOptions{Max: 10, WaitTime: &none})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Receive(push queue) = %d messages, %v; want the confirmation request", len(msgs), err)
	}
	var e envelope
	if err := json.Unmarshal(msgs[0].Body, &e); err != nil || e.Type != "SubscriptionConfirmation" || e.Token == "" {
		t.Fatalf("push queue holds %s, want a SubscriptionConfirmation with a token", msgs[0].Body)
	}
	return e
}

func TestConfirmSubscription(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createTopic(t, sluice.TopicConfig{Name: "hooks"})
	byGet := f.subscribe(t, sluice.Subscription{Topic: "hooks", Protocol: sluice.ProtocolHTTP, Endpoint: "http://127.0.0.1:1/get"})
	byPost := f.subscribe(t, sluice.Subscription{Topic: "hooks", Protocol: sluice.ProtocolHTTP, Endpoint: "http://127.0.0.1:1/post"})
	pre := f.subscribe(t, sluice.Subscription{Topic: "hooks", Protocol: sluice.ProtocolHTTP, Endpoint: "http://127.0.0.1:1/pre", Confirmed: true})
	if byGet.Confirmed || byPost.Confirmed || !pre.Confirmed {
		t.Fatalf("Subscribe(http) confirmed = %v, %v, %v; want false, false, true", byGet.Confirmed, byPost.Confirmed, pre.Confirmed)
	}
	if res := f.publish(t, "hooks", sluice.PublishInput{Body: []byte("early")}); res.Deliveries != 1 {
		t.Errorf("Publish() before confirmation = %d deliveries, want 1 (the pre-confirmed one)", res.Deliveries)
	}

	// The link form, as an endpoint following SubscribeURL would.
	tokenGet := f.pushConfirmation(t, byGet.ID).Token
	r := f.do(t, "GET", "/v1/topics/hooks/confirm?token="+url.QueryEscape(tokenGet), "", nil)
	var doc struct {
		ID        string `json:"id"`
		Confirmed bool   `json:"confirmed"`
	}
	if err := json.Unmarshal(r.body, &doc); r.status != http.StatusOK || err != nil || doc.ID != byGet.ID || !doc.Confirmed {
		t.Errorf("GET confirm = %d %s, want 200 and the confirmed subscription %s", r.status, r.body, byGet.ID)
	}

	// The body form, through the client.
	tokenPost := f.pushConfirmation(t, byPost.ID).Token
	got, err := f.client.ConfirmSubscription(ctx, "hooks", tokenPost)
	if err != nil || got.ID != byPost.ID || !got.Confirmed {
		t.Errorf("ConfirmSubscription() = %+v, %v; want %s confirmed", got, err, byPost.ID)
	}
	if _, err := f.client.ConfirmSubscription(ctx, "hooks", tokenPost); err != nil {
		t.Errorf("ConfirmSubscription() twice = %v, want it harmless", err)
	}
	if res := f.publish(t, "hooks", sluice.PublishInput{Body: []byte("later")}); res.Deliveries != 3 {
		t.Errorf("Publish() after confirmation = %d deliveries, want 3", res.Deliveries)
	}

	_, err = f.client.ConfirmSubscription(ctx, "hooks", "not-the-token")
	wantAPIError(t, "ConfirmSubscription(wrong token)", err, 400, "token_invalid", "")
	if !errors.Is(err, sluice.ErrTokenInvalid) {
		t.Errorf("ConfirmSubscription(wrong token) = %v, want errors.Is ErrTokenInvalid", err)
	}
	r = f.do(t, "GET", "/v1/topics/hooks/confirm?token=nope", "", nil)
	if e := r.apiError(t); r.status != 400 || e.Code != "token_invalid" {
		t.Errorf("GET confirm with a wrong token = %d %s, want 400 token_invalid", r.status, e.Code)
	}
	r = f.do(t, "GET", "/v1/topics/nope/confirm?token="+tokenGet, "", nil)
	if e := r.apiError(t); r.status != 404 || e.Code != "topic_not_found" {
		t.Errorf("GET confirm on an unknown topic = %d %s, want 404 topic_not_found", r.status, e.Code)
	}
}
