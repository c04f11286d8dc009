package nativeapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

func TestQueueLifecycle(t *testing.T) {
	f := setup(t)
	ctx := t.Context()

	q := f.createQueue(t, sluice.QueueConfig{Name: "orders", VisibilityTimeout: 45 * time.Second, Tags: map[string]string{"team": "a"}})
	if q.Type != sluice.Standard || q.VisibilityTimeout != 45*time.Second || q.Retention != sluice.DefaultRetention || q.MaxMessageSize != 1<<20 || q.CreatedAt.IsZero() {
		t.Errorf("CreateQueue() = %+v, want defaults filled in", q)
	}
	got, err := f.client.GetQueue(ctx, "orders")
	if err != nil {
		t.Fatalf("GetQueue() = %v", err)
	}
	if diff := cmp.Diff(q, got); diff != "" {
		t.Errorf("GetQueue() mismatch (-created +got):\n%s", diff)
	}
	again, err := f.client.CreateQueue(ctx, sluice.QueueConfig{Name: "orders", VisibilityTimeout: 45 * time.Second, Tags: map[string]string{"team": "a"}})
	if err != nil || !again.CreatedAt.Equal(q.CreatedAt) {
		t.Errorf("CreateQueue() again = %+v, %v; want the existing queue", again, err)
	}

	delay := 5 * time.Second
	upd, err := f.client.UpdateQueue(ctx, "orders", sluice.QueueUpdate{Delay: &delay})
	if err != nil {
		t.Fatalf("UpdateQueue() = %v", err)
	}
	if upd.Delay != delay || upd.VisibilityTimeout != 45*time.Second {
		t.Errorf("UpdateQueue(delay 5s) = %+v, want delay 5s and visibility unchanged", upd)
	}

	if err := f.client.TagQueue(ctx, "orders", map[string]string{"env": "prod"}); err != nil {
		t.Fatalf("TagQueue() = %v", err)
	}
	if err := f.client.UntagQueue(ctx, "orders", []string{"team", "absent"}); err != nil {
		t.Fatalf("UntagQueue() = %v", err)
	}
	got, _ = f.client.GetQueue(ctx, "orders")
	if diff := cmp.Diff(map[string]string{"env": "prod"}, got.Tags); diff != "" {
		t.Errorf("tags after tag and untag (-want +got):\n%s", diff)
	}

	if err := f.client.DeleteQueue(ctx, "orders"); err != nil {
		t.Fatalf("DeleteQueue() = %v", err)
	}
	if _, err := f.client.GetQueue(ctx, "orders"); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Errorf("GetQueue() after delete = %v, want ErrQueueNotFound", err)
	}
}

func TestCreateQueueStatus(t *testing.T) {
	f := setup(t)
	first := f.do(t, "POST", "/v1/queues", "application/json", `{"name":"jobs","delay":"2s"}`)
	if first.status != http.StatusCreated || first.header.Get("Location") != "/v1/queues/jobs" {
		t.Errorf("first create = %d, Location %q; want 201 /v1/queues/jobs (%s)", first.status, first.header.Get("Location"), first.body)
	}
	same := f.do(t, "POST", "/v1/queues", "application/json; charset=utf-8", `{"name":"jobs","delay":2}`)
	if same.status != http.StatusOK {
		t.Errorf("identical create = %d, want 200 (%s)", same.status, same.body)
	}
	other := f.do(t, "POST", "/v1/queues", "", `{"name":"jobs","delay":"3s"}`)
	if e := other.apiError(t); other.status != http.StatusConflict || e.Code != "queue_exists" {
		t.Errorf("conflicting create = %d %s, want 409 queue_exists", other.status, e.Code)
	}
}

