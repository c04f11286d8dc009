package engine

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/fair"
)

// policies holds the server-wide tenant settings: tiers and tenants'
// server-wide assignments. They are journaled in partition 0 and read by
// every partition when a tenant's policy is resolved; version changes with
// every setting, server-wide or per queue, so that partitions refresh the
// flows they hold once per change.
type policies struct {
	mu      sync.RWMutex // guards tiers and tenants
	tiers   map[string]sluice.TenantPolicy
	tenants map[string]tenantRec
	version atomic.Uint64
}

// tenantRec is a tenant's setting as journaled.
type tenantRec struct {
	Tier   string    `json:"tier,omitempty"`
	Policy policyRec `json:"p"`
}

// policyRec is a TenantPolicy as journaled.
type policyRec struct {
	Weight      float64 `json:"w,omitempty"`
	Rate        float64 `json:"r,omitempty"`
	Burst       int     `json:"b,omitempty"`
	MaxInFlight int     `json:"mif,omitempty"`
}

func (r policyRec) policy() sluice.TenantPolicy {
	return sluice.TenantPolicy{Weight: r.Weight, Rate: r.Rate, Burst: r.Burst, MaxInFlight: r.MaxInFlight}
}

func policyToRec(p sluice.TenantPolicy) policyRec {
	return policyRec{Weight: p.Weight, Rate: p.Rate, Burst: p.Burst, MaxInFlight: p.MaxInFlight}
}

// overlay sets p's fields from o where o's are set.
func overlay(p *sluice.TenantPolicy, o sluice.TenantPolicy) {
	p.Weight = cmp.Or(o.Weight, p.Weight)
	p.Rate = cmp.Or(o.Rate, p.Rate)
	p.Burst = cmp.Or(o.Burst, p.Burst)
	p.MaxInFlight = cmp.Or(o.MaxInFlight, p.MaxInFlight)
}

// resolve returns tenant's policy in q and the tier it comes from: the
// built-in default, overlaid by the default tier, the tenant's server-wide
// tier and overrides, then its tier and overrides in q. q.p's goroutine
// calls it.
func (q *queue) resolve(tenant string) (sluice.TenantPolicy, string) {
	pol := sluice.TenantPolicy{Weight: 1}
	tier := ""
	e := &q.p.e.pol
	e.mu.RLock()
	apply := func(r tenantRec) {
		if r.Tier != "" {
			overlay(&pol, e.tiers[r.Tier])
			tier = r.Tier
		}
		overlay(&pol, r.Policy.policy())
	}
	if _, ok := e.tiers[sluice.DefaultTier]; ok {
		apply(tenantRec{Tier: sluice.DefaultTier})
	}
	if r, ok := e.tenants[tenant]; ok {
		apply(r)
	}
	if r, ok := q.tenantCfg[tenant]; ok {
		apply(r)
	}
	e.mu.RUnlock()
	return pol, tier
}

func toFair(p sluice.TenantPolicy) fair.Policy {
	return fair.Policy{Weight: p.Weight, Rate: p.Rate, Burst: p.Burst, MaxInFlight: p.MaxInFlight}
}

// tenantStat is one tenant's counts and recent history in a queue, for
// statistics. It lives while the tenant has messages or samples in the
// window.
type tenantStat struct {
	live, delayed, inflight int
	dispatched              uint64
	// Dispatches per tenth of the window, the newest at slot epoch%len.
	slots [6]uint32
	epoch int64
	// The latest first-receive waits, a ring of up to waitSamples.
	waits []waitSample
	next  int
}

type waitSample struct{ at, wait int64 }

const (
	waitSamples = 128
	slotWidth   = int64(sluice.TenantStatsWindow) / 6
)

// tally returns m's tenant's statistics, creating them.
func (q *queue) tally(tenant string) *tenantStat {
	s := q.tenants[tenant]
	if s == nil {
		if q.tenants == nil {
			q.tenants = make(map[string]*tenantStat)
		}
		s = &tenantStat{}
		q.tenants[tenant] = s
	}
	return s
}

// dispatch records one delivery at now; wait is the time from send to first
// receive, or negative for a redelivery.
func (s *tenantStat) dispatch(now, wait int64) {
	s.dispatched++
	s.roll(now)
	s.slots[s.epoch%int64(len(s.slots))]++
	if wait < 0 {
		return
	}
	if len(s.waits) < waitSamples {
		s.waits = append(s.waits, waitSample{now, wait})
		return
	}
	s.waits[s.next] = waitSample{now, wait}
	s.next = (s.next + 1) % waitSamples
}

// roll advances the dispatch slots to now, clearing the slots passed.
func (s *tenantStat) roll(now int64) {
	e := now / slotWidth
	for i := s.epoch + 1; i <= e && i <= s.epoch+int64(len(s.slots)); i++ {
		s.slots[i%int64(len(s.slots))] = 0
	}
	s.epoch = max(s.epoch, e)
}

