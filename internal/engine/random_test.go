package engine

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
)

// randomSeeds is how many runs TestRandomOperations makes; raise it for a
// longer search, e.g. go test -run RandomOperations ./internal/engine -args -random-seeds=5000.
var randomSeeds = flag.Int("random-seeds", 40, "seeds TestRandomOperations runs")

// TestRandomOperations drives standard and FIFO queues with random sends,
// receives, acks, nacks, purges, redrives, time passing and restarts, and
// checks after every step that the indexes agree with the messages, that a
// queue reporting visible messages delivers one, and that nothing acked
// comes back.
func TestRandomOperations(t *testing.T) {
	for seed := range uint64(*randomSeeds) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { randomRun(t, seed) })
		})
	}
}

type randomHarness struct {
	t        *testing.T
	e        *Engine
	journals []*memjournal.Journal
	cancel   context.CancelFunc
	done     chan struct{}
	snapshot int64
}

func (h *randomHarness) start() {
	js := make([]journal.Journal, len(h.journals))
	for i, j := range h.journals {
		js[i] = j
	}
	e, err := Open(h.t.Context(), Options{Journals: js, SnapshotMinBytes: h.snapshot})
	if err != nil {
		h.t.Fatalf("Open() = %v", err)
	}
	ctx, cancel := context.WithCancel(h.t.Context())
	h.e, h.cancel, h.done = e, cancel, make(chan struct{})
	go func() { e.Run(ctx); close(h.done) }()
}

func (h *randomHarness) stop() {
	h.cancel()
	<-h.done
}

func (h *randomHarness) check(step int, what string) {
	h.t.Helper()
	synctest.Wait()
	for _, p := range h.e.partitions {
		err, _ := call(h.t.Context(), p, func(reply func(error, error)) { reply(p.checkInvariants(), nil) })
		if err != nil {
			h.t.Fatalf("step %d (%s): %v", step, what, err)
		}
	}
}

// deliverable reports whether q has a message a receive must return: any
// visible message of a standard queue, or an available group of a FIFO one
// (ready messages behind an in-flight one of their group must wait).
func (h *randomHarness) deliverable(name string) bool {
	p := h.e.partitionFor(name)
	ok, _ := call(h.t.Context(), p, func(reply func(bool, error)) {
		q := p.queues[name]
		if q.fifo {
			reply(q.groups.cursor != nil, nil)
			return
		}
		reply(q.ready.servable(p.now()), nil)
	})
	return ok
}

// randomPolicy sets a random tier or tenant setting: weights, rate limits
// and in-flight caps, server-wide or on the standard queue.
func (h *randomHarness) randomPolicy(rng *rand.Rand) {
	ctx := h.t.Context()
	pol := sluice.TenantPolicy{Weight: float64(rng.IntN(4))}
	if rng.IntN(2) == 0 {
		pol.Rate, pol.Burst = float64(rng.IntN(3)), rng.IntN(3)
	}
	if rng.IntN(2) == 0 {
		pol.MaxInFlight = rng.IntN(4)
	}
	tiers := []string{sluice.DefaultTier, "free", "pro"}
	if rng.IntN(3) == 0 {
		if _, err := h.e.SetTier(ctx, sluice.Tier{Name: tiers[rng.IntN(3)], Policy: pol}); err != nil {
			h.t.Fatalf("SetTier() = %v", err)
		}
		return
	}
	c := sluice.TenantConfig{Tenant: fmt.Sprint("t", rng.IntN(3)), Policy: pol}
	if rng.IntN(2) == 0 {
		c.Queue = "std"
	}
	if ts, _ := h.e.Tiers(ctx); len(ts) > 0 && rng.IntN(2) == 0 {
		c.Tier = ts[rng.IntN(len(ts))].Name
	}
	if _, err := h.e.SetTenant(ctx, c); err != nil {
		h.t.Fatalf("SetTenant(%+v) = %v", c, err)
	}
}

// settings returns every tier and tenant setting, printed.
func (h *randomHarness) settings() string {
	ctx := h.t.Context()
	tiers, _ := h.e.Tiers(ctx)
	global, _ := h.e.TenantConfigs(ctx, "")
	std, _ := h.e.TenantConfigs(ctx, "std")
	return fmt.Sprintf("tiers %+v\nserver-wide %+v\nstd %+v", tiers, global, std)
}

