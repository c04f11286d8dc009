package push_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
	"github.com/sluicehq/sluice/internal/push"
)

const baseURL = "http://sluice.test:9324"

// fixture is a running engine and push worker.
type fixture struct {
	t    *testing.T
	e    *engine.Engine
	w    *push.Worker
	logs *logRecorder
	stop context.CancelFunc
	done chan error // Run's result
}

// setup starts an engine over two in-memory journals and a worker polling
// fast, with opts' zero fields filled for tests; both stop when the test
// ends.
func setup(t *testing.T, opts push.Options) *fixture {
	t.Helper()
	js := []journal.Journal{memjournal.New(), memjournal.New()}
	e, err := engine.Open(t.Context(), engine.Options{Journals: js})
	if err != nil {
		t.Fatalf("engine.Open() = %v", err)
	}
	engineCtx, stopEngine := context.WithCancel(context.Background())
	engineDone := make(chan struct{})
	go func() {
		defer close(engineDone)
		e.Run(engineCtx)
	}()
	f := &fixture{t: t, e: e, logs: &logRecorder{}, done: make(chan error, 1)}
	opts.BaseURL = baseURL
	opts.Logger = slog.New(f.logs)
	if opts.PollInterval == 0 {
		opts.PollInterval = 20 * time.Millisecond
	}
	if opts.WaitTime == 0 {
		opts.WaitTime = 200 * time.Millisecond
	}
	w := push.New(e, opts)
	f.w = w
	ctx, stop := context.WithCancel(context.Background())
	f.stop = stop
	go func() { f.done <- w.Run(ctx) }()
	t.Cleanup(func() {
		f.shutdown(10 * time.Second)
		stopEngine()
		<-engineDone
	})
	return f
}

// shutdown stops the worker and fails the test unless Run returns nil
// within timeout. It may be called more than once.
func (f *fixture) shutdown(timeout time.Duration) {
	f.t.Helper()
	f.stop()
	select {
	case err := <-f.done:
		f.done <- err
		if err != nil {
			f.t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(timeout):
		f.t.Fatalf("Run did not return within %v of cancellation", timeout)
	}
}

func (f *fixture) topic(name string) {
	f.t.Helper()
	if _, _, err := f.e.CreateTopic(f.t.Context(), sluice.TopicConfig{Name: name}); err != nil {
		f.t.Fatalf("CreateTopic(%s) = %v", name, err)
	}
}

func (f *fixture) queue(name string) {
	f.t.Helper()
	if _, _, err := f.e.CreateQueue(f.t.Context(), sluice.QueueConfig{Name: name}); err != nil {
		f.t.Fatalf("CreateQueue(%s) = %v", name, err)
	}
}

func (f *fixture) subscribe(s sluice.Subscription) sluice.Subscription {
	f.t.Helper()
	if s.Protocol == "" {
		s.Protocol = sluice.ProtocolHTTP
	}
	out, err := f.e.Subscribe(f.t.Context(), s)
	if err != nil {
		f.t.Fatalf("Subscribe(%+v) = %v", s, err)
	}
	return out
}

func (f *fixture) publish(topic string, in sluice.PublishInput) sluice.PublishResult {
	f.t.Helper()
	res, err := f.e.Publish(f.t.Context(), topic, []sluice.PublishInput{in})
	if err != nil {
		f.t.Fatalf("Publish(%s) = %v", topic, err)
	}
	return res[0]
}

// target returns the push target of subscription id.
func (f *fixture) target(id string) engine.PushTarget {
	f.t.Helper()
	targets, err := f.e.PushTargets(f.t.Context())
	if err != nil {
		f.t.Fatalf("PushTargets() = %v", err)
	}
	for _, t := range targets {
		if t.Subscription == id {
			return t
		}
	}
	f.t.Fatalf("PushTargets() = %+v, want one for %s", targets, id)
	return engine.PushTarget{}
}

// eventually polls cond every few milliseconds until it holds, failing the
// test with what after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, bounded by the deadline
	}
}

// request is one delivery as an endpoint saw it.
type request struct {
	at     time.Time
	method string
	header http.Header
	body   string
}

