package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
)

// fixture is an engine under test with its journals, so that a test can
// restart it over the same durable state.
type fixture struct {
	t        *testing.T
	e        *engine.Engine
	journals []*memjournal.Journal
	opts     engine.Options
	stop     context.CancelFunc
	done     chan struct{}
}

// setup starts an engine with n in-memory journals. It must be called inside
// a synctest bubble or a normal test alike.
func setup(t *testing.T, n int, opts engine.Options) *fixture {
	t.Helper()
	f := &fixture{t: t, opts: opts}
	for range n {
		f.journals = append(f.journals, memjournal.New())
	}
	f.start()
	return f
}

func (f *fixture) start() {
	f.t.Helper()
	js := make([]journal.Journal, len(f.journals))
	for i, j := range f.journals {
		js[i] = j
	}
	opts := f.opts
	opts.Journals = js
	e, err := engine.Open(f.t.Context(), opts)
	if err != nil {
		f.t.Fatalf("Open() = %v", err)
	}
	ctx, cancel := context.WithCancel(f.t.Context())
	f.e, f.stop, f.done = e, cancel, make(chan struct{})
	go func() {
		defer close(f.done)
		e.Run(ctx)
	}()
	f.t.Cleanup(f.shutdown)
}

func (f *fixture) shutdown() {
	if f.stop != nil {
		f.stop()
		<-f.done
		f.stop = nil
	}
}

// restart stops the engine and opens a new one over the same journals, as a
// crash would (memjournal keeps exactly what was appended).
func (f *fixture) restart() {
	f.t.Helper()
	f.shutdown()
	for i, j := range f.journals {
		f.journals[i] = j.Reopen()
	}
	f.start()
}

func (f *fixture) create(cfg sluice.QueueConfig) sluice.QueueConfig {
	f.t.Helper()
	q, _, err := f.e.CreateQueue(f.t.Context(), cfg)
	if err != nil {
		f.t.Fatalf("CreateQueue(%s) = %v", cfg.Name, err)
	}
	return q
}

func (f *fixture) send(queue string, msgs ...sluice.SendInput) []sluice.SendResult {
	f.t.Helper()
	res, err := f.e.Send(f.t.Context(), queue, msgs)
	if err != nil {
		f.t.Fatalf("Send(%s) = %v", queue, err)
	}
	return res
}

func (f *fixture) sendBodies(queue string, bodies ...string) {
	f.t.Helper()
	for _, b := range bodies {
		f.send(queue, sluice.SendInput{Body: []byte(b)})
	}
}

func (f *fixture) receive(queue string, max int, vis time.Duration) []sluice.Message {
	f.t.Helper()
	zero := time.Duration(0)
	msgs, err := f.e.Receive(f.t.Context(), queue, sluice.ReceiveOptions{Max: max, VisibilityTimeout: &vis, WaitTime: &zero})
	if err != nil {
		f.t.Fatalf("Receive(%s) = %v", queue, err)
	}
	return msgs
}

func (f *fixture) ack(queue string, receipts ...string) {
	f.t.Helper()
	errs, err := f.e.Ack(f.t.Context(), queue, receipts)
	if err != nil {
		f.t.Fatalf("Ack(%s) = %v", queue, err)
	}
	for i, err := range errs {
		if err != nil {
			f.t.Fatalf("Ack(%s) entry %d = %v", queue, i, err)
		}
	}
}

func (f *fixture) stats(queue string) sluice.QueueStats {
	f.t.Helper()
	s, err := f.e.Stats(f.t.Context(), queue)
	if err != nil {
		f.t.Fatalf("Stats(%s) = %v", queue, err)
	}
	return s
}

func bodies(msgs []sluice.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Body)
	}
	return out
}

func wantBodies(t *testing.T, what string, msgs []sluice.Message, want ...string) {
	t.Helper()
	got := bodies(msgs)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got bodies %q, want %q", what, got, want)
	}
}

func TestSendReceiveAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		res := f.send("jobs", sluice.SendInput{
			Body:       []byte("hello"),
			Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "greeting"}, "n": {Type: "Number.int", String: "42"}},
			Tenant:     "acme",
		})
		if len(res) != 1 || res[0].ID == "" || res[0].Sequence != 1 {
			t.Fatalf("Send() = %+v, want one result with an id and sequence 1", res)
		}
		msgs := f.receive("jobs", 10, 30*time.Second)
		wantBodies(t, "Receive()", msgs, "hello")
		m := msgs[0]
		if m.ID != res[0].ID || m.Tenant != "acme" || m.ReceiveCount != 1 || m.Attributes["n"].String != "42" || m.Receipt == "" {
			t.Fatalf("Receive() message = %+v", m)
		}
		if s := f.stats("jobs"); s.Visible != 0 || s.InFlight != 1 {
			t.Fatalf("Stats() after receive = %+v, want 1 in flight", s)
		}
		f.ack("jobs", m.Receipt)
		if s := f.stats("jobs"); s.Visible != 0 || s.InFlight != 0 || s.Acked != 1 {
			t.Fatalf("Stats() after ack = %+v, want empty with 1 acked", s)
		}
		// Acking again is harmless.
		f.ack("jobs", m.Receipt)
	})
}

func TestVisibilityTimeoutRedelivers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs", VisibilityTimeout: 30 * time.Second})
		f.sendBodies("jobs", "a")
		first := f.receive("jobs", 1, 30*time.Second)
		wantBodies(t, "first receive", first, "a")
		time.Sleep(29 * time.Second)
		wantBodies(t, "receive before the timeout", f.receive("jobs", 1, 30*time.Second))
		time.Sleep(2 * time.Second)
		second := f.receive("jobs", 1, 30*time.Second)
		wantBodies(t, "receive after the timeout", second, "a")
		if second[0].ReceiveCount != 2 {
			t.Errorf("ReceiveCount = %d, want 2", second[0].ReceiveCount)
		}
		errs, err := f.e.Ack(t.Context(), "jobs", []string{first[0].Receipt})
		if err != nil || !errors.Is(errs[0], sluice.ErrReceiptStale) {
			t.Fatalf("Ack(old receipt) = %v, %v; want ErrReceiptStale", errs, err)
		}
		f.ack("jobs", second[0].Receipt)
	})
}

func TestChangeVisibility(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.sendBodies("jobs", "a", "b")
		msgs := f.receive("jobs", 2, 30*time.Second)
		changes := []sluice.VisibilityChange{{Receipt: msgs[0].Receipt, Timeout: 0}, {Receipt: msgs[1].Receipt, Timeout: 2 * time.Minute}}
		errs, err := f.e.ChangeVisibility(t.Context(), "jobs", changes)
		if err != nil || errs[0] != nil || errs[1] != nil {
			t.Fatalf("ChangeVisibility() = %v, %v", errs, err)
		}
		wantBodies(t, "after nack", f.receive("jobs", 10, time.Hour), "a")
		time.Sleep(90 * time.Second)
		wantBodies(t, "b is still leased after its first timeout", f.receive("jobs", 10, time.Minute))
		time.Sleep(31 * time.Second)
		wantBodies(t, "after the extended lease", f.receive("jobs", 10, time.Minute), "b")

		_, err = f.e.ChangeVisibility(t.Context(), "jobs", []sluice.VisibilityChange{{Receipt: msgs[0].Receipt, Timeout: 13 * time.Hour}})
		var ia *sluice.InvalidArgumentError
		if !errors.As(err, &ia) || ia.Field != "changes[0].timeout" {
			t.Fatalf("ChangeVisibility(13h) = %v, want invalid changes[0].timeout", err)
		}
	})
}

func TestLongPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		wait := 20 * time.Second
		start := time.Now()
		got := make(chan []sluice.Message)
		go func() {
			msgs, err := f.e.Receive(t.Context(), "jobs", sluice.ReceiveOptions{Max: 5, WaitTime: &wait})
			if err != nil {
				t.Errorf("Receive() = %v", err)
			}
			got <- msgs
		}()
		time.Sleep(5 * time.Second)
		f.sendBodies("jobs", "wake")
		msgs := <-got
		wantBodies(t, "long poll", msgs, "wake")
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("long poll returned after %v, want 5s", d)
		}

		start = time.Now()
		msgs, err := f.e.Receive(t.Context(), "jobs", sluice.ReceiveOptions{WaitTime: &wait})
		if err != nil || len(msgs) != 0 {
			t.Fatalf("Receive() on empty queue = %v, %v; want none", msgs, err)
		}
		if d := time.Since(start); d != wait {
			t.Errorf("empty long poll returned after %v, want %v", d, wait)
		}
	})
}

func TestLongPollCancelledReturnsNothingLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		wait := 20 * time.Second
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			_, err := f.e.Receive(ctx, "jobs", sluice.ReceiveOptions{WaitTime: &wait})
			done <- err
		}()
		time.Sleep(time.Second)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Receive() = %v, want context.Canceled", err)
		}
		f.sendBodies("jobs", "x")
		wantBodies(t, "message sent after the cancelled poll", f.receive("jobs", 1, time.Minute), "x")
	})
}

func TestDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "delayed", Delay: 10 * time.Second})
		f.sendBodies("delayed", "queue-delay")
		d := time.Minute
		f.send("delayed", sluice.SendInput{Body: []byte("message-delay"), Delay: &d})
		if s := f.stats("delayed"); s.Delayed != 2 || s.Visible != 0 {
			t.Fatalf("Stats() = %+v, want 2 delayed", s)
		}
		wantBodies(t, "before the delay", f.receive("delayed", 10, time.Hour))
		time.Sleep(10 * time.Second)
		wantBodies(t, "after the queue delay", f.receive("delayed", 10, time.Hour), "queue-delay")
		time.Sleep(50 * time.Second)
		wantBodies(t, "after the message delay", f.receive("delayed", 10, time.Hour), "message-delay")
	})
}

func TestDeadLetterAndRedrive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 3, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs-dlq"})
		f.create(sluice.QueueConfig{Name: "jobs", DeadLetter: &sluice.DeadLetterPolicy{Queue: "jobs-dlq", MaxReceives: 2}})
		f.sendBodies("jobs", "poison")
		for i := range 2 {
			wantBodies(t, fmt.Sprintf("receive %d", i+1), f.receive("jobs", 1, time.Second), "poison")
			time.Sleep(2 * time.Second)
		}
		wantBodies(t, "third receive", f.receive("jobs", 1, time.Second))
		synctest.Wait()
		if s := f.stats("jobs"); s.Visible+s.InFlight+s.Delayed != 0 || s.DeadLettered != 1 {
			t.Fatalf("source Stats() = %+v, want empty with 1 dead-lettered", s)
		}
		dead := f.receive("jobs-dlq", 1, 0)
		wantBodies(t, "dead-letter queue", dead, "poison")
		if dead[0].SourceQueue != "jobs" {
			t.Errorf("SourceQueue = %q, want jobs", dead[0].SourceQueue)
		}
		moved, err := f.e.Redrive(t.Context(), "jobs-dlq", sluice.RedriveOptions{})
		if err != nil || moved != 1 {
			t.Fatalf("Redrive() = %d, %v; want 1", moved, err)
		}
		back := f.receive("jobs", 1, time.Minute)
		wantBodies(t, "after redrive", back, "poison")
		if back[0].ID != dead[0].ID || back[0].ReceiveCount != 1 {
			t.Errorf("redriven message = %+v, want same id and a fresh receive count", back[0])
		}
		f.sendBodies("jobs-dlq", "never dead-lettered")
		if _, err := f.e.Redrive(t.Context(), "jobs-dlq", sluice.RedriveOptions{}); !errors.Is(err, sluice.ErrNotDeadLetterQueue) {
			t.Errorf("Redrive(message without a source) = %v, want ErrNotDeadLetterQueue", err)
		}
		wantBodies(t, "the message redrive refused stays", f.receive("jobs-dlq", 10, time.Minute), "never dead-lettered")
	})
}

func TestFIFOOrderAndGroupBlocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "orders.fifo", ContentBasedDedup: true})
		for _, m := range []struct{ group, body string }{{"a", "a1"}, {"a", "a2"}, {"b", "b1"}, {"a", "a3"}} {
			f.send("orders.fifo", sluice.SendInput{Body: []byte(m.body), GroupID: m.group})
		}
		first := f.receive("orders.fifo", 1, time.Minute)
		wantBodies(t, "first", first, "a1")
		wantBodies(t, "group a is blocked", f.receive("orders.fifo", 10, time.Minute), "b1")
		wantBodies(t, "everything is blocked", f.receive("orders.fifo", 10, time.Minute))
		f.ack("orders.fifo", first[0].Receipt)
		batch := f.receive("orders.fifo", 10, time.Second)
		wantBodies(t, "group a after ack", batch, "a2", "a3")
		time.Sleep(2 * time.Second)
		wantBodies(t, "after the batch's lease expired, in order", f.receive("orders.fifo", 10, time.Minute), "a2", "a3")
	})
}