// inFlightByTenant returns each tenant's messages in flight in a queue.
func (h *randomHarness) inFlightByTenant(queue string) map[string]int {
	stats, err := h.e.TenantStats(h.t.Context(), queue)
	if err != nil {
		h.t.Fatalf("TenantStats() = %v", err)
	}
	out := map[string]int{}
	for _, s := range stats {
		out[s.Tenant] = s.InFlight
	}
	return out
}

// checkCaps fails if a receive took a tenant of a standard queue over its
// in-flight cap.
func (h *randomHarness) checkCaps(step int, queue string, before map[string]int, msgs []sluice.Message) {
	if strings.HasSuffix(queue, ".fifo") {
		return
	}
	got := map[string]int{}
	for _, m := range msgs {
		got[m.Tenant]++
	}
	for tenant, n := range got {
		st, err := h.e.Tenant(h.t.Context(), queue, tenant)
		if err != nil {
			h.t.Fatal(err)
		}
		if c := st.Policy.MaxInFlight; c > 0 && before[tenant]+n > max(c, before[tenant]) {
			h.t.Fatalf("step %d: tenant %q had %d in flight, got %d more, cap %d", step, tenant, before[tenant], n, c)
		}
	}
}

func randomRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	h := &randomHarness{t: t, journals: []*memjournal.Journal{memjournal.New(), memjournal.New()}}
	if seed%2 == 1 {
		h.snapshot = 1 // snapshot as often as the rule allows
	}
	h.start()
	defer func() { h.stop() }()
	ctx := t.Context()
	queues := []string{"std", "std-dlq", "q.fifo", "q-dlq.fifo", "jobs", "jobs.fifo"}
	for _, cfg := range []sluice.QueueConfig{
		{Name: "std-dlq"}, {Name: "q-dlq.fifo", DedupScope: sluice.DedupPerGroup, ThroughputLimit: "perMessageGroupId"},
		{Name: "std", DeadLetter: &sluice.DeadLetterPolicy{Queue: "std-dlq", MaxReceives: 3}},
		{Name: "q.fifo", ContentBasedDedup: true, DeadLetter: &sluice.DeadLetterPolicy{Queue: "q-dlq.fifo", MaxReceives: 3}},
		{Name: "jobs", DeadLetter: &sluice.DeadLetterPolicy{Queue: "std-dlq", MaxReceives: 9},
			Tasks: &sluice.TaskPolicy{MaxAttempts: 3, MinBackoff: time.Second, MaxBackoff: 8 * time.Second, Retention: time.Minute}},
		{Name: "jobs.fifo", ContentBasedDedup: true, Tasks: &sluice.TaskPolicy{MaxAttempts: 2, MinBackoff: 2 * time.Second, Retention: time.Minute}},
	} {
		if _, _, err := h.e.CreateQueue(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := h.e.CreateTopic(ctx, sluice.TopicConfig{Name: "events", DisplayName: "Events", Policy: `{"Statement":[]}`}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.e.CreateTopic(ctx, sluice.TopicConfig{Name: "events.fifo"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []sluice.Subscription{
		{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "std", Raw: true},
		{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "std-dlq", FilterPolicy: `{"n":[{"numeric":[">",3]}]}`},
		{Topic: "events.fifo", Protocol: sluice.ProtocolQueue, Endpoint: "q.fifo", Raw: true},
	} {
		if _, err := h.e.Subscribe(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	type held struct {
		queue   string
		receipt string
		id      string
	}
	var leases []held
	acked := map[string]bool{} // message ids whose ack was confirmed
	n := 0
	for step := range 400 {
		q := queues[rng.IntN(len(queues))]
		zero := time.Duration(0)
		what := ""
		switch r := rng.IntN(100); {
		case r < 30:
			what = "send"
			var in []sluice.SendInput
			for range 1 + rng.IntN(5) {
				n++
				m := sluice.SendInput{Body: []byte(fmt.Sprint("m", n)), Tenant: fmt.Sprint("t", rng.IntN(3))}
				if rng.IntN(3) == 0 {
					m.TraceHeader = fmt.Sprint("Root=1-", n)
				}
				if strings.HasSuffix(q, ".fifo") {
					m.GroupID = fmt.Sprint("g", rng.IntN(3))
					m.DedupID = fmt.Sprint("d", n)
					m.Tenant = ""
				} else if rng.IntN(4) == 0 {
					d := time.Duration(rng.IntN(20)) * time.Second
					m.Delay = &d
				}
				in = append(in, m)
			}
			if _, err := h.e.Send(ctx, q, in); err != nil {
				t.Fatalf("step %d: Send() = %v", step, err)
			}
		case r < 55:
			what = "receive"
			vis := time.Duration(1+rng.IntN(30)) * time.Second
			before, _ := h.e.Stats(ctx, q)
			deliverable := h.deliverable(q)
			holding := h.inFlightByTenant(q)
			msgs, err := h.e.Receive(ctx, q, sluice.ReceiveOptions{Max: 1 + rng.IntN(4), VisibilityTimeout: &vis, WaitTime: &zero, Worker: fmt.Sprint("w", step)})
			if err != nil {
				t.Fatalf("step %d: Receive() = %v", step, err)
			}
			h.checkCaps(step, q, holding, msgs)
			if deliverable && len(msgs) == 0 {
				synctest.Wait()
				after, _ := h.e.Stats(ctx, q)
				if after.DeadLettered == before.DeadLettered {
					t.Fatalf("step %d: %s has deliverable messages (%d visible) but Receive() returned nothing", step, q, before.Visible)
				}
			}
			for _, m := range msgs {
				if acked[m.ID] && m.SourceQueue == "" {
					t.Fatalf("step %d: acked message %s delivered again", step, m.ID)
				}
				leases = append(leases, held{q, m.Receipt, m.ID})
			}
		case r < 75 && len(leases) > 0:
			what = "ack"
			i := rng.IntN(len(leases))
			l := leases[i]
			leases = append(leases[:i], leases[i+1:]...)
			msgs := []string{l.receipt}
			errs, err := h.e.Ack(ctx, l.queue, msgs)
			if err != nil {
				t.Fatalf("step %d: Ack() = %v", step, err)
			}
			// Stale receipts are expected after redelivery, and acking a
			// message that is gone succeeds.
			_ = errs
		case r < 80 && len(leases) > 0 && strings.HasPrefix(leases[0].queue, "jobs"):
			l := leases[0]
			leases = leases[1:]
			if rng.IntN(2) == 0 {
				what = "complete"
				if _, err := h.e.CompleteTask(ctx, l.queue, l.receipt, []byte("ok")); err == nil {
					acked[l.id] = true
				} else if !errors.Is(err, sluice.ErrReceiptStale) {
					t.Fatalf("step %d: CompleteTask() = %v", step, err)
				}
			} else {
				what = "fail"
				_, err := h.e.FailTask(ctx, l.queue, l.receipt, sluice.TaskFailure{Error: "e", Permanent: rng.IntN(5) == 0})
				if err != nil && !errors.Is(err, sluice.ErrReceiptStale) {
					t.Fatalf("step %d: FailTask() = %v", step, err)
				}
			}
		case r < 82 && len(leases) > 0:
			what = "nack"
			i := rng.IntN(len(leases))
			l := leases[i]
			h.e.ChangeVisibility(ctx, l.queue, []sluice.VisibilityChange{{Receipt: l.receipt, Timeout: time.Duration(rng.IntN(3)) * time.Second}})
		case r < 86:
			what = "publish"
			n++
			attrs := map[string]sluice.Attribute{"n": {Type: "Number", String: fmt.Sprint(rng.IntN(6))}}
			if _, err := h.e.Publish(ctx, "events", []sluice.PublishInput{{Body: []byte(fmt.Sprint("p", n)), Attributes: attrs}}); err != nil {
				t.Fatalf("step %d: Publish() = %v", step, err)
			}
			if _, err := h.e.Publish(ctx, "events.fifo", []sluice.PublishInput{{Body: []byte(fmt.Sprint("p", n)), GroupID: fmt.Sprint("g", rng.IntN(3)), DedupID: fmt.Sprint("pd", n)}}); err != nil {
				t.Fatalf("step %d: Publish(fifo) = %v", step, err)
			}
		case r < 90:
			what = "sleep"
			time.Sleep(time.Duration(rng.IntN(15)) * time.Second)
		case r < 93:
			what = "redrive"
			src := "std-dlq"
			if rng.IntN(2) == 0 {
				src = "q-dlq.fifo"
			}
			h.e.Redrive(ctx, src, sluice.RedriveOptions{Max: rng.IntN(3)})
		case r < 95:
			what = "purge"
			if _, err := h.e.PurgeQueue(ctx, q); err != nil {
				t.Fatal(err)
			}
		case r < 96:
			what = "peek"
			before, _ := h.e.Stats(ctx, q)
			msgs, err := h.e.Peek(ctx, q, 10)
			if err != nil {
				t.Fatalf("step %d: Peek() = %v", step, err)
			}
			after, _ := h.e.Stats(ctx, q)
			if before != after {
				t.Fatalf("step %d: Peek() changed %s's stats from %+v to %+v", step, q, before, after)
			}
			if want := min(10, before.Visible+before.InFlight+before.Delayed); len(msgs) != want {
				t.Fatalf("step %d: Peek(%s, 10) = %d messages, want %d", step, q, len(msgs), want)
			}
			all, err := h.e.QueueMetrics(ctx)
			if err != nil {
				t.Fatalf("step %d: QueueMetrics() = %v", step, err)
			}
			for _, m := range all {
				if m.Name == q && (m.QueueStats != after || m.AckLatency.Count > m.Acked) {
					t.Fatalf("step %d: QueueMetrics() of %s = %+v (%d ack latencies), want the stats %+v", step, q, m.QueueStats, m.AckLatency.Count, after)
				}
			}
			if one, err := h.e.QueueMetricsOf(ctx, q); err != nil || one.QueueStats != after {
				t.Fatalf("step %d: QueueMetricsOf(%s) = %+v, %v; want the stats %+v", step, q, one.QueueStats, err, after)
			}
		case r < 97:
			what = "tenant policy"
			h.randomPolicy(rng)
		default:
			what = "restart"
			synctest.Wait()
			before := h.settings()
			h.stop()
			for i, j := range h.journals {
				h.journals[i] = j.Reopen()
			}
			h.start()
			if after := h.settings(); after != before {
				t.Fatalf("step %d: tenant settings before restart:\n%s\nafter:\n%s", step, before, after)
			}
		}
		h.check(step, what)
		for id := range acked {
			for _, q := range []string{"jobs", "jobs.fifo"} {
				if st, err := h.e.TaskStatus(ctx, q, id); err == nil && st.State != sluice.TaskSucceeded {
					t.Fatalf("step %d (%s): completed task %s is %s", step, what, id, st.State)
				}
			}
		}
	}
}

// TestFailedMoveKeepsMessage deletes a dead-letter queue its source still
// names (as SQS's DeleteQueue may), so that dead-lettering fails, and checks
// that the message stays in its FIFO group and is delivered again.
func TestFailedMoveKeepsMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &randomHarness{t: t, journals: []*memjournal.Journal{memjournal.New()}}
		h.start()
		defer h.stop()
		ctx := t.Context()
		for _, cfg := range []sluice.QueueConfig{
			{Name: "gone.fifo"},
			{Name: "src.fifo", ContentBasedDedup: true, DeadLetter: &sluice.DeadLetterPolicy{Queue: "gone.fifo", MaxReceives: 1}},
		} {
			if _, _, err := h.e.CreateQueue(ctx, cfg); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.e.DeleteQueue(ctx, "gone.fifo"); !errors.Is(err, sluice.ErrQueueInUse) {
			t.Fatalf("DeleteQueue(a dead-letter queue) = %v, want ErrQueueInUse", err)
		}
		if err := h.e.DeleteQueueInUse(ctx, "gone.fifo"); err != nil {
			t.Fatalf("DeleteQueueInUse() = %v", err)
		}
		if _, err := h.e.Send(ctx, "src.fifo", []sluice.SendInput{{Body: []byte("x"), GroupID: "g"}}); err != nil {
			t.Fatal(err)
		}
		vis, zero := time.Second, time.Duration(0)
		opts := sluice.ReceiveOptions{VisibilityTimeout: &vis, WaitTime: &zero}
		if msgs, _ := h.e.Receive(ctx, "src.fifo", opts); len(msgs) != 1 {
			t.Fatalf("first Receive() = %d messages, want 1", len(msgs))
		}
		time.Sleep(2 * time.Second)
		// Over the receive limit: the move to the missing queue fails.
		h.e.Receive(ctx, "src.fifo", opts)
		h.check(0, "after the failed move")
		msgs, err := h.e.Receive(ctx, "src.fifo", opts)
		if err != nil || len(msgs) != 1 || string(msgs[0].Body) != "x" {
			t.Fatalf("Receive() after the failed move = %v, %v; want the message again", msgs, err)
		}
		h.check(1, "after delivery")
	})
}
