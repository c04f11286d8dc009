package client_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/sluicetest"
)

// Tenants end to end: a real server, the real client, tiers and per-queue
// settings, weighted shares, a rate-limited long poll and per-tenant
// statistics.
func TestTenantsEndToEnd(t *testing.T) {
	srv := sluicetest.NewServer(t)
	c, ctx := srv.Client, t.Context()
	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "jobs"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetTier(ctx, sluice.Tier{Name: "pro", Policy: sluice.TenantPolicy{Weight: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetTenant(ctx, sluice.TenantConfig{Tenant: "gold", Tier: "pro"}); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"gold", "plain"} {
		for i := 0; i < 300; i += 10 {
			var batch []sluice.SendInput
			for j := range 10 {
				batch = append(batch, sluice.SendInput{Body: []byte(fmt.Sprint(tenant, i+j)), Tenant: tenant})
			}
			if _, err := c.SendBatch(ctx, "jobs", batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := map[string]int{}
	for n := 0; n < 200; {
		msgs, err := c.Receive(ctx, "jobs", sluice.ReceiveOptions{Max: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			got[m.Tenant]++
		}
		n += len(msgs)
	}
	if got["gold"] != 150 || got["plain"] != 50 {
		t.Errorf("first 200 deliveries %v, want gold 150 and plain 50 (weights 3:1)", got)
	}

	stats, err := c.QueueTenants(ctx, "jobs", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[0].Tenant != "gold" || stats[0].InFlight != 150 || stats[1].Visible != 250 {
		t.Errorf("QueueTenants() = %+v, want gold first with 150 in flight, then plain with 250 visible", stats)
	}
	setting, st, err := c.QueueTenant(ctx, "jobs", "gold")
	if err != nil {
		t.Fatal(err)
	}
	if setting.Tier != "" || st.Tier != "pro" || st.Policy.Weight != 3 || st.WaitSamples != 128 {
		t.Errorf("QueueTenant(gold) = %+v, %+v; want no queue setting, tier pro, weight 3, the newest 128 of 150 waits", setting, st)
	}
	if qs, err := c.Stats(ctx, "jobs"); err != nil || qs.Tenants != 2 {
		t.Errorf("Stats() = %+v, %v; want 2 tenants", qs, err)
	}

	// A queue setting limits one tenant to 2 messages per second, burst 1:
	// its messages wait, and a long poll is answered when a token arrives.
	if _, err := c.SetTenant(ctx, sluice.TenantConfig{Tenant: "slow", Queue: "jobs", Policy: sluice.TenantPolicy{Rate: 2, Burst: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PurgeQueue(ctx, "jobs"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendBatch(ctx, "jobs", []sluice.SendInput{{Body: []byte("a"), Tenant: "slow"}, {Body: []byte("b"), Tenant: "slow"}}); err != nil {
		t.Fatal(err)
	}
	wait := 10 * time.Second
	for i := range 2 {
		msgs, err := c.Receive(ctx, "jobs", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("receive %d = %d messages, %v; want 1", i, len(msgs), err)
		}
	}

	settings, err := c.TenantSettings(ctx)
	if err != nil || len(settings) != 1 || settings[0].Tenant != "gold" || settings[0].Tier != "pro" {
		t.Errorf("TenantSettings() = %+v, %v; want gold in pro", settings, err)
	}
	tiers, err := c.Tiers(ctx)
	if err != nil || len(tiers) != 1 || tiers[0].Name != "pro" || tiers[0].Policy.Weight != 3 {
		t.Errorf("Tiers() = %+v, %v; want pro with weight 3", tiers, err)
	}
}

func TestTenantErrorsEndToEnd(t *testing.T) {
	srv := sluicetest.NewServer(t)
	c, ctx := srv.Client, t.Context()
	_, err := c.SetTenant(ctx, sluice.TenantConfig{Tenant: "a", Tier: "missing"})
	var ce *client.Error
	if !errors.Is(err, sluice.ErrTierNotFound) || !errors.As(err, &ce) || ce.StatusCode != http.StatusNotFound {
		t.Errorf("SetTenant(unknown tier) = %v, want ErrTierNotFound with 404", err)
	}
	_, err = c.SetTier(ctx, sluice.Tier{Name: "bad", Policy: sluice.TenantPolicy{Weight: -2}})
	var ia *sluice.InvalidArgumentError
	if !errors.As(err, &ia) || ia.Field != "policy.weight" {
		t.Errorf("SetTier(weight -2) = %v, want invalid policy.weight", err)
	}
	if _, err := c.SetTenant(ctx, sluice.TenantConfig{Tenant: "a", Queue: "nope", Policy: sluice.TenantPolicy{Weight: 2}}); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Errorf("SetTenant(unknown queue) = %v, want ErrQueueNotFound", err)
	}
	if _, err := c.QueueTenants(ctx, "nope", 0); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Errorf("QueueTenants(unknown queue) = %v, want ErrQueueNotFound", err)
	}
}

// Tier and tenant settings survive a restart of a real server over its
// file journal.
func TestTenantSettingsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	srv := sluicetest.NewServer(t, sluicetest.WithDataDir(dir))
	c, ctx := srv.Client, t.Context()
	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "jobs"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetTier(ctx, sluice.Tier{Name: "free", Policy: sluice.TenantPolicy{Rate: 10, MaxInFlight: 5}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetTenant(ctx, sluice.TenantConfig{Tenant: "acme", Tier: "free"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetTenant(ctx, sluice.TenantConfig{Tenant: "acme", Queue: "jobs", Policy: sluice.TenantPolicy{Weight: 2}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv = sluicetest.NewServer(t, sluicetest.WithDataDir(dir))
	_, st, err := srv.Client.QueueTenant(ctx, "jobs", "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := sluice.TenantPolicy{Weight: 2, Rate: 10, MaxInFlight: 5}
	if st.Tier != "free" || st.Policy != want {
		t.Errorf("after restart: tier %q policy %+v, want free %+v", st.Tier, st.Policy, want)
	}
}