func TestFIFODeduplication(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "pay.fifo"})
		in := sluice.SendInput{Body: []byte("charge"), GroupID: "g", DedupID: "charge-1"}
		first := f.send("pay.fifo", in)[0]
		again := f.send("pay.fifo", in)[0]
		if !again.Duplicate || again.ID != first.ID {
			t.Fatalf("second Send() = %+v, want a duplicate of %s", again, first.ID)
		}
		if s := f.stats("pay.fifo"); s.Visible != 1 {
			t.Fatalf("Visible = %d, want 1", s.Visible)
		}
		f.restart()
		if again := f.send("pay.fifo", in)[0]; !again.Duplicate {
			t.Fatalf("Send() after restart = %+v, want a duplicate", again)
		}
		time.Sleep(sluice.DedupWindow + 2*time.Second)
		if later := f.send("pay.fifo", in)[0]; later.Duplicate {
			t.Fatalf("Send() after the window = %+v, want accepted", later)
		}
		_, err := f.e.Send(t.Context(), "pay.fifo", []sluice.SendInput{{Body: []byte("x"), GroupID: "g"}})
		var ia *sluice.InvalidArgumentError
		if !errors.As(err, &ia) || ia.Field != "messages[0].dedup_id" {
			t.Fatalf("Send() without dedup id = %v, want invalid messages[0].dedup_id", err)
		}
	})
}

func TestRetentionExpiresMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "short", Retention: time.Minute})
		f.sendBodies("short", "old")
		time.Sleep(30 * time.Second)
		f.sendBodies("short", "new")
		time.Sleep(32 * time.Second)
		s := f.stats("short")
		if s.Visible != 1 || s.Expired != 1 {
			t.Fatalf("Stats() = %+v, want 1 visible and 1 expired", s)
		}
		wantBodies(t, "after expiry", f.receive("short", 10, time.Minute), "new")
	})
}

func TestPurge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.sendBodies("jobs", "a", "b", "c")
		f.receive("jobs", 1, time.Minute)
		n, err := f.e.PurgeQueue(t.Context(), "jobs")
		if err != nil || n != 3 {
			t.Fatalf("PurgeQueue() = %d, %v; want 3", n, err)
		}
		f.restart()
		if s := f.stats("jobs"); s.Visible+s.InFlight+s.Delayed != 0 {
			t.Fatalf("Stats() after purge and restart = %+v, want empty", s)
		}
	})
}

func TestReceipts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.create(sluice.QueueConfig{Name: "other"})
		f.sendBodies("jobs", "a")
		m := f.receive("jobs", 1, time.Minute)[0]
		forged := m.Receipt[:31] + "A"
		if forged == m.Receipt {
			forged = m.Receipt[:31] + "B"
		}
		for _, tc := range []struct {
			name, queue, receipt string
			want                 error
		}{
			{"garbage", "jobs", "not-a-receipt", sluice.ErrReceiptInvalid},
			{"other queue", "other", m.Receipt, sluice.ErrReceiptInvalid},
			{"forged nonce", "jobs", forged, sluice.ErrReceiptStale},
		} {
			errs, err := f.e.Ack(t.Context(), tc.queue, []string{tc.receipt})
			if err != nil || !errors.Is(errs[0], tc.want) {
				t.Errorf("%s: Ack() = %v, %v; want %v", tc.name, errs, err, tc.want)
			}
		}
		if _, err := f.e.Ack(t.Context(), "missing", []string{m.Receipt}); !errors.Is(err, sluice.ErrQueueNotFound) {
			t.Errorf("Ack(missing queue) = %v, want ErrQueueNotFound", err)
		}
		if s := f.stats("jobs"); s.InFlight != 1 {
			t.Errorf("InFlight = %d after bad acks, want 1", s.InFlight)
		}
	})
}

func TestTenantsAreServedRoundRobin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "shared"})
		var big []sluice.SendInput
		for i := range 100 {
			big = append(big, sluice.SendInput{Body: []byte(fmt.Sprint("big-", i)), Tenant: "big"})
		}
		f.send("shared", big...)
		f.send("shared", sluice.SendInput{Body: []byte("small-0"), Tenant: "small"})
		msgs := f.receive("shared", 2, time.Minute)
		wantBodies(t, "first two deliveries", msgs, "big-0", "small-0")
	})
}

func TestValidationWritesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{Limits: sluice.Limits{MaxMessageSize: 100}})
		f.create(sluice.QueueConfig{Name: "jobs"})
		tooMany := map[string]sluice.Attribute{}
		for i := range 11 {
			tooMany[fmt.Sprint("a", i)] = sluice.Attribute{Type: "String", String: "v"}
		}
		for _, tc := range []struct {
			name  string
			in    sluice.SendInput
			field string
		}{
			{"oversized body", sluice.SendInput{Body: make([]byte, 101)}, "messages[1].body"},
			{"too many attributes", sluice.SendInput{Body: []byte("x"), Attributes: tooMany}, "messages[1].attributes"},
			{"bad attribute type", sluice.SendInput{Body: []byte("x"), Attributes: map[string]sluice.Attribute{"a": {Type: "Integer", String: "1"}}}, "messages[1].attributes.a.type"},
			{"bad number", sluice.SendInput{Body: []byte("x"), Attributes: map[string]sluice.Attribute{"a": {Type: "Number", String: "1x"}}}, "messages[1].attributes.a"},
			{"reserved name", sluice.SendInput{Body: []byte("x"), Attributes: map[string]sluice.Attribute{"AWS.x": {Type: "String", String: "1"}}}, "messages[1].attributes.AWS.x"},
			{"dedup on standard", sluice.SendInput{Body: []byte("x"), DedupID: "d"}, "messages[1].dedup_id"},
		} {
			_, err := f.e.Send(t.Context(), "jobs", []sluice.SendInput{{Body: []byte("ok")}, tc.in})
			var ia *sluice.InvalidArgumentError
			var le *sluice.LimitError
			field := ""
			switch {
			case errors.As(err, &ia):
				field = ia.Field
			case errors.As(err, &le):
				field = le.Field
			}
			if field != tc.field {
				t.Errorf("%s: Send() = %v (field %q), want an error for %q", tc.name, err, field, tc.field)
			}
		}
		if s := f.stats("jobs"); s.Visible != 0 {
			t.Fatalf("Visible = %d after rejected batches, want 0", s.Visible)
		}
		for _, tc := range []struct {
			cfg   sluice.QueueConfig
			field string
		}{
			{sluice.QueueConfig{Name: "bad name"}, "name"},
			{sluice.QueueConfig{Name: ""}, "name"},
			{sluice.QueueConfig{Name: "x", Type: sluice.FIFO}, "name"},
			{sluice.QueueConfig{Name: "x", Delay: 16 * time.Minute}, "delay"},
			{sluice.QueueConfig{Name: "x", Retention: time.Second}, "retention"},
			{sluice.QueueConfig{Name: "x", DeadLetter: &sluice.DeadLetterPolicy{Queue: "nope", MaxReceives: 3}}, "dead_letter.queue"},
			{sluice.QueueConfig{Name: "x", DeadLetter: &sluice.DeadLetterPolicy{Queue: "jobs", MaxReceives: 0}}, "dead_letter.max_receives"},
		} {
			_, _, err := f.e.CreateQueue(t.Context(), tc.cfg)
			var ia *sluice.InvalidArgumentError
			if !errors.As(err, &ia) || ia.Field != tc.field {
				t.Errorf("CreateQueue(%+v) = %v, want invalid %s", tc.cfg, err, tc.field)
			}
		}
		if qs, _ := f.e.ListQueues(t.Context(), "", "", 0); len(qs) != 1 {
			t.Errorf("ListQueues() = %d queues after rejected creates, want 1", len(qs))
		}
	})
}

func TestQueueLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 4, engine.Options{})
		for _, n := range []string{"b", "a", "c", "ab"} {
			f.create(sluice.QueueConfig{Name: n, Tags: map[string]string{"team": "x"}})
		}
		if _, created, err := f.e.CreateQueue(t.Context(), sluice.QueueConfig{Name: "a", Tags: map[string]string{"team": "x"}}); err != nil || created {
			t.Fatalf("CreateQueue(same) = %v, %v; want existing", created, err)
		}
		if _, _, err := f.e.CreateQueue(t.Context(), sluice.QueueConfig{Name: "a", Delay: time.Second}); !errors.Is(err, sluice.ErrQueueExists) {
			t.Fatalf("CreateQueue(different) = %v, want ErrQueueExists", err)
		}
		qs, err := f.e.ListQueues(t.Context(), "a", "", 10)
		if err != nil || len(qs) != 2 || qs[0].Name != "a" || qs[1].Name != "ab" {
			t.Fatalf("ListQueues(a) = %v, %v", qs, err)
		}
		page, _ := f.e.ListQueues(t.Context(), "", "ab", 1)
		if len(page) != 1 || page[0].Name != "b" {
			t.Fatalf("ListQueues(after ab, 1) = %v, want b", page)
		}
		vt := 45 * time.Second
		q, err := f.e.UpdateQueue(t.Context(), "a", sluice.QueueUpdate{VisibilityTimeout: &vt})
		if err != nil || q.VisibilityTimeout != vt {
			t.Fatalf("UpdateQueue() = %+v, %v", q, err)
		}
		if err := f.e.TagQueue(t.Context(), "a", map[string]string{"env": "prod"}); err != nil {
			t.Fatal(err)
		}
		if err := f.e.UntagQueue(t.Context(), "a", []string{"team"}); err != nil {
			t.Fatal(err)
		}
		if err := f.e.DeleteQueue(t.Context(), "c"); err != nil {
			t.Fatal(err)
		}
		f.restart()
		q, err = f.e.GetQueue(t.Context(), "a")
		if err != nil || q.VisibilityTimeout != vt || len(q.Tags) != 1 || q.Tags["env"] != "prod" {
			t.Fatalf("GetQueue(a) after restart = %+v, %v", q, err)
		}
		if _, err := f.e.GetQueue(t.Context(), "c"); !errors.Is(err, sluice.ErrQueueNotFound) {
			t.Fatalf("GetQueue(deleted) = %v, want ErrQueueNotFound", err)
		}
	})
}

func TestRecoveryRebuildsState(t *testing.T) {
	for _, snapshots := range []bool{false, true} {
		t.Run(fmt.Sprint("snapshots=", snapshots), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := engine.Options{}
				if snapshots {
					opts.SnapshotMinBytes = 1 // snapshot whenever the log outgrows the state
				}
				f := setup(t, 2, opts)
				f.create(sluice.QueueConfig{Name: "jobs"})
				f.create(sluice.QueueConfig{Name: "later", Delay: time.Minute})
				for i := range 50 {
					f.sendBodies("jobs", fmt.Sprint("m", i))
				}
				f.sendBodies("later", "delayed")
				leased := f.receive("jobs", 10, 10*time.Minute)
				f.ack("jobs", leased[0].Receipt, leased[1].Receipt)
				synctest.Wait()
				f.restart()
				if s := f.stats("jobs"); s.Visible != 40 || s.InFlight != 8 {
					t.Fatalf("Stats(jobs) after restart = %+v, want 40 visible, 8 in flight", s)
				}
				if s := f.stats("later"); s.Delayed != 1 {
					t.Fatalf("Stats(later) after restart = %+v, want 1 delayed", s)
				}
				// Receipts survive the restart.
				f.ack("jobs", leased[2].Receipt)
				if s := f.stats("jobs"); s.InFlight != 7 {
					t.Fatalf("InFlight = %d after acking a pre-restart receipt, want 7", s.InFlight)
				}
				// And sequence numbers continue.
				if r := f.send("jobs", sluice.SendInput{Body: []byte("next")}); r[0].Sequence != 51 {
					t.Fatalf("Sequence after restart = %d, want 51", r[0].Sequence)
				}
			})
		})
	}
}

func TestJournalFailureStopsWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.journals[0].FailWith(errors.New("disk on fire"))
		if _, err := f.e.Send(t.Context(), "jobs", []sluice.SendInput{{Body: []byte("x")}}); !errors.Is(err, sluice.ErrUnavailable) {
			t.Fatalf("Send() after journal failure = %v, want ErrUnavailable", err)
		}
		if err := f.e.Ready(); !errors.Is(err, sluice.ErrUnavailable) {
			t.Fatalf("Ready() = %v, want ErrUnavailable", err)
		}
		if _, err := f.e.Send(t.Context(), "jobs", []sluice.SendInput{{Body: []byte("y")}}); !errors.Is(err, sluice.ErrUnavailable) {
			t.Fatalf("second Send() = %v, want ErrUnavailable", err)
		}
	})
}