func TestListQueuesPages(t *testing.T) {
	f := setup(t)
	for _, name := range []string{"page-3", "page-1", "other", "page-5", "page-2", "page-4"} {
		f.createQueue(t, sluice.QueueConfig{Name: name})
	}
	var pages [][]string
	opts := client.ListOptions{Prefix: "page-", Limit: 2}
	for range 10 {
		page, err := f.client.ListQueues(t.Context(), opts)
		if err != nil {
			t.Fatalf("ListQueues(%+v) = %v", opts, err)
		}
		var names []string
		for _, q := range page.Queues {
			names = append(names, q.Name)
		}
		pages = append(pages, names)
		if page.Next == "" {
			break
		}
		opts.After = page.Next
	}
	want := [][]string{{"page-1", "page-2"}, {"page-3", "page-4"}, {"page-5"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	all, err := f.client.ListQueues(t.Context(), client.ListOptions{})
	if err != nil || len(all.Queues) != 6 || all.Next != "" {
		t.Errorf("ListQueues() = %d queues, next %q, %v; want 6, no next", len(all.Queues), all.Next, err)
	}
	empty := f.do(t, "GET", "/v1/queues?prefix=none", "", nil)
	if string(empty.body) != "{\"queues\":[],\"next\":\"\"}\n" {
		t.Errorf("empty listing = %s, want an empty array", empty.body)
	}
}

func TestDeadLetterPolicy(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createQueue(t, sluice.QueueConfig{Name: "dead"})
	f.createQueue(t, sluice.QueueConfig{Name: "work"})

	q, err := f.client.UpdateQueue(ctx, "work", sluice.QueueUpdate{DeadLetter: &sluice.DeadLetterPolicy{Queue: "dead", MaxReceives: 3}})
	if err != nil || q.DeadLetter == nil || *q.DeadLetter != (sluice.DeadLetterPolicy{Queue: "dead", MaxReceives: 3}) {
		t.Fatalf("UpdateQueue(dead letter) = %+v, %v", q.DeadLetter, err)
	}
	// An absent dead_letter leaves the policy; null removes it.
	r := f.do(t, "PATCH", "/v1/queues/work", "application/json", `{"visibility_timeout":"1m"}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH without dead_letter = %d %s", r.status, r.body)
	}
	if q, _ := f.client.GetQueue(ctx, "work"); q.DeadLetter == nil {
		t.Errorf("PATCH without dead_letter removed the policy")
	}
	r = f.do(t, "PATCH", "/v1/queues/work", "application/json", `{"dead_letter":null}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH dead_letter null = %d %s", r.status, r.body)
	}
	if q, _ := f.client.GetQueue(ctx, "work"); q.DeadLetter != nil {
		t.Errorf("PATCH dead_letter null left %+v", q.DeadLetter)
	}
	// The client's removal: a policy with no queue.
	f.client.UpdateQueue(ctx, "work", sluice.QueueUpdate{DeadLetter: &sluice.DeadLetterPolicy{Queue: "dead", MaxReceives: 3}})
	q, err = f.client.UpdateQueue(ctx, "work", sluice.QueueUpdate{DeadLetter: &sluice.DeadLetterPolicy{}})
	if err != nil || q.DeadLetter != nil {
		t.Errorf("UpdateQueue(remove dead letter) = %+v, %v; want no policy", q.DeadLetter, err)
	}
}

func TestSendReceiveAck(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createQueue(t, sluice.QueueConfig{Name: "q"})

	text := sluice.SendInput{Body: []byte("hello"), Tenant: "acme", Attributes: map[string]sluice.Attribute{
		"s": {Type: "String", String: "v"},
		"n": {Type: "Number.int", String: "42"},
		"b": {Type: "Binary", Binary: []byte{0, 1, 2}},
	}}
	binary := sluice.SendInput{Body: []byte{0xff, 0x00, 0xfe}}
	r1, err := f.client.Send(ctx, "q", text)
	if err != nil {
		t.Fatalf("Send(text) = %v", err)
	}
	r2, err := f.client.Send(ctx, "q", binary)
	if err != nil {
		t.Fatalf("Send(binary) = %v", err)
	}
	if r1.ID == "" || r2.Sequence <= r1.Sequence || r1.Duplicate {
		t.Errorf("Send() results %+v, %+v; want ids and increasing sequences", r1, r2)
	}

	wait := time.Duration(0)
	msgs, err := f.client.Receive(ctx, "q", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Receive() = %d messages, %v; want 2", len(msgs), err)
	}
	want := []sluice.Message{
		{ID: r1.ID, Body: text.Body, Attributes: text.Attributes, Tenant: "acme", Sequence: r1.Sequence, ReceiveCount: 1},
		{ID: r2.ID, Body: binary.Body, Sequence: r2.Sequence, ReceiveCount: 1},
	}
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".SentAt", ".FirstReceivedAt", ".Receipt":
			return true
		}
		return false
	}, cmp.Ignore())
	if diff := cmp.Diff(want, msgs, ignore); diff != "" {
		t.Errorf("Receive() mismatch (-want +got):\n%s", diff)
	}
	for _, m := range msgs {
		if m.Receipt == "" || m.SentAt.IsZero() || m.FirstReceivedAt.IsZero() {
			t.Errorf("Receive() message %s lacks receipt or times: %+v", m.ID, m)
		}
	}

	if err := f.client.Ack(ctx, "q", msgs[0].Receipt); err != nil {
		t.Errorf("Ack() = %v", err)
	}
	errs, err := f.client.AckBatch(ctx, "q", []string{msgs[1].Receipt, "not-a-receipt"})
	if err != nil || len(errs) != 2 {
		t.Fatalf("AckBatch() = %v, %v", errs, err)
	}
	if errs[0] != nil {
		t.Errorf("AckBatch()[0] = %v, want nil", errs[0])
	}
	if !errors.Is(errs[1], sluice.ErrReceiptInvalid) {
		t.Errorf("AckBatch()[1] = %v, want ErrReceiptInvalid", errs[1])
	}
	wantAPIError(t, "AckBatch()[1]", errs[1], 0, "receipt_invalid", "")
	raw := f.do(t, "POST", "/v1/queues/q/ack", "application/json", `{"receipts":["x"]}`)
	if want := `{"results":[{"receipt":"x","error":{"code":"receipt_invalid","message":"receipt is invalid: wrong length"}}],"acked":0,"failed":1}` + "\n"; raw.status != 200 || string(raw.body) != want {
		t.Errorf("POST ack = %d %s, want 200 %s", raw.status, raw.body, want)
	}

	s := f.stats(t, "q")
	if s.Sent != 2 || s.Acked != 2 || s.Visible != 0 || s.InFlight != 0 {
		t.Errorf("Stats() = %+v, want 2 sent, 2 acked, none left", s)
	}
}

