package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// hookRecorder is an HTTP subscriber that counts the messages it is pushed.
type hookRecorder struct {
	mu       sync.Mutex // guards received and bad
	received map[string]int
	bad      []string // deliveries that were not notifications
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var env struct{ Type, Message string }
	h.mu.Lock()
	defer h.mu.Unlock()
	if json.Unmarshal(b, &env) != nil || env.Type != "Notification" || r.Header.Get("x-amz-sns-message-type") != "Notification" {
		h.bad = append(h.bad, string(b))
	} else {
		h.received[env.Message]++
	}
	w.WriteHeader(http.StatusOK)
}

// missing returns the bodies of want the subscriber has not received.
func (h *hookRecorder) missing(want map[string]bool) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for body := range want {
		if h.received[body] == 0 {
			out = append(out, body)
		}
	}
	return out
}

// TestCrashTopicReachesEverySubscriber publishes under load to a topic with
// two queue subscriptions and a confirmed HTTP subscription served by this
// test, kills the server with SIGKILL at random moments, and checks after
// the last restart that every confirmed publish reached both queues exactly
// once and the HTTP endpoint at least once.
func TestCrashTopicReachesEverySubscriber(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	const rounds, publishers = 3, 3
	hook := &hookRecorder{received: map[string]int{}}
	endpoint := httptest.NewServer(hook)
	t.Cleanup(endpoint.Close)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	var mu sync.Mutex
	confirmed := map[string]bool{}
	seqs := make([]int, publishers)
	for round := range rounds {
		srv := startServe(t, dir)
		if round == 0 {
			setupHookFan(t, srv.Client, endpoint.URL)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for p := range publishers {
			wg.Go(func() {
				for ctx.Err() == nil {
					body := fmt.Sprintf("r%d-p%d-%06d", round, p, seqs[p])
					seqs[p]++
					if _, err := srv.Client.Publish(ctx, "hookfan", sluice.PublishInput{Body: []byte(body)}); err != nil {
						backoff(ctx) // the server is down; bounded by ctx
						continue
					}
					mu.Lock()
					confirmed[body] = true
					mu.Unlock()
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
	for _, q := range []string{"hookfan-a", "hookfan-b"} {
		got := drainBodies(t, srv.Client, q, nil)
		for body := range confirmed {
			if n := got[body]; n != 1 {
				t.Errorf("%s has %d copies of confirmed %s, want 1", q, n, body)
			}
		}
	}
	// Pushes leased when the server died come back after their lease
	// (timeout 1s + 5s margin); the rest flow at once.
	deadline := time.Now().Add(60 * time.Second)
	for len(hook.missing(confirmed)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling interval, bounded by the deadline
	}
	missing := hook.missing(confirmed)
	if len(missing) > 0 {
		t.Errorf("the HTTP subscriber never received %d of %d confirmed publishes, such as %s", len(missing), len(confirmed), missing[0])
	}
	hook.mu.Lock()
	dups := 0
	for _, n := range hook.received {
		dups += n - 1
	}
	if len(hook.bad) > 0 {
		t.Errorf("the HTTP subscriber got %d deliveries that were not notifications, such as %s", len(hook.bad), hook.bad[0])
	}
	t.Logf("%d publishes confirmed across %d kill -9 rounds; HTTP received %d distinct, %d repeated (at least once)",
		len(confirmed), rounds, len(hook.received), dups)
	hook.mu.Unlock()
	if code := srv.terminate(t, 15*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}

func setupHookFan(t *testing.T, cl *client.Client, endpoint string) {
	t.Helper()
	ctx := t.Context()
	if _, err := cl.CreateTopic(ctx, sluice.TopicConfig{Name: "hookfan"}); err != nil {
		t.Fatalf("CreateTopic(hookfan) = %v", err)
	}
	for _, q := range []string{"hookfan-a", "hookfan-b"} {
		if _, err := cl.CreateQueue(ctx, sluice.QueueConfig{Name: q, VisibilityTimeout: time.Minute}); err != nil {
			t.Fatalf("CreateQueue(%s) = %v", q, err)
		}
		if _, err := cl.Subscribe(ctx, sluice.Subscription{Topic: "hookfan", Protocol: sluice.ProtocolQueue, Endpoint: q, Raw: true}); err != nil {
			t.Fatalf("Subscribe(%s) = %v", q, err)
		}
	}
	hook := sluice.Subscription{Topic: "hookfan", Protocol: sluice.ProtocolHTTP, Endpoint: endpoint, Confirmed: true,
		Delivery: sluice.DeliveryPolicy{Timeout: time.Second, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxAttempts: 100}}
	if _, err := cl.Subscribe(ctx, hook); err != nil {
		t.Fatalf("Subscribe(%s) = %v", endpoint, err)
	}
}
