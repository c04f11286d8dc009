package main_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// The crash test's queues and load.
const (
	crashStd       = "crash"
	crashFIFO      = "crash.fifo"
	crashRounds    = 5
	crashSenders   = 3 // per queue; on the FIFO queue each owns one group
	crashConsumers = 2 // per queue
	crashVisible   = 2 * time.Second
)

// delivery is one receipt of a message by a consumer.
type delivery struct {
	body  string
	start time.Time // when the receive that returned it was sent
	order int64     // position among all recorded deliveries
}

// ledger records what the test knows to be true: sends and acks the
// server confirmed, and every delivery.
type ledger struct {
	mu         sync.Mutex
	sent       map[string]time.Time // body -> when its send was confirmed
	acked      map[string]time.Time // body -> when its ack was confirmed
	deliveries []delivery

	ackErrors    int // acks that failed, for diagnosis
	lastAckError error
}

func (l *ledger) ackFailed(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ackErrors++
	l.lastAckError = err
}

func (l *ledger) confirmSent(bodies []string) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range bodies {
		l.sent[b] = now
	}
}

func (l *ledger) confirmAcked(body string) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.acked[body]; !ok {
		l.acked[body] = now
	}
}

func (l *ledger) delivered(msgs []sluice.Message, start time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range msgs {
		l.deliveries = append(l.deliveries, delivery{body: string(m.Body), start: start, order: int64(len(l.deliveries))})
	}
}

// TestCrashLosesNothingConfirmed runs rounds of load against the real
// binary, killing it with SIGKILL at a random moment in each, then drains
// the queues and checks that every confirmed send was delivered, that no
// message came back after its ack was confirmed, and that FIFO groups
// delivered their confirmed messages in order.
func TestCrashLosesNothingConfirmed(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	dir := t.TempDir()
	led := &ledger{sent: map[string]time.Time{}, acked: map[string]time.Time{}}
	seqs := make([]int, 2*crashSenders) // next sequence of each sender, across rounds
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))

	for round := range crashRounds {
		srv := startServe(t, dir)
		if round == 0 {
			createCrashQueues(t, srv.Client)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for s := range crashSenders {
			wg.Go(func() { sendLoop(ctx, srv.Client, led, crashStd, "", s, &seqs[s]) })
			wg.Go(func() {
				sendLoop(ctx, srv.Client, led, crashFIFO, "g"+strconv.Itoa(s), s, &seqs[crashSenders+s])
			})
		}
		for range crashConsumers {
			wg.Go(func() { consumeLoop(ctx, srv.Client, led, crashStd) })
			wg.Go(func() { consumeLoop(ctx, srv.Client, led, crashFIFO) })
		}
		lifetime := time.Duration(300+rng.IntN(700)) * time.Millisecond
		time.Sleep(lifetime) // the load runs for a random time before the crash
		srv.kill(t)
		cancel()
		wg.Wait()
		led.mu.Lock()
		t.Logf("round %d: killed after %v; so far %d sends and %d acks confirmed, %d deliveries",
			round, lifetime, len(led.sent), len(led.acked), len(led.deliveries))
		led.mu.Unlock()
	}

	srv := startServe(t, dir)
	drain(t, srv.Client, led)
	if code := srv.terminate(t, 15*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
	checkLedger(t, led)
}

func createCrashQueues(t *testing.T, cl *client.Client) {
	t.Helper()
	for _, cfg := range []sluice.QueueConfig{
		{Name: crashStd, VisibilityTimeout: crashVisible},
		{Name: crashFIFO, VisibilityTimeout: crashVisible},
	} {
		if _, err := cl.CreateQueue(t.Context(), cfg); err != nil {
			t.Fatalf("CreateQueue(%s) = %v", cfg.Name, err)
		}
	}
}

// sendLoop sends batches of 1 to 5 messages named queue-sender-seq until
// ctx is done, recording each batch once the server confirms it. FIFO
// sends go to group with their body as dedup id.
func sendLoop(ctx context.Context, cl *client.Client, led *ledger, queue, group string, sender int, seq *int) {
	for ctx.Err() == nil {
		n := 1 + *seq%5
		in := make([]sluice.SendInput, n)
		bodies := make([]string, n)
		for i := range in {
			bodies[i] = fmt.Sprintf("%s-%d-%d", queue, sender, *seq+i)
			in[i] = sluice.SendInput{Body: []byte(bodies[i]), GroupID: group}
			if group != "" {
				in[i].DedupID = bodies[i]
			}
		}
		*seq += n // never reused: a failed send may still have landed
		if _, err := cl.SendBatch(ctx, queue, in); err != nil {
			backoff(ctx)
			continue
		}
		led.confirmSent(bodies)
	}
}

// consumeLoop receives and acknowledges until ctx is done, recording every
// delivery and every ack the server confirms.
func consumeLoop(ctx context.Context, cl *client.Client, led *ledger, queue string) {
	wait := 200 * time.Millisecond
	for ctx.Err() == nil {
		if _, err := receiveAndAck(ctx, cl, led, queue, &wait); err != nil {
			backoff(ctx)
		}
	}
}

// receiveAndAck does one receive and acks what it got. It returns how
// many messages the receive returned, or the error that stopped it.
func receiveAndAck(ctx context.Context, cl *client.Client, led *ledger, queue string, wait *time.Duration) (int, error) {
	start := time.Now()
	msgs, err := cl.Receive(ctx, queue, sluice.ReceiveOptions{Max: 10, WaitTime: wait})
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	led.delivered(msgs, start)
	receipts := make([]string, len(msgs))
	for i, m := range msgs {
		receipts[i] = m.Receipt
	}
	results, err := cl.AckBatch(ctx, queue, receipts)
	if err != nil {
		led.ackFailed(err)
		return len(msgs), err
	}
	for i, err := range results {
		if err == nil {
			led.confirmAcked(string(msgs[i].Body))
		} else {
			led.ackFailed(err)
		}
	}
	return len(msgs), nil
}

// backoff pauses briefly after a failed request so that a dead server is
// not hammered; it returns early when ctx is done.
func backoff(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Millisecond):
	}
}

