package engine_test

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

func (f *fixture) flood(queue, tenant string, n int) {
	f.t.Helper()
	for i := 0; i < n; i += 10 {
		var batch []sluice.SendInput
		for j := i; j < min(n, i+10); j++ {
			batch = append(batch, sluice.SendInput{Body: []byte(fmt.Sprint(tenant, "-", j)), Tenant: tenant})
		}
		f.send(queue, batch...)
	}
}

func countTenants(msgs []sluice.Message) map[string]int {
	got := map[string]int{}
	for _, m := range msgs {
		got[m.Tenant]++
	}
	return got
}

func TestWeightedShares(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		if _, err := f.e.SetTenant(t.Context(), sluice.TenantConfig{Tenant: "gold", Queue: "jobs", Policy: sluice.TenantPolicy{Weight: 3}}); err != nil {
			t.Fatal(err)
		}
		f.flood("jobs", "gold", 400)
		f.flood("jobs", "plain", 400)
		var got []sluice.Message
		for len(got) < 400 {
			got = append(got, f.receive("jobs", 10, time.Minute)...)
		}
		if c := countTenants(got); c["gold"] != 300 || c["plain"] != 100 {
			t.Errorf("first 400 deliveries: %v, want gold 300, plain 100", c)
		}
	})
}

func TestFairnessOffDeliversInSendOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "plain", DisableFairness: true})
		f.flood("plain", "big", 20)
		f.send("plain", sluice.SendInput{Body: []byte("small-0"), Tenant: "small"})
		msgs := f.receive("plain", 10, time.Minute)
		if c := countTenants(msgs); c["big"] != 10 {
			t.Errorf("fairness off: first 10 deliveries %v, want all from big", c)
		}
	})
}

// A rate-limited tenant's messages wait for tokens; a long poll parked
// behind the limit is answered when the next token arrives.
func TestRateLimitWakesLongPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		if _, err := f.e.SetTier(t.Context(), sluice.Tier{Name: "free", Policy: sluice.TenantPolicy{Rate: 2, Burst: 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.e.SetTenant(t.Context(), sluice.TenantConfig{Tenant: "acme", Tier: "free"}); err != nil {
			t.Fatal(err)
		}
		f.flood("jobs", "acme", 5)
		if msgs := f.receive("jobs", 10, time.Minute); len(msgs) != 1 {
			t.Fatalf("first Receive() = %d messages, want the burst of 1", len(msgs))
		}
		start := time.Now()
		wait := 10 * time.Second
		vis := time.Minute
		msgs, err := f.e.Receive(t.Context(), "jobs", sluice.ReceiveOptions{Max: 10, WaitTime: &wait, VisibilityTimeout: &vis})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("long poll = %d messages, %v; want 1", len(msgs), err)
		}
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Errorf("long poll answered after %v, want 500ms (the next token)", d)
		}
		st, err := f.e.Tenant(t.Context(), "jobs", "acme")
		if err != nil {
			t.Fatal(err)
		}
		if st.Tier != "free" || st.Policy.Rate != 2 || st.Visible != 3 || st.InFlight != 2 {
			t.Errorf("Tenant() = %+v, want tier free, rate 2, 3 visible, 2 in flight", st)
		}
		// Nothing is dropped: all five arrive, at the rate.
		for range 3 {
			time.Sleep(500 * time.Millisecond)
			if msgs := f.receive("jobs", 10, time.Minute); len(msgs) != 1 {
				t.Fatalf("Receive() after a token = %d messages, want 1", len(msgs))
			}
		}
	})
}

// A tenant at its in-flight cap waits; an ack frees a slot and wakes a
// parked receive. Other tenants are not held back.
func TestInFlightCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		if _, err := f.e.SetTenant(t.Context(), sluice.TenantConfig{Tenant: "acme", Queue: "jobs", Policy: sluice.TenantPolicy{MaxInFlight: 2}}); err != nil {
			t.Fatal(err)
		}
		f.flood("jobs", "acme", 5)
		f.flood("jobs", "other", 5)
		msgs := f.receive("jobs", 10, time.Minute)
		if c := countTenants(msgs); c["acme"] != 2 || c["other"] != 5 {
			t.Fatalf("Receive() = %v, want acme 2 (its cap) and other 5", c)
		}
		var acme []string
		for _, m := range msgs {
			if m.Tenant == "acme" {
				acme = append(acme, m.Receipt)
			}
		}
		done := make(chan []sluice.Message)
		go func() {
			wait, vis := 20*time.Second, time.Minute
			msgs, _ := f.e.Receive(t.Context(), "jobs", sluice.ReceiveOptions{Max: 10, WaitTime: &wait, VisibilityTimeout: &vis})
			done <- msgs
		}()
		synctest.Wait()
		time.Sleep(time.Second)
		f.ack("jobs", acme[0])
		if got := <-done; len(got) != 1 || got[0].Tenant != "acme" {
			t.Fatalf("parked Receive() after the ack = %v, want one acme message", bodies(got))
		}
	})
}

