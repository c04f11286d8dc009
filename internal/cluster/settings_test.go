package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice"
)

// TestSettingsReachEveryEngine sets a tier and a server-wide tenant
// setting through one node's Router and shows that every engine of both
// nodes applies them; then, with no node running, the bucket changes, and
// the node that takes the partitions over applies the changes before it
// serves them.
func TestSettingsReachEveryEngine(t *testing.T) {
	f := setup(t, 1, 2, 4)
	for p := range 4 {
		f.owner(t, p, nil, 10*time.Second)
	}
	r := NewRouter(f.nodes[1].Node)
	ctx := t.Context()
	gold := sluice.Tier{Name: "gold", Policy: sluice.TenantPolicy{Weight: 5, MaxInFlight: 2}}
	if _, err := r.SetTier(ctx, gold); err != nil {
		t.Fatalf("SetTier() error = %v", err)
	}
	acme := sluice.TenantConfig{Tenant: "acme", Tier: "gold", Policy: sluice.TenantPolicy{Rate: 10}}
	if _, err := r.SetTenant(ctx, acme); err != nil {
		t.Fatalf("SetTenant() error = %v", err)
	}
	deflt := sluice.TenantConfig{Tenant: "", Policy: sluice.TenantPolicy{Weight: 2}}
	if _, err := r.SetTenant(ctx, deflt); err != nil {
		t.Fatalf("SetTenant(default tenant) error = %v", err)
	}
	check := func(what string, tiers []sluice.Tier, tenants []sluice.TenantConfig) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for p := range 4 {
			for {
				eng, err := f.owner(t, p, nil, 10*time.Second).Engine(p)
				var gotTiers []sluice.Tier
				var gotTenants []sluice.TenantConfig
				if err == nil {
					gotTiers, _ = eng.Tiers(ctx)
					gotTenants, err = eng.TenantConfigs(ctx, "")
				}
				if err == nil && slices.Equal(gotTiers, tiers) && slices.Equal(gotTenants, tenants) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: partition %d has tiers %v and tenants %v (%v), want %v and %v", what, p, gotTiers, gotTenants, err, tiers, tenants)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	check("after SetTier and SetTenant", []sluice.Tier{gold}, []sluice.TenantConfig{deflt, acme})
	// The Router answers from the bucket at once.
	if got, _ := r.Tiers(ctx); !slices.Equal(got, []sluice.Tier{gold}) {
		t.Errorf("Tiers() = %v, want %v", got, gold)
	}
	if got, err := r.TenantConfig(ctx, "", "acme"); err != nil || got != acme {
		t.Errorf("TenantConfig(acme) = %+v, %v, want %+v", got, err, acme)
	}

	// Bad input is refused before it is stored, naming the field.
	var inv *sluice.InvalidArgumentError
	if _, err := r.SetTier(ctx, sluice.Tier{Name: "bad", Policy: sluice.TenantPolicy{Weight: -1}}); !errors.As(err, &inv) || inv.Field != "policy.weight" {
		t.Errorf("SetTier(weight -1) error = %v, want invalid policy.weight", err)
	}
	if _, err := r.SetTenant(ctx, sluice.TenantConfig{Tenant: "x", Tier: "platinum"}); !errors.Is(err, sluice.ErrTierNotFound) {
		t.Errorf("SetTenant(unknown tier) error = %v, want ErrTierNotFound", err)
	}

	// Both nodes stop; the bucket changes meanwhile; a new node takes over.
	f.kill(0)
	f.kill(1)
	js, err := jetstream.New(f.nats.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "SLUICE_"+DefaultName+"_settings")
	if err != nil {
		t.Fatal(err)
	}
	gold.Policy.Weight = 7
	for key, v := range map[string]settingValue{
		tierKey("gold"):   {Policy: gold.Policy},
		tenantKey("acme"): {}, // cleared
	} {
		b, _ := json.Marshal(v)
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = kv.Put(ctx, key, b)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.startNode(t, "s3", 4, 1)
	check("after a takeover", []sluice.Tier{gold}, []sluice.TenantConfig{deflt})
}
