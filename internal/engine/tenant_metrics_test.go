package engine_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

func TestTenantMetricsKeepsTheLargestAndSumsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 2, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.create(sluice.QueueConfig{Name: "plain"}) // default tenant only: left out
		f.flood("plain", "", 3)
		f.flood("jobs", "a", 1)
		f.flood("jobs", "b", 5)
		f.flood("jobs", "c", 5)
		f.flood("jobs", "d", 2)
		time.Sleep(time.Second)
		f.flood("jobs", "e", 1)
		got, err := f.e.TenantMetrics(t.Context(), 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Queue != "jobs" {
			t.Fatalf("TenantMetrics() queues = %+v, want only jobs", got)
		}
		m := got[0]
		if m.Backlog != 14 || len(m.Tenants) != 2 || m.Tenants[0].Tenant != "b" || m.Tenants[1].Tenant != "c" {
			t.Errorf("TenantMetrics() backlog %d, top %+v; want 14, b then c", m.Backlog, m.Tenants)
		}
		if m.Tenants[0].Visible != 5 || m.Tenants[0].Policy.Weight != 1 {
			t.Errorf("b = %+v, want 5 visible with weight 1", m.Tenants[0])
		}
		if m.Others != 3 || m.Other.Visible != 4 {
			t.Errorf("others = %d, %+v; want 3 tenants with 4 visible", m.Others, m.Other)
		}
		if m.Tenants[0].OldestAge != time.Second {
			t.Errorf("b's oldest age = %v, want 1s", m.Tenants[0].OldestAge)
		}
		msgs := f.receive("jobs", 14, time.Minute)
		if len(msgs) != 14 {
			t.Fatalf("received %d, want 14", len(msgs))
		}
		got, _ = f.e.TenantMetrics(t.Context(), 2)
		m = got[0]
		if m.Other.InFlight != 4 || m.Other.Visible != 0 || m.Other.Dispatched != 4 || m.Other.DispatchRate <= 0 {
			t.Errorf("others after receiving all = %+v, want 4 in flight and dispatched, a rate", m.Other)
		}
	})
}

func TestTenantPageMatchesTheFullList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		for i, n := range []int{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5} {
			f.flood("jobs", fmt.Sprintf("t%02d", i), n)
		}
		f.receive("jobs", 7, time.Minute) // some in flight, some dispatched
		all, err := f.e.TenantStats(t.Context(), "jobs")
		if err != nil {
			t.Fatal(err)
		}
		names := func(ss []sluice.TenantStats) []string {
			var out []string
			for _, s := range ss {
				out = append(out, s.Tenant)
			}
			return out
		}
		for offset := 0; offset <= len(all)+1; offset++ {
			for _, limit := range []int{1, 3, 20} {
				page, err := f.e.TenantPage(t.Context(), "jobs", "", offset, limit)
				if err != nil {
					t.Fatal(err)
				}
				want := names(all[min(offset, len(all)):min(offset+limit, len(all))])
				if got := names(page.Tenants); !slices.Equal(got, want) || page.All != len(all) || page.Matched != len(all) {
					t.Errorf("TenantPage(%d, %d) = %v (%d of %d), want %v", offset, limit, got, page.Matched, page.All, want)
				}
			}
		}
		page, err := f.e.TenantPage(t.Context(), "jobs", "T0", 0, 50)
		if err != nil || page.Matched != 10 || len(page.Tenants) != 10 {
			t.Errorf("TenantPage(search T0) = %d tenants of %d matched, %v; want t00 to t09", len(page.Tenants), page.Matched, err)
		}
		if _, err := f.e.TenantPage(t.Context(), "nope", "", 0, 10); !errors.Is(err, sluice.ErrQueueNotFound) {
			t.Errorf("TenantPage(nope) = %v, want ErrQueueNotFound", err)
		}
	})
}