// quiet reports whether s has nothing to report at now.
func (s *tenantStat) quiet(now int64) bool {
	if s.live > 0 {
		return false
	}
	for _, w := range s.waits {
		if now-w.at < int64(sluice.TenantStatsWindow) {
			return false
		}
	}
	return now/slotWidth-s.epoch >= int64(len(s.slots))
}

// tenantStats returns tenant's statistics in q at now.
func (q *queue) tenantStats(tenant string, now int64) sluice.TenantStats {
	pol, tier := q.resolve(tenant)
	out := sluice.TenantStats{Tenant: tenant, Tier: tier, Policy: pol}
	s := q.tenants[tenant]
	if s == nil {
		return out
	}
	out.InFlight, out.Delayed = s.inflight, s.delayed
	out.Visible = s.live - s.inflight - s.delayed
	out.Dispatched = s.dispatched
	s.roll(now)
	var n uint32
	for _, c := range s.slots {
		n += c
	}
	// The current slot is partial: the window covers five full slots and
	// the current one's elapsed part.
	span := float64(5*slotWidth+now%slotWidth) / 1e9
	out.DispatchRate = float64(n) / span
	var waits []int64
	for _, w := range s.waits {
		if now-w.at < int64(sluice.TenantStatsWindow) {
			waits = append(waits, w.wait)
		}
	}
	if len(waits) > 0 {
		slices.Sort(waits)
		out.WaitSamples = len(waits)
		// Nearest rank: the smallest sample at or above the fraction.
		rank := func(pct int) time.Duration { return time.Duration(waits[(len(waits)*pct+99)/100-1]) }
		out.WaitP50, out.WaitP99 = rank(50), rank(99)
	}
	if t := q.ready.tenants[tenant]; t != nil && !q.ready.unfair {
		if m, _ := t.peek(); m != nil {
			out.OldestAge = time.Duration(max(now-m.sentAt, 0))
		}
	}
	return out
}

// listTenants returns the statistics of every tenant with messages or
// recent activity in q, noisiest first: most messages held (in flight, then
// backlog), then highest dispatch rate, then name.
func (q *queue) listTenants(now int64) []sluice.TenantStats {
	out := make([]sluice.TenantStats, 0, len(q.tenants))
	for name := range q.tenants {
		out = append(out, q.tenantStats(name, now))
	}
	slices.SortFunc(out, func(a, b sluice.TenantStats) int {
		return cmp.Or(
			cmp.Compare(b.InFlight, a.InFlight),
			cmp.Compare(b.Visible+b.Delayed, a.Visible+a.Delayed),
			cmp.Compare(b.DispatchRate, a.DispatchRate),
			cmp.Compare(a.Tenant, b.Tenant))
	})
	return out
}

// sweepTenants forgets tenants with nothing left to report.
func (q *queue) sweepTenants(now int64) {
	for name, s := range q.tenants {
		if s.quiet(now) {
			delete(q.tenants, name)
		}
	}
	if !q.fifo {
		q.ready.sweep(now)
	}
}

// Tenant hooks, called where a message's state changes.

// tenantAdded counts a new live message.
func (q *queue) tenantAdded(m *message) { q.tally(m.tenant).live++ }

// tenantRemoved counts a message gone.
func (q *queue) tenantRemoved(m *message) {
	if s := q.tenants[m.tenant]; s != nil {
		s.live--
	}
}

// tenantDelayed counts a message entering (+1) or leaving (-1) the delay.
func (q *queue) tenantDelayed(m *message, d int) { q.tally(m.tenant).delayed += d }

// tenantLeased counts a delivery at now, for statistics; a delivery taken
// through the ready index was counted against the tenant's in-flight cap
// there.
func (q *queue) tenantLeased(m *message, now int64) {
	s := q.tally(m.tenant)
	s.inflight++
	wait := int64(-1)
	if m.first == 0 {
		wait = max(now-m.sentAt, 0)
	}
	s.dispatch(now, wait)
}

// tenantRestored counts a message restored in flight (replay, snapshot),
// for statistics and against the tenant's in-flight cap.
func (q *queue) tenantRestored(m *message) {
	q.tally(m.tenant).inflight++
	if !q.fifo {
		q.ready.leased(m, q.p.now())
	}
}

// tenantReleased counts a message leaving flight, which frees a slot of the
// tenant's in-flight cap: parked receives may now be served. A first
// delivery's processing time is billed to the tenant (not during replay,
// whose clock says nothing about it).
func (q *queue) tenantReleased(m *message) {
	if s := q.tenants[m.tenant]; s != nil {
		s.inflight--
	}
	if !q.fifo {
		now := q.p.now()
		q.ready.released(m, now)
		if m.receives == 1 && m.first > 0 && q.p.e.running() {
			q.ready.processed(m, now-m.first)
		}
		if len(q.waiters) > 0 {
			q.p.throttled[q] = struct{}{}
		}
	}
}

// running reports whether Run has started: false while the journal is
// replayed.
func (e *Engine) running() bool {
	select {
	case <-e.started:
		return true
	default:
		return false
	}
}