func TestVisibilityAndNack(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	none := time.Duration(0)
	receive := func() []sluice.Message {
		t.Helper()
		msgs, err := f.client.Receive(ctx, "q", sluice.ReceiveOptions{WaitTime: &none})
		if err != nil {
			t.Fatalf("Receive() = %v", err)
		}
		return msgs
	}
	if _, err := f.client.Send(ctx, "q", sluice.SendInput{Body: []byte("m")}); err != nil {
		t.Fatal(err)
	}
	first := receive()
	if len(first) != 1 {
		t.Fatalf("Receive() = %d messages, want 1", len(first))
	}
	if got := receive(); len(got) != 0 {
		t.Fatalf("Receive() while in flight = %d messages, want 0", len(got))
	}

	if err := f.client.ChangeVisibility(ctx, "q", first[0].Receipt, 0); err != nil {
		t.Fatalf("ChangeVisibility(0) = %v", err)
	}
	second := receive()
	if len(second) != 1 || second[0].ReceiveCount != 2 {
		t.Fatalf("Receive() after visibility 0 = %+v, want the message again", second)
	}
	err := f.client.Ack(ctx, "q", first[0].Receipt)
	if !errors.Is(err, sluice.ErrReceiptStale) {
		t.Errorf("Ack(stale receipt) = %v, want ErrReceiptStale", err)
	}

	if err := f.client.Nack(ctx, "q", second[0].Receipt, 0); err != nil {
		t.Fatalf("Nack(0) = %v", err)
	}
	third := receive()
	if len(third) != 1 || third[0].ReceiveCount != 3 {
		t.Fatalf("Receive() after nack = %+v, want the message a third time", third)
	}
	if err := f.client.Nack(ctx, "q", third[0].Receipt, time.Hour); err != nil {
		t.Fatalf("Nack(1h) = %v", err)
	}
	if got := receive(); len(got) != 0 {
		t.Errorf("Receive() after nack with 1h delay = %d messages, want 0", len(got))
	}

	errs, err := f.client.ChangeVisibilityBatch(ctx, "q", []sluice.VisibilityChange{{Receipt: third[0].Receipt, Timeout: 0}, {Receipt: "bogus", Timeout: 0}})
	if err != nil || len(errs) != 2 || errs[0] != nil || !errors.Is(errs[1], sluice.ErrReceiptInvalid) {
		t.Errorf("ChangeVisibilityBatch() = %v, %v; want [nil, receipt invalid]", errs, err)
	}
	raw := f.do(t, "POST", "/v1/queues/q/nack", "application/json", `{"receipts":["bogus"],"delay":"5s"}`)
	if want := `"changed":0,"failed":1}`; raw.status != 200 || !strings.Contains(string(raw.body), want) {
		t.Errorf("POST nack = %d %s, want 200 with %s", raw.status, raw.body, want)
	}
}