// envelope is the SNS JSON envelope as an endpoint reads it.
type envelope struct {
	Type              string
	MessageId         string
	Token             string
	TopicArn          string
	Subject           string
	Message           string
	SubscribeURL      string
	UnsubscribeURL    string
	MessageAttributes map[string]struct{ Type, Value string }
}

func (r request) envelope(t *testing.T) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal([]byte(r.body), &env); err != nil {
		t.Fatalf("body %q is not an SNS envelope: %v", r.body, err)
	}
	return env
}

// endpoint is a subscriber on loopback. Each request is answered with the
// status respond returns (200 when respond is nil) and then sent on
// requests.
type endpoint struct {
	*httptest.Server
	requests chan request
}

func newEndpoint(t *testing.T, respond func(n int, r request) int) *endpoint {
	t.Helper()
	ep := &endpoint{requests: make(chan request, 1000)}
	var mu sync.Mutex
	n := 0
	ep.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := request{at: time.Now(), method: r.Method, header: r.Header.Clone(), body: string(b)}
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		status := http.StatusOK
		if respond != nil {
			status = respond(i, req)
		}
		w.WriteHeader(status)
		ep.requests <- req
	}))
	t.Cleanup(ep.Close)
	return ep
}

// next returns the next request, failing the test after timeout.
func (ep *endpoint) next(t *testing.T, timeout time.Duration) request {
	t.Helper()
	select {
	case r := <-ep.requests:
		return r
	case <-time.After(timeout):
		t.Fatalf("no delivery to %s within %v", ep.URL, timeout)
		return request{}
	}
}

// none fails the test if a request arrives within d.
func (ep *endpoint) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case r := <-ep.requests:
		t.Fatalf("unexpected delivery %s", r.body)
	case <-time.After(d):
	}
}

// logRecorder is a slog.Handler keeping every record.
type logRecorder struct {
	mu      sync.Mutex // guards records
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &withAttrs{l: l, attrs: attrs}
}
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// find returns the attributes of the first record whose message contains
// msg, and whether there is one.
func (l *logRecorder) find(level slog.Level, msg string) (map[string]any, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if r.Level == level && strings.Contains(r.Message, msg) {
			attrs := map[string]any{}
			r.Attrs(func(a slog.Attr) bool {
				attrs[a.Key] = a.Value.Resolve().Any()
				return true
			})
			return attrs, true
		}
	}
	return nil, false
}

type withAttrs struct {
	l     *logRecorder
	attrs []slog.Attr
}

func (h *withAttrs) Enabled(context.Context, slog.Level) bool { return true }
func (h *withAttrs) WithGroup(string) slog.Handler            { return h }
func (h *withAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &withAttrs{l: h.l, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}
func (h *withAttrs) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	return h.l.Handle(ctx, r)
}