// drain receives and acks until every confirmed send has been delivered
// and both queues are empty, for at most 30 seconds.
func drain(t *testing.T, cl *client.Client, led *ledger) {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(30 * time.Second)
	wait := 100 * time.Millisecond
	for time.Now().Before(deadline) {
		for _, q := range []string{crashStd, crashFIFO} {
			for time.Now().Before(deadline) {
				n, err := receiveAndAck(ctx, cl, led, q, &wait)
				if err != nil {
					t.Fatalf("drain %s: %v", q, err)
				}
				if n == 0 {
					break
				}
			}
		}
		if len(undelivered(led)) > 0 {
			continue
		}
		empty := true
		for _, q := range []string{crashStd, crashFIFO} {
			st, err := cl.Stats(ctx, q)
			if err != nil {
				t.Fatalf("Stats(%s) = %v", q, err)
			}
			empty = empty && st.Visible+st.InFlight+st.Delayed == 0
		}
		if empty {
			return
		}
	}
	var stats []sluice.QueueStats
	for _, q := range []string{crashStd, crashFIFO} {
		st, err := cl.Stats(ctx, q)
		if err != nil {
			t.Fatalf("Stats(%s) = %v", q, err)
		}
		stats = append(stats, st)
	}
	led.mu.Lock()
	ackErrs, lastErr := led.ackErrors, led.lastAckError
	led.mu.Unlock()
	t.Errorf("queues not drained within 30s: %d confirmed sends never delivered; stats %+v; %d failed acks, the last: %v",
		len(undelivered(led)), stats, ackErrs, lastErr)
}

// undelivered returns the confirmed sends not yet delivered.
func undelivered(led *ledger) []string {
	led.mu.Lock()
	defer led.mu.Unlock()
	seen := make(map[string]bool, len(led.deliveries))
	for _, d := range led.deliveries {
		seen[d.body] = true
	}
	var missing []string
	for b := range led.sent {
		if !seen[b] {
			missing = append(missing, b)
		}
	}
	slices.Sort(missing)
	return missing
}

// checkLedger asserts the durability and ordering properties.
func checkLedger(t *testing.T, led *ledger) {
	t.Helper()
	if missing := undelivered(led); len(missing) > 0 {
		t.Errorf("LOST: %d confirmed sends were never delivered, e.g. %v", len(missing), missing[:min(10, len(missing))])
	}
	led.mu.Lock()
	defer led.mu.Unlock()
	if len(led.sent) == 0 || len(led.acked) == 0 {
		t.Fatalf("the load confirmed %d sends and %d acks; the test proved nothing", len(led.sent), len(led.acked))
	}

	counts := map[string]int{}
	redelivered := 0
	for _, d := range led.deliveries {
		counts[d.body]++
		if counts[d.body] == 2 {
			redelivered++
		}
		if !strings.HasPrefix(d.body, crashStd+"-") && !strings.HasPrefix(d.body, crashFIFO+"-") {
			t.Errorf("delivered a body no sender sent: %q", d.body)
		}
		if at, ok := led.acked[d.body]; ok && d.start.After(at) {
			t.Errorf("RESURRECTED: %s was delivered by a receive sent %v after its ack was confirmed",
				d.body, d.start.Sub(at))
		}
	}
	t.Logf("%d sends and %d acks confirmed; %d deliveries of %d distinct messages; %d messages redelivered (allowed: unacked at a crash or lease expiry)",
		len(led.sent), len(led.acked), len(led.deliveries), len(counts), redelivered)

	// FIFO: within a group, the first deliveries of confirmed messages
	// come in send order.
	last := map[string]int{} // group -> highest confirmed seq first-delivered so far
	first := map[string]bool{}
	for _, d := range led.deliveries {
		if !strings.HasPrefix(d.body, crashFIFO+"-") || first[d.body] {
			continue
		}
		first[d.body] = true
		if _, ok := led.sent[d.body]; !ok {
			continue // its send was not confirmed: no order promised
		}
		group, seq, err := groupSeq(d.body)
		if err != nil {
			t.Errorf("FIFO body %q: %v", d.body, err)
			continue
		}
		if prev, ok := last[group]; ok && seq < prev {
			t.Errorf("FIFO ORDER: group %s delivered %s first after seq %d", group, d.body, prev)
		}
		last[group] = max(last[group], seq)
	}
}

// groupSeq splits "crash.fifo-<sender>-<seq>".
func groupSeq(body string) (group string, seq int, err error) {
	parts := strings.Split(strings.TrimPrefix(body, crashFIFO+"-"), "-")
	if len(parts) != 2 {
		return "", 0, errors.New("not sender-seq")
	}
	seq, err = strconv.Atoi(parts[1])
	return parts[0], seq, err
}