func TestTenantSettingsSurviveRestartAndApplyLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 2, engine.Options{})
		ctx := t.Context()
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.create(sluice.QueueConfig{Name: "other"})
		if _, err := f.e.SetTier(ctx, sluice.Tier{Name: "pro", Policy: sluice.TenantPolicy{Weight: 4, MaxInFlight: 100}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.e.SetTenant(ctx, sluice.TenantConfig{Tenant: "acme", Tier: "pro"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.e.SetTenant(ctx, sluice.TenantConfig{Tenant: "acme", Queue: "other", Policy: sluice.TenantPolicy{Weight: 2}}); err != nil {
			t.Fatal(err)
		}
		f.restart()
		for _, q := range []struct {
			queue  string
			weight float64
		}{{"jobs", 4}, {"other", 2}} {
			st, err := f.e.Tenant(ctx, q.queue, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if st.Tier != "pro" || st.Policy.Weight != q.weight || st.Policy.MaxInFlight != 100 {
				t.Errorf("%s after restart: %+v, want tier pro, weight %v, cap 100", q.queue, st.Policy, q.weight)
			}
		}
		// A tier change applies live, to flows already scheduled.
		f.flood("jobs", "acme", 100)
		f.flood("jobs", "bob", 100)
		f.receive("jobs", 10, time.Minute)
		if _, err := f.e.SetTier(ctx, sluice.Tier{Name: "pro", Policy: sluice.TenantPolicy{Weight: 1}}); err != nil {
			t.Fatal(err)
		}
		c := countTenants(f.receive("jobs", 10, time.Minute))
		if math.Abs(float64(c["acme"]-c["bob"])) > 1 {
			t.Errorf("after setting pro's weight to 1: %v, want an even split", c)
		}
	})
}

func TestTenantErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		ctx := t.Context()
		f.create(sluice.QueueConfig{Name: "jobs"})
		var ia *sluice.InvalidArgumentError
		if _, err := f.e.SetTier(ctx, sluice.Tier{Name: "x", Policy: sluice.TenantPolicy{Weight: -1}}); !errors.As(err, &ia) || ia.Field != "policy.weight" {
			t.Errorf("SetTier(weight -1) = %v, want invalid policy.weight", err)
		}
		if _, err := f.e.SetTier(ctx, sluice.Tier{Name: "", Policy: sluice.TenantPolicy{}}); !errors.As(err, &ia) || ia.Field != "name" {
			t.Errorf("SetTier(no name) = %v, want invalid name", err)
		}
		if _, err := f.e.SetTenant(ctx, sluice.TenantConfig{Tenant: "a", Tier: "nope"}); !errors.Is(err, sluice.ErrTierNotFound) {
			t.Errorf("SetTenant(unknown tier) = %v, want ErrTierNotFound", err)
		}
		if _, err := f.e.SetTenant(ctx, sluice.TenantConfig{Tenant: "a", Queue: "nope", Policy: sluice.TenantPolicy{Weight: 2}}); !errors.Is(err, sluice.ErrQueueNotFound) {
			t.Errorf("SetTenant(unknown queue) = %v, want ErrQueueNotFound", err)
		}
		if _, err := f.e.SetTenant(ctx, sluice.TenantConfig{Tenant: "a", Policy: sluice.TenantPolicy{Rate: math.NaN()}}); !errors.As(err, &ia) || ia.Field != "policy.rate" {
			t.Errorf("SetTenant(rate NaN) = %v, want invalid policy.rate", err)
		}
	})
}

func TestTenantStatsNoisiestFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.flood("jobs", "noisy", 50)
		f.flood("jobs", "quiet", 2)
		time.Sleep(3 * time.Second)
		f.receive("jobs", 4, time.Minute)
		stats, err := f.e.TenantStats(t.Context(), "jobs")
		if err != nil {
			t.Fatal(err)
		}
		if len(stats) != 2 || stats[0].Tenant != "noisy" || stats[1].Tenant != "quiet" {
			t.Fatalf("TenantStats() = %+v, want noisy then quiet", stats)
		}
		n, q := stats[0], stats[1]
		if n.Visible != 48 || n.InFlight != 2 || n.OldestAge != 3*time.Second || n.WaitP50 != 3*time.Second || n.WaitSamples != 2 {
			t.Errorf("noisy = %+v, want 48 visible, 2 in flight, oldest 3s, p50 wait 3s over 2 samples", n)
		}
		if q.Visible != 0 || q.InFlight != 2 || q.Dispatched != 2 || q.DispatchRate <= 0 {
			t.Errorf("quiet = %+v, want 0 visible, 2 in flight and dispatched", q)
		}
	})
}

// A tenant whose messages take ten times as long to process is billed for
// it: under saturation it gets fewer deliveries than a tenant of the same
// weight whose messages are quick.
func TestSlowTenantCountsAsBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.flood("jobs", "slow", 2000)
		f.flood("jobs", "fast", 2000)
		got := map[string]int{}
		var slow []string // receipts of slow messages, acked 10 rounds later
		for round := range 300 {
			msgs := f.receive("jobs", 4, time.Hour)
			var fast []string
			for _, m := range msgs {
				got[m.Tenant]++
				if m.Tenant == "slow" {
					slow = append(slow, m.Receipt)
				} else {
					fast = append(fast, m.Receipt)
				}
			}
			time.Sleep(time.Millisecond)
			if len(fast) > 0 {
				f.ack("jobs", fast...)
			}
			if round%10 == 9 && len(slow) > 0 {
				f.ack("jobs", slow...)
				slow = nil
			}
		}
		t.Logf("deliveries with processing time billed: %v", got)
		if got["slow"]*2 > got["fast"] {
			t.Errorf("deliveries %v: the slow tenant should get well under half of the fast one's", got)
		}
	})
}