func TestDeliversEnvelopeAndRawWithSNSHeaders(t *testing.T) {
	f := setup(t, push.Options{})
	f.topic("orders")
	envEP, rawEP := newEndpoint(t, nil), newEndpoint(t, nil)
	envSub := f.subscribe(sluice.Subscription{Topic: "orders", Endpoint: envEP.URL + "/hook", Confirmed: true})
	rawSub := f.subscribe(sluice.Subscription{Topic: "orders", Endpoint: rawEP.URL + "/raw", Raw: true, Confirmed: true})
	attrs := map[string]sluice.Attribute{"kind": {Type: "String", String: "created"}}
	res := f.publish("orders", sluice.PublishInput{Body: []byte(`{"order":1}`), Subject: "new order", Attributes: attrs})
	if res.Deliveries != 2 {
		t.Fatalf("Publish() = %+v, want 2 deliveries", res)
	}
	const arn = "arn:aws:sns:us-east-1:000000000000:orders"
	common := func(t *testing.T, r request, sub sluice.Subscription, kind, id string) {
		t.Helper()
		_, uid, _ := strings.Cut(sub.ID, "/")
		for h, want := range map[string]string{
			"Content-Type":               "text/plain; charset=UTF-8",
			"User-Agent":                 "Sluice-Notification-Agent",
			"x-amz-sns-message-type":     kind,
			"x-amz-sns-message-id":       id,
			"x-amz-sns-topic-arn":        arn,
			"x-amz-sns-subscription-arn": arn + ":" + uid,
		} {
			if got := r.header.Get(h); got != want {
				t.Errorf("header %s = %q, want %q", h, got, want)
			}
		}
		if r.method != http.MethodPost {
			t.Errorf("method = %s, want POST", r.method)
		}
	}

	t.Run("envelope", func(t *testing.T) {
		r := envEP.next(t, 10*time.Second)
		common(t, r, envSub, "Notification", res.ID)
		env := r.envelope(t)
		if env.Type != "Notification" || env.MessageId != res.ID || env.Message != `{"order":1}` || env.Subject != "new order" ||
			env.TopicArn != arn || env.MessageAttributes["kind"].Value != "created" || env.SubscribeURL != "" || env.UnsubscribeURL != "" {
			t.Errorf("envelope = %+v", env)
		}
		if got := r.header.Get("x-amz-sns-rawdelivery"); got != "" {
			t.Errorf("x-amz-sns-rawdelivery = %q on an enveloped delivery, want none", got)
		}
	})
	t.Run("raw", func(t *testing.T) {
		r := rawEP.next(t, 10*time.Second)
		if r.body != `{"order":1}` {
			t.Errorf("body = %q, want the published body", r.body)
		}
		// A raw copy is a message of its own; its id is the queue's.
		id := r.header.Get("x-amz-sns-message-id")
		if id == "" {
			t.Errorf("x-amz-sns-message-id is empty")
		}
		common(t, r, rawSub, "Notification", id)
		if got := r.header.Get("x-amz-sns-rawdelivery"); got != "true" {
			t.Errorf("x-amz-sns-rawdelivery = %q, want true", got)
		}
	})
	eventually(t, 5*time.Second, "the delivered messages were never acked", func() bool {
		for _, sub := range []sluice.Subscription{envSub, rawSub} {
			if f.target(sub.ID).Pending != 0 {
				return false
			}
		}
		return true
	})
}

func TestConfirmationCarriesSubscribeURL(t *testing.T) {
	for _, raw := range []bool{false, true} {
		t.Run(map[bool]string{false: "envelope", true: "raw"}[raw], func(t *testing.T) {
			f := setup(t, push.Options{})
			f.topic("hooks")
			ep := newEndpoint(t, nil)
			sub := f.subscribe(sluice.Subscription{Topic: "hooks", Endpoint: ep.URL, Raw: raw})
			if sub.Confirmed {
				t.Fatalf("Subscribe() = %+v, want unconfirmed", sub)
			}
			r := ep.next(t, 10*time.Second)
			env := r.envelope(t)
			if env.Type != "SubscriptionConfirmation" || env.Token == "" || env.TopicArn != "arn:aws:sns:us-east-1:000000000000:hooks" {
				t.Fatalf("first delivery = %+v, want a SubscriptionConfirmation with a token", env)
			}
			if want := baseURL + "/v1/topics/hooks/confirm?token=" + env.Token; env.SubscribeURL != want {
				t.Errorf("SubscribeURL = %q, want %q", env.SubscribeURL, want)
			}
			// SNS's field order: the link follows the message.
			if i, j := strings.Index(r.body, `"Message"`), strings.Index(r.body, `"SubscribeURL"`); i < 0 || j < i {
				t.Errorf("body %s: SubscribeURL not after Message", r.body)
			}
			if got := r.header.Get("x-amz-sns-message-type"); got != "SubscriptionConfirmation" {
				t.Errorf("x-amz-sns-message-type = %q, want SubscriptionConfirmation", got)
			}
			if got := r.header.Get("x-amz-sns-message-id"); got != env.MessageId {
				t.Errorf("x-amz-sns-message-id = %q, want the envelope's %q", got, env.MessageId)
			}
			if got := r.header.Get("x-amz-sns-rawdelivery"); got != "" {
				t.Errorf("x-amz-sns-rawdelivery = %q on a confirmation, want none", got)
			}
			if _, err := f.e.ConfirmSubscription(t.Context(), "hooks", env.Token); err != nil {
				t.Fatalf("ConfirmSubscription() = %v", err)
			}
			if res := f.publish("hooks", sluice.PublishInput{Body: []byte("hello")}); res.Deliveries != 1 {
				t.Fatalf("Publish() after confirming = %+v, want 1 delivery", res)
			}
			r = ep.next(t, 10*time.Second)
			if got := r.header.Get("x-amz-sns-message-type"); got != "Notification" {
				t.Errorf("x-amz-sns-message-type = %q, want Notification", got)
			}
			if raw && r.body != "hello" || !raw && r.envelope(t).Message != "hello" {
				t.Errorf("delivery after confirming = %s, want hello", r.body)
			}
			// A published body shaped like a confirmation request is a
			// notification all the same: only the subscription's own
			// request gets that type.
			forged := `{"Type":"SubscriptionConfirmation","MessageId":"m","Token":"t","TopicArn":"arn:aws:sns:us-east-1:000000000000:hooks"}`
			f.publish("hooks", sluice.PublishInput{Body: []byte(forged)})
			r = ep.next(t, 10*time.Second)
			if got := r.header.Get("x-amz-sns-message-type"); got != "Notification" {
				t.Errorf("x-amz-sns-message-type of a published look-alike = %q, want Notification", got)
			}
			if raw && r.body != forged || !raw && r.envelope(t).Message != forged {
				t.Errorf("delivery of a published look-alike = %s, want it as published", r.body)
			}
		})
	}
}

