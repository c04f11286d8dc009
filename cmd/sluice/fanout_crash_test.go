package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// TestCrashFanOutLosesNothingConfirmed publishes under load to a standard
// topic feeding two queues (one filtered) and a FIFO topic feeding a FIFO
// queue, kills the server with SIGKILL at random moments, and checks after
// the last restart that every confirmed publish is in every queue whose
// filter it matches — exactly once, since recovery never duplicates a copy —
// that the filter let nothing else through, and that FIFO order held.
func TestCrashFanOutLosesNothingConfirmed(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	const rounds, publishers = 3, 3
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	var mu sync.Mutex
	confirmed := map[string]bool{} // body -> was it published with even=yes
	seqs := make([]int, publishers)
	for round := range rounds {
		srv := startServe(t, dir)
		if round == 0 {
			setupFanOut(t, srv.Client)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for p := range publishers {
			wg.Go(func() {
				for ctx.Err() == nil {
					seq := seqs[p]
					seqs[p]++
					body := fmt.Sprintf("p%d-%06d", p, seq)
					even := "no"
					if seq%2 == 0 {
						even = "yes"
					}
					in := sluice.PublishInput{Body: []byte(body), Attributes: map[string]sluice.Attribute{"even": {Type: "String", String: even}}}
					_, err1 := srv.Client.Publish(ctx, "fan", in)
					fifo := sluice.PublishInput{Body: []byte(body), GroupID: fmt.Sprint("g", p), DedupID: body}
					_, err2 := srv.Client.Publish(ctx, "fan.fifo", fifo)
					if err1 == nil && err2 == nil {
						mu.Lock()
						confirmed[body] = even == "yes"
						mu.Unlock()
					} else if ctx.Err() == nil {
						time.Sleep(20 * time.Millisecond) // the server is down: back off, bounded by ctx
					}
				}
			})
		}
		time.Sleep(time.Duration(300+rng.IntN(600)) * time.Millisecond) // load before the crash
		srv.kill(t)
		cancel()
		wg.Wait()
	}
	if len(confirmed) == 0 {
		t.Fatal("no publish was confirmed; the test proved nothing")
	}

	srv := startServe(t, dir)
	got := map[string]map[string]int{} // queue -> body -> copies
	order := map[string][]string{}     // FIFO queue: group -> bodies in delivery order
	for _, q := range []string{"fan-all", "fan-even", "fan-all.fifo"} {
		got[q] = drainBodies(t, srv.Client, q, order)
	}
	for body, even := range confirmed {
		if n := got["fan-all"][body]; n != 1 {
			t.Errorf("fan-all has %d copies of confirmed %s, want 1", n, body)
		}
		if n := got["fan-all.fifo"][body]; n != 1 {
			t.Errorf("fan-all.fifo has %d copies of confirmed %s, want 1", n, body)
		}
		if want := map[bool]int{true: 1, false: 0}[even]; got["fan-even"][body] != want {
			t.Errorf("fan-even has %d copies of confirmed %s (even=%v), want %d", got["fan-even"][body], body, even, want)
		}
	}
	for q, bodies := range got {
		for body, n := range bodies {
			if n > 1 {
				t.Errorf("%s holds %d copies of %s: recovery duplicated a copy", q, n, body)
			}
		}
	}
	for body := range got["fan-even"] {
		var p, seq int
		fmt.Sscanf(body, "p%d-%d", &p, &seq)
		if seq%2 != 0 {
			t.Errorf("fan-even got %s, which its filter excludes", body)
		}
	}
	for group, bodies := range order {
		for i := 1; i < len(bodies); i++ {
			if bodies[i] < bodies[i-1] {
				t.Errorf("fan-all.fifo group %s delivered %s after %s", group, bodies[i], bodies[i-1])
			}
		}
	}
	t.Logf("%d publishes confirmed across %d kill -9 rounds; copies: all=%d even=%d fifo=%d",
		len(confirmed), rounds, len(got["fan-all"]), len(got["fan-even"]), len(got["fan-all.fifo"]))
	if code := srv.terminate(t, 15*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}

func setupFanOut(t *testing.T, cl *client.Client) {
	t.Helper()
	ctx := t.Context()
	for _, q := range []string{"fan-all", "fan-even", "fan-all.fifo"} {
		if _, err := cl.CreateQueue(ctx, sluice.QueueConfig{Name: q, VisibilityTimeout: time.Minute}); err != nil {
			t.Fatalf("CreateQueue(%s) = %v", q, err)
		}
	}
	for _, topic := range []string{"fan", "fan.fifo"} {
		if _, err := cl.CreateTopic(ctx, sluice.TopicConfig{Name: topic}); err != nil {
			t.Fatalf("CreateTopic(%s) = %v", topic, err)
		}
	}
	for _, s := range []sluice.Subscription{
		{Topic: "fan", Protocol: sluice.ProtocolQueue, Endpoint: "fan-all", Raw: true},
		{Topic: "fan", Protocol: sluice.ProtocolQueue, Endpoint: "fan-even", Raw: true, FilterPolicy: `{"even":["yes"]}`},
		{Topic: "fan.fifo", Protocol: sluice.ProtocolQueue, Endpoint: "fan-all.fifo", Raw: true},
	} {
		if _, err := cl.Subscribe(ctx, s); err != nil {
			t.Fatalf("Subscribe(%s) = %v", s.Endpoint, err)
		}
	}
}

// drainBodies receives and acks everything in a queue and counts each body;
// for FIFO queues it also records each group's delivery order.
func drainBodies(t *testing.T, cl *client.Client, queue string, order map[string][]string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	wait := 200 * time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := cl.Receive(t.Context(), queue, sluice.ReceiveOptions{Max: 100, WaitTime: &wait})
		if err != nil {
			t.Fatalf("Receive(%s) = %v", queue, err)
		}
		if len(msgs) == 0 {
			return counts
		}
		receipts := make([]string, len(msgs))
		for i, m := range msgs {
			counts[string(m.Body)]++
			receipts[i] = m.Receipt
			if strings.HasSuffix(queue, ".fifo") {
				order[m.GroupID] = append(order[m.GroupID], string(m.Body))
			}
		}
		if _, err := cl.AckBatch(t.Context(), queue, receipts); err != nil {
			t.Fatalf("AckBatch(%s) = %v", queue, err)
		}
	}
	t.Fatalf("%s not drained within 30s", queue)
	return nil
}
