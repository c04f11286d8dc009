package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

func TestTenantsTablePagesAndSearches(t *testing.T) {
	l := setup(t, time.Hour)
	ctx := context.Background()
	l.queue(t, sluice.QueueConfig{Name: "jobs"})
	for i := range 120 {
		l.send(t, "jobs", fmt.Sprintf("tenant-%03d", i), "x")
	}
	l.send(t, "jobs", "noisy", "a", "b", "c")
	if _, err := l.client.SetTier(ctx, sluice.Tier{Name: "pro", Policy: sluice.TenantPolicy{Weight: 4, MaxInFlight: 9}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.client.SetTenant(ctx, sluice.TenantConfig{Tenant: "noisy", Tier: "pro"}); err != nil {
		t.Fatal(err)
	}

	_, body := l.get(t, "/ui/queues/jobs")
	if n := strings.Count(body, "<tr data-tenant="); n != 50 {
		t.Errorf("queue page shows %d tenants, want a page of 50", n)
	}
	if i := strings.Index(body, "<tr data-tenant="); i < 0 || !strings.HasPrefix(body[i:], `<tr data-tenant="noisy"><td><a href="/ui/queues/jobs/tenant?t=noisy">noisy</a></td><td>pro</td><td class="n" data-field="weight">4</td>`) {
		t.Errorf("the first tenant row is not noisy (3 messages, tier pro, weight 4)")
	}
	for _, want := range []string{"121 of 121 tenants", "Page 1 of 3", `href="/ui/queues/jobs?tpage=2"`} {
		if !strings.Contains(body, want) {
			t.Errorf("queue page lacks %q", want)
		}
	}
	_, body = l.get(t, "/ui/queues/jobs?tpage=3")
	if n := strings.Count(body, "<tr data-tenant="); n != 21 || !strings.Contains(body, `data-tenant="tenant-119"`) {
		t.Errorf("page 3 shows %d tenants, want the last 21 up to tenant-119", n)
	}
	_, body = l.get(t, "/ui/queues/jobs?tq=TENANT-11")
	if n := strings.Count(body, "<tr data-tenant="); n != 10 || !strings.Contains(body, "10 of 121 tenants") {
		t.Errorf("search tenant-11 shows %d tenants, want 10 of 121", n)
	}

	// The live JSON carries the page's rows, with the wait once received.
	zero := time.Duration(0)
	for got := 0; got < 123; {
		msgs, err := l.client.Receive(ctx, "jobs", sluice.ReceiveOptions{Max: 10, WaitTime: &zero})
		if err != nil || len(msgs) == 0 {
			t.Fatalf("Receive() = %d messages, %v after %d", len(msgs), err, got)
		}
		got += len(msgs)
	}
	var live struct {
		Tenants []struct {
			Tenant   string `json:"tenant"`
			InFlight int    `json:"inFlight"`
			WaitP99  string `json:"waitP99"`
		} `json:"tenants"`
	}
	_, body = l.get(t, "/ui/api/queues/jobs?tq=noisy")
	if err := json.Unmarshal([]byte(body), &live); err != nil || len(live.Tenants) != 1 || live.Tenants[0].InFlight != 3 || live.Tenants[0].WaitP99 == "–" {
		t.Errorf("GET /ui/api/queues/jobs?tq=noisy = %s; want noisy in flight with a wait", body)
	}

	status, body := l.get(t, "/ui/queues/jobs/tenant?t=noisy")
	if status != http.StatusOK || !strings.Contains(body, `<a href="/ui/tiers">pro</a>`) || !strings.Contains(body, "<th>Max in flight</th><td>9</td>") || !strings.Contains(body, "<td>3</td>") {
		t.Errorf("GET tenant noisy = %d; want its tier pro, its cap of 9 and 3 dispatched:\n%s", status, body)
	}
	if status, _ := l.get(t, "/ui/queues/nope/tenant?t=noisy"); status != http.StatusNotFound {
		t.Errorf("GET tenant of a missing queue = %d, want 404", status)
	}
	status, body = l.get(t, "/ui/tiers")
	if status != http.StatusOK || !strings.Contains(body, `<tr data-tier="pro"><td>pro</td><td class="n">4</td><td class="n">–</td><td class="n">9</td></tr>`) {
		t.Errorf("GET /ui/tiers = %d; want tier pro with weight 4 and 9 in flight:\n%s", status, body)
	}
	if !strings.Contains(body, "<td>noisy</td><td>pro</td>") {
		t.Errorf("tiers page lacks noisy's assignment to pro")
	}
}