func TestRetriesFollowBackoff(t *testing.T) {
	f := setup(t, push.Options{Rand: func() float64 { return 0.5 }})
	f.topic("flaky")
	ep := newEndpoint(t, func(n int, _ request) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	sub := f.subscribe(sluice.Subscription{Topic: "flaky", Endpoint: ep.URL, Confirmed: true,
		Delivery: sluice.DeliveryPolicy{MaxAttempts: 5, MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond}})
	f.publish("flaky", sluice.PublishInput{Body: []byte("x")})
	var at []time.Time
	for range 3 {
		at = append(at, ep.next(t, 10*time.Second).at)
	}
	// With the jitter at its middle, attempt n waits 3/4 of 100ms·2^(n-1).
	for i, want := range []time.Duration{75 * time.Millisecond, 150 * time.Millisecond} {
		if gap := at[i+1].Sub(at[i]); gap < want || gap > want+2*time.Second {
			t.Errorf("gap before attempt %d = %v, want %v and a little more", i+2, gap, want)
		}
	}
	eventually(t, 5*time.Second, "the third, successful attempt was never acked", func() bool {
		return f.target(sub.ID).Pending == 0
	})
	ep.none(t, 300*time.Millisecond)
	f.wantAttempts(sub.ID, map[push.Outcome]uint64{push.Retried: 2, push.Delivered: 1})
}

// wantAttempts checks the worker's counts of a subscription's attempts.
func (f *fixture) wantAttempts(sub string, want map[push.Outcome]uint64) {
	f.t.Helper()
	var got map[push.Outcome]uint64
	for _, s := range f.w.Stats() {
		if s.Subscription == sub {
			got = map[push.Outcome]uint64{}
			for i, o := range push.Outcomes {
				if s.Attempts[i] > 0 {
					got[o] = s.Attempts[i]
				}
			}
		}
	}
	if !maps.Equal(got, want) {
		f.t.Errorf("Stats() attempts of %s = %v, want %v", sub, got, want)
	}
}

func TestExhaustedDeliveries(t *testing.T) {
	policy := sluice.DeliveryPolicy{MaxAttempts: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	failing := func(int, request) int { return http.StatusInternalServerError }

	t.Run("dead-lettered", func(t *testing.T) {
		f := setup(t, push.Options{})
		f.topic("t")
		f.queue("undeliverable")
		ep := newEndpoint(t, failing)
		sub := f.subscribe(sluice.Subscription{Topic: "t", Endpoint: ep.URL, Confirmed: true, Delivery: policy, DeadLetterQueue: "undeliverable"})
		res := f.publish("t", sluice.PublishInput{Body: []byte("doomed")})
		var msgs []sluice.Message
		eventually(t, 10*time.Second, "the message never reached the dead-letter queue", func() bool {
			zero := time.Duration(0)
			var err error
			msgs, err = f.e.Receive(t.Context(), "undeliverable", sluice.ReceiveOptions{Max: 10, WaitTime: &zero})
			return err == nil && len(msgs) > 0
		})
		var env envelope
		if len(msgs) != 1 || json.Unmarshal(msgs[0].Body, &env) != nil || env.MessageId != res.ID || env.Message != "doomed" {
			t.Fatalf("dead-letter queue holds %d messages, first %s; want the envelope of %s", len(msgs), msgs[0].Body, res.ID)
		}
		for range policy.MaxAttempts {
			ep.next(t, time.Second)
		}
		ep.none(t, 100*time.Millisecond)
		if _, ok := f.logs.find(slog.LevelInfo, "dead-letter"); !ok {
			t.Errorf("no INFO log of the dead-lettering")
		}
		if p := f.target(sub.ID).Pending; p != 0 {
			t.Errorf("hidden queue holds %d messages, want 0", p)
		}
		f.wantAttempts(sub.ID, map[push.Outcome]uint64{push.Retried: 2, push.DeadLettered: 1})
	})

	t.Run("dead-letter queue deleted", func(t *testing.T) {
		// SQS's DeleteQueue may delete a subscription's dead-letter queue.
		// The message then stays, retried at the longest backoff rather
		// than in a tight loop.
		slow := sluice.DeliveryPolicy{MaxAttempts: 2, MinBackoff: 10 * time.Millisecond, MaxBackoff: 10 * time.Second}
		f := setup(t, push.Options{})
		f.topic("t")
		f.queue("undeliverable")
		ep := newEndpoint(t, failing)
		sub := f.subscribe(sluice.Subscription{Topic: "t", Endpoint: ep.URL, Confirmed: true, Delivery: slow, DeadLetterQueue: "undeliverable"})
		if err := f.e.DeleteQueueInUse(t.Context(), "undeliverable"); err != nil {
			t.Fatal(err)
		}
		f.publish("t", sluice.PublishInput{Body: []byte("kept")})
		for range slow.MaxAttempts + 1 { // the last after the failed move
			ep.next(t, 5*time.Second)
		}
		ep.none(t, 200*time.Millisecond)
		eventually(t, 5*time.Second, "no WARN log of the retry after the failed move", func() bool {
			_, ok := f.logs.find(slog.LevelWarn, "did not take it")
			return ok
		})
		if st, err := f.e.Stats(t.Context(), f.target(sub.ID).Queue); err != nil || st.Visible+st.InFlight+st.Delayed != 1 {
			t.Errorf("hidden queue stats = %+v, %v; want the message kept", st, err)
		}
	})

	t.Run("dropped", func(t *testing.T) {
		f := setup(t, push.Options{})
		f.topic("t")
		ep := newEndpoint(t, failing)
		sub := f.subscribe(sluice.Subscription{Topic: "t", Endpoint: ep.URL, Confirmed: true, Delivery: policy})
		res := f.publish("t", sluice.PublishInput{Body: []byte("doomed")})
		var attrs map[string]any
		eventually(t, 10*time.Second, "no WARN log of the dropped delivery", func() bool {
			var ok bool
			attrs, ok = f.logs.find(slog.LevelWarn, "dropped")
			return ok
		})
		if attrs["subscription"] != sub.ID || attrs["message_id"] != res.ID || attrs["attempts"] != int64(3) ||
			!strings.Contains(attrs["err"].(error).Error(), "500") {
			t.Errorf("drop logged with %v, want subscription, message id, 3 attempts and the last error", attrs)
		}
		st, err := f.e.Stats(t.Context(), f.target(sub.ID).Queue)
		if err != nil || st.Visible+st.InFlight+st.Delayed != 0 || st.Acked != 1 {
			t.Errorf("hidden queue stats = %+v, %v; want it empty", st, err)
		}
		for range policy.MaxAttempts {
			ep.next(t, time.Second)
		}
		ep.none(t, 100*time.Millisecond)
		f.wantAttempts(sub.ID, map[push.Outcome]uint64{push.Retried: 2, push.Dropped: 1})
	})
}

func TestMaxRateSpacesDeliveries(t *testing.T) {
	f := setup(t, push.Options{})
	f.topic("t")
	ep := newEndpoint(t, nil)
	const rate, n = 20.0, 20
	f.subscribe(sluice.Subscription{Topic: "t", Endpoint: ep.URL, Confirmed: true, Delivery: sluice.DeliveryPolicy{MaxRate: rate}})
	msgs := make([]sluice.PublishInput, n)
	for i := range msgs {
		msgs[i] = sluice.PublishInput{Body: []byte("m")}
	}
	if _, err := f.e.Publish(t.Context(), "t", msgs); err != nil {
		t.Fatal(err)
	}
	var at []time.Time
	for range n {
		at = append(at, ep.next(t, 10*time.Second).at)
	}
	// The worker starts requests 1/rate apart, so n of them span at least
	// (n-1)/rate. They arrive later by varying amounts on a loaded machine,
	// so the spans are checked with room for that: the whole run may be
	// one interval shorter, and any window of length w may hold two more
	// than the 1 + rate·w deliveries that can start in it.
	if span, min := at[n-1].Sub(at[0]), time.Duration(float64(n-2)/rate*float64(time.Second)); span < min {
		t.Fatalf("%d deliveries within %v, want at least %v at %.0f/s", n, span, min, rate)
	}
	for i := range at {
		for j := i + 1; j < len(at); j++ {
			w := at[j].Sub(at[i]).Seconds()
			if count := j - i + 1; float64(count) > 3+rate*w {
				t.Fatalf("%d deliveries within %.3fs, want at most %.0f/s", count, w, rate)
			}
		}
	}
}

func TestUnsubscribeDrainsThenDeletesQueue(t *testing.T) {
	f := setup(t, push.Options{})
	f.topic("t")
	failed := make(chan struct{})
	ep := newEndpoint(t, func(n int, r request) int {
		if n == 1 {
			close(failed)
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	sub := f.subscribe(sluice.Subscription{Topic: "t", Endpoint: ep.URL, Confirmed: true,
		Delivery: sluice.DeliveryPolicy{MinBackoff: 300 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}})
	queue := f.target(sub.ID).Queue
	f.publish("t", sluice.PublishInput{Body: []byte("pending")})
	select {
	case <-failed:
	case <-time.After(10 * time.Second):
		t.Fatal("no first delivery attempt")
	}
	if err := f.e.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatalf("Unsubscribe() = %v", err)
	}
	if res := f.publish("t", sluice.PublishInput{Body: []byte("after")}); res.Deliveries != 0 {
		t.Fatalf("Publish() after unsubscribing = %+v, want no deliveries", res)
	}
	// The pending message is still delivered: first the failure, then the retry.
	if r := ep.next(t, 10*time.Second); r.envelope(t).Message != "pending" {
		t.Fatalf("first attempt = %s, want pending", r.body)
	}
	if r := ep.next(t, 10*time.Second); r.envelope(t).Message != "pending" {
		t.Fatalf("retry = %s, want pending", r.body)
	}
	eventually(t, 10*time.Second, "the drained queue of the deleted subscription was never deleted", func() bool {
		_, err := f.e.Stats(t.Context(), queue)
		return errors.Is(err, sluice.ErrQueueNotFound)
	})
	if targets, err := f.e.PushTargets(t.Context()); err != nil || len(targets) != 0 {
		t.Errorf("PushTargets() = %+v, %v; want none", targets, err)
	}
	ep.none(t, 200*time.Millisecond)
	if _, ok := f.logs.find(slog.LevelInfo, "removed its queue"); !ok {
		t.Errorf("no INFO log of the queue's removal")
	}
}

func TestRunStopsEverythingOnCancel(t *testing.T) {
	f := setup(t, push.Options{})
	f.topic("t")
	arrived := make(chan struct{}, 100)
	released := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-released:
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(released) })
	f.subscribe(sluice.Subscription{Topic: "t", Endpoint: hanging.URL, Confirmed: true})
	idle := newEndpoint(t, nil)
	f.subscribe(sluice.Subscription{Topic: "t", Endpoint: idle.URL, Confirmed: true})
	for range 3 {
		f.publish("t", sluice.PublishInput{Body: []byte("x")})
	}
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the hanging endpoint never got a request")
	}
	for range 3 {
		idle.next(t, 10*time.Second)
	}
	// Run returns only after every target goroutine and request ended,
	// although one endpoint never answers and the other's target is parked
	// in a long poll.
	start := time.Now()
	f.shutdown(5 * time.Second)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v to return after cancellation, want it prompt", took)
	}
}
