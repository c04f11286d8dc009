package cli_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func TestTenantCommands(t *testing.T) {
	f := setup(t)
	f.ok("queue", "create", "orders")
	if out := f.ok("tier", "set", "--weight", "4", "--max-in-flight", "10", "pro"); !strings.Contains(out, "weight=4 max-in-flight=10") {
		t.Errorf("tier set printed %q", out)
	}
	var tiers []wire.Tier
	f.okJSON(&tiers, "tier", "list")
	if len(tiers) != 1 || tiers[0].Name != "pro" || tiers[0].Policy.Weight != 4 {
		t.Errorf("tier list = %+v, want pro with weight 4", tiers)
	}
	f.ok("tenant", "set", "--tier", "pro", "acme")
	f.ok("tenant", "set", "--queue", "orders", "--rate", "5", "acme")
	var settings []wire.TenantSetting
	f.okJSON(&settings, "tenant", "list")
	if len(settings) != 1 || settings[0].Tenant != "acme" || settings[0].Tier != "pro" {
		t.Errorf("tenant list = %+v, want acme in pro", settings)
	}
	cl := f.srv.Client
	if _, err := cl.SendBatch(t.Context(), "orders", []sluice.SendInput{
		{Body: []byte("1"), Tenant: "acme"}, {Body: []byte("2"), Tenant: "acme"}, {Body: []byte("3"), Tenant: "small"},
	}); err != nil {
		t.Fatal(err)
	}
	var stats []wire.TenantStats
	f.okJSON(&stats, "tenant", "list", "--queue", "orders")
	if len(stats) != 2 || stats[0].Tenant != "acme" || stats[0].Visible != 2 || stats[0].Policy.Rate != 5 || stats[0].Tier != "pro" {
		t.Errorf("tenant list --queue = %+v, want acme first with 2 visible, rate 5, tier pro", stats)
	}
	out := f.ok("tenant", "get", "--queue", "orders", "acme")
	for _, want := range []string{"policy in effect", "weight=4 rate=5/s max-in-flight=10", "queue setting     tier -, rate=5/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("tenant get --queue printed %q, want it to contain %q", out, want)
		}
	}
	if out := f.ok("queue", "get", "orders"); !strings.Contains(out, "weighted-fair") {
		t.Errorf("queue get printed %q, want fairness weighted-fair", out)
	}
	f.ok("queue", "create", "--no-fairness", "plain")
	if out := f.ok("queue", "get", "plain"); !strings.Contains(out, "off (send order)") {
		t.Errorf("queue get of a --no-fairness queue printed %q", out)
	}
}

func TestTenantCommandErrors(t *testing.T) {
	f := setup(t)
	wantFailure(t, "unknown tier", f.run("tenant", "set", "--tier", "gold", "acme"), 1, "tier not found")
	wantFailure(t, "unknown queue", f.run("tenant", "list", "--queue", "nope"), 1, `queue "nope" does not exist`)
	wantFailure(t, "bad weight", f.run("tier", "set", "--weight", "-1", "x"), 1, "policy.weight")
	wantFailure(t, "no name", f.run("tier", "set"), 2)
}