func TestDeadLetterQueueInUseCannotBeDeleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 3, engine.Options{})
		f.create(sluice.QueueConfig{Name: "dlq"})
		f.create(sluice.QueueConfig{Name: "jobs", DeadLetter: &sluice.DeadLetterPolicy{Queue: "dlq", MaxReceives: 3}})
		if err := f.e.DeleteQueue(t.Context(), "dlq"); !errors.Is(err, sluice.ErrQueueInUse) {
			t.Fatalf("DeleteQueue(dlq in use) = %v, want ErrQueueInUse", err)
		}
		empty := sluice.DeadLetterPolicy{}
		if _, err := f.e.UpdateQueue(t.Context(), "jobs", sluice.QueueUpdate{DeadLetter: &empty}); err != nil {
			t.Fatalf("UpdateQueue(remove dead letter) = %v", err)
		}
		if err := f.e.DeleteQueue(t.Context(), "dlq"); err != nil {
			t.Fatalf("DeleteQueue(dlq no longer used) = %v", err)
		}
	})
}

// With the messageGroup scope a FIFO queue deduplicates within each group:
// the same id in two groups is two messages, and a restart keeps the scope.
func TestDedupScopePerGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		ctx := t.Context()
		if _, _, err := f.e.CreateQueue(ctx, sluice.QueueConfig{Name: "g.fifo", DedupScope: sluice.DedupPerGroup}); err != nil {
			t.Fatal(err)
		}
		send := func(group string) sluice.SendResult {
			t.Helper()
			res, err := f.e.Send(ctx, "g.fifo", []sluice.SendInput{{Body: []byte("x"), GroupID: group, DedupID: "same", TraceHeader: "Root=1-abc"}})
			if err != nil {
				t.Fatalf("Send() = %v", err)
			}
			return res[0]
		}
		a, b := send("a"), send("b")
		if a.Duplicate || b.Duplicate || a.ID == b.ID {
			t.Fatalf("sends to two groups = %+v, %+v; want two messages", a, b)
		}
		f.restart()
		if again := send("a"); !again.Duplicate || again.ID != a.ID {
			t.Fatalf("resend to group a after restart = %+v, want a duplicate of %s", again, a.ID)
		}
		msgs, err := f.e.Receive(ctx, "g.fifo", sluice.ReceiveOptions{Max: 10})
		if err != nil || len(msgs) != 2 {
			t.Fatalf("Receive() = %d messages, %v; want 2", len(msgs), err)
		}
		if msgs[0].TraceHeader != "Root=1-abc" {
			t.Errorf("TraceHeader = %q, want it kept across a restart", msgs[0].TraceHeader)
		}
		if _, err := f.e.UpdateQueue(ctx, "g.fifo", sluice.QueueUpdate{ThroughputLimit: ptr("perMessageGroupId")}); err != nil {
			t.Errorf("UpdateQueue(perMessageGroupId) = %v", err)
		}
		if _, err := f.e.UpdateQueue(ctx, "g.fifo", sluice.QueueUpdate{DedupScope: ptr("queue")}); err == nil {
			t.Error("UpdateQueue(scope queue with perMessageGroupId) succeeded, want an error")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// A topic's stored SNS attributes are journaled and survive a restart.
func TestUpdateTopic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		ctx := t.Context()
		if _, _, err := f.e.CreateTopic(ctx, sluice.TopicConfig{Name: "t.fifo", DisplayName: "Orders"}); err != nil {
			t.Fatal(err)
		}
		policy := `{"Version":"2012-10-17","Statement":[]}`
		if _, err := f.e.UpdateTopic(ctx, "t.fifo", sluice.TopicUpdate{Policy: &policy, ContentBasedDedup: ptr(true), DeliveryPolicy: ptr(`{"http":{}}`)}); err != nil {
			t.Fatalf("UpdateTopic = %v", err)
		}
		if _, err := f.e.UpdateTopic(ctx, "t.fifo", sluice.TopicUpdate{Policy: ptr("{")}); err == nil {
			t.Error("UpdateTopic(invalid policy) succeeded")
		}
		f.restart()
		got, err := f.e.GetTopic(ctx, "t.fifo")
		if err != nil || got.DisplayName != "Orders" || got.Policy != policy || !got.ContentBasedDedup || got.DeliveryPolicy != `{"http":{}}` {
			t.Errorf("topic after restart = %+v, %v", got, err)
		}
	})
}