func TestSendBatchAndFIFO(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createQueue(t, sluice.QueueConfig{Name: "jobs.fifo", ContentBasedDedup: true})
	res, err := f.client.SendBatch(ctx, "jobs.fifo", []sluice.SendInput{
		{Body: []byte("a"), GroupID: "g"},
		{Body: []byte("b"), GroupID: "g"},
		{Body: []byte("a"), GroupID: "g"}, // duplicate by content
	})
	if err != nil || len(res) != 3 {
		t.Fatalf("SendBatch() = %+v, %v", res, err)
	}
	if res[0].Duplicate || res[1].Duplicate || !res[2].Duplicate || res[2].ID != res[0].ID {
		t.Errorf("SendBatch() = %+v, want the third a duplicate of the first", res)
	}
	wait := time.Duration(0)
	msgs, err := f.client.Receive(ctx, "jobs.fifo", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
	if err != nil || len(msgs) != 2 || string(msgs[0].Body) != "a" || string(msgs[1].Body) != "b" || msgs[0].GroupID != "g" {
		t.Errorf("Receive() = %+v, %v; want a then b in group g", msgs, err)
	}
	if n, err := f.client.PurgeQueue(ctx, "jobs.fifo"); err != nil || n != 2 {
		t.Errorf("PurgeQueue() = %d, %v; want 2", n, err)
	}
	if s := f.stats(t, "jobs.fifo"); s.Visible+s.InFlight+s.Delayed != 0 {
		t.Errorf("Stats() after purge = %+v, want empty", s)
	}
}

func TestRedrive(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createQueue(t, sluice.QueueConfig{Name: "dead"})
	f.createQueue(t, sluice.QueueConfig{Name: "work", DeadLetter: &sluice.DeadLetterPolicy{Queue: "dead", MaxReceives: 1}})
	if _, err := f.client.Send(ctx, "work", sluice.SendInput{Body: []byte("poison")}); err != nil {
		t.Fatal(err)
	}
	none, some := time.Duration(0), 5*time.Second
	msgs, err := f.client.Receive(ctx, "work", sluice.ReceiveOptions{WaitTime: &none})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Receive() = %d, %v", len(msgs), err)
	}
	if err := f.client.Nack(ctx, "work", msgs[0].Receipt, 0); err != nil {
		t.Fatal(err)
	}
	// The second receive finds it over its limit and moves it.
	if msgs, err := f.client.Receive(ctx, "work", sluice.ReceiveOptions{WaitTime: &none}); err != nil || len(msgs) != 0 {
		t.Fatalf("Receive() over the limit = %d, %v; want none", len(msgs), err)
	}
	dead, err := f.client.Receive(ctx, "dead", sluice.ReceiveOptions{WaitTime: &some})
	if err != nil || len(dead) != 1 || dead[0].SourceQueue != "work" || string(dead[0].Body) != "poison" {
		t.Fatalf("Receive(dead) = %+v, %v; want the message from work", dead, err)
	}
	if err := f.client.Nack(ctx, "dead", dead[0].Receipt, 0); err != nil {
		t.Fatal(err)
	}
	n, err := f.client.Redrive(ctx, "dead", sluice.RedriveOptions{})
	if err != nil || n != 1 {
		t.Fatalf("Redrive(dead) = %d, %v; want 1", n, err)
	}
	back, err := f.client.Receive(ctx, "work", sluice.ReceiveOptions{WaitTime: &some})
	if err != nil || len(back) != 1 || string(back[0].Body) != "poison" {
		t.Errorf("Receive(work) after redrive = %+v, %v", back, err)
	}
}

func TestHealthAndRequestID(t *testing.T) {
	f := setup(t)
	if err := f.client.Health(t.Context()); err != nil {
		t.Errorf("Health() = %v", err)
	}
	r := f.do(t, "GET", "/readyz", "", nil, "X-Request-Id", "trace-42")
	if r.status != 200 || r.header.Get("X-Request-Id") != "trace-42" {
		t.Errorf("GET /readyz = %d, X-Request-Id %q; want 200 trace-42", r.status, r.header.Get("X-Request-Id"))
	}
	for _, bad := range []string{"", "has spaces", "<script>", strings.Repeat("a", 129)} {
		r := f.do(t, "GET", "/v1/nothing", "", nil, "X-Request-Id", bad)
		if id := r.header.Get("X-Request-Id"); id == "" || id == bad {
			t.Errorf("X-Request-Id for request id %q = %q, want a generated one", bad, id)
		}
	}
}

func TestUnavailable(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	f.journal.FailWith(errors.New("disk on fire"))
	_, err := f.client.Send(ctx, "q", sluice.SendInput{Body: []byte("x")})
	wantAPIError(t, "Send() with a failed journal", err, http.StatusServiceUnavailable, "unavailable", "")
	if !errors.Is(err, sluice.ErrUnavailable) {
		t.Errorf("Send() = %v, want ErrUnavailable", err)
	}
	if err := f.client.Health(ctx); !errors.Is(err, sluice.ErrUnavailable) {
		t.Errorf("Health() = %v, want ErrUnavailable", err)
	}
}
