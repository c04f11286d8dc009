package engine

import (
	"cmp"
	"container/heap"
	"context"
	"slices"
	"strings"

	"github.com/sluicehq/sluice"
)

// TenantMetrics is one queue's tenants for metrics: the statistics of the
// tenants holding the most messages, and the sum of the others.
type TenantMetrics struct {
	Queue string
	// Backlog is the queue's messages: visible, in flight and delayed.
	Backlog int
	// Tenants are the largest tenants by messages held, ties broken by
	// name, with their full statistics.
	Tenants []sluice.TenantStats
	// Others counts the tenants summed into Other.
	Others int
	// Other sums the other tenants' counts, dispatches and dispatch rates.
	// It has no tenant, tier, policy, oldest age or wait percentiles: those
	// would cost a look at every tenant's messages.
	Other sluice.TenantStats
}

// TenantMetrics returns, for every queue with a named tenant, the
// statistics of its top tenants by messages held and the sum of the
// rest, in queue name order. Queues whose messages all belong to the
// default tenant are left out: their queue metrics say it all. Each
// partition answers in one turn; a queue costs one pass over its tenants
// plus the full statistics of its top ones.
func (e *Engine) TenantMetrics(ctx context.Context, top int) ([]TenantMetrics, error) {
	top = max(top, 1)
	var all []TenantMetrics
	for _, p := range e.partitions {
		part, err := call(ctx, p, func(reply func([]TenantMetrics, error)) {
			now := p.now()
			var out []TenantMetrics
			for _, q := range p.queues {
				if _, only := q.tenants[""]; len(q.tenants) == 0 || len(q.tenants) == 1 && only {
					continue
				}
				out = append(out, q.tenantMetrics(now, top))
			}
			reply(out, nil)
		})
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	slices.SortFunc(all, func(a, b TenantMetrics) int { return strings.Compare(a.Queue, b.Queue) })
	return all, nil
}

// tenantMetrics returns q's top tenants and the sum of the others at now.
// q.p's goroutine calls it.
func (q *queue) tenantMetrics(now int64, top int) TenantMetrics {
	st := q.snapshotStats(now)
	out := TenantMetrics{Queue: q.cfg.Name, Backlog: st.Visible + st.InFlight + st.Delayed}
	// A min-heap of the top tenants seen so far: one comparison per
	// tenant against the smallest kept, whatever the number of tenants.
	h := &tenantHeap{}
	rest := make([]*tenantStat, 0, max(len(q.tenants)-top, 0))
	for name, s := range q.tenants {
		c := tenantCount{name, s.live, s}
		switch {
		case h.Len() < top:
			heap.Push(h, c)
		case c.less((*h)[0]):
			rest = append(rest, s)
		default:
			rest = append(rest, (*h)[0].s)
			(*h)[0] = c
			heap.Fix(h, 0)
		}
	}
	kept := *h
	slices.SortFunc(kept, func(a, b tenantCount) int {
		return cmp.Or(cmp.Compare(b.live, a.live), strings.Compare(a.name, b.name))
	})
	out.Tenants = make([]sluice.TenantStats, len(kept))
	for i, c := range kept {
		out.Tenants[i] = q.tenantStats(c.name, now)
	}
	out.Others = len(rest)
	span := float64(5*slotWidth+now%slotWidth) / 1e9
	o := &out.Other
	for _, s := range rest {
		o.InFlight += s.inflight
		o.Delayed += s.delayed
		o.Visible += s.live - s.inflight - s.delayed
		o.Dispatched += s.dispatched
		s.roll(now)
		var n uint32
		for _, c := range s.slots {
			n += c
		}
		o.DispatchRate += float64(n) / span
	}
	return out
}

// tenantCount is a tenant and the messages it holds, for ranking.
type tenantCount struct {
	name string
	live int
	s    *tenantStat
}

// less reports whether c ranks below d: fewer messages, or as many and a
// later name.
func (c tenantCount) less(d tenantCount) bool {
	return c.live < d.live || c.live == d.live && c.name > d.name
}

// tenantHeap is a min-heap of tenantCounts, the lowest ranked on top.
type tenantHeap []tenantCount

func (h tenantHeap) Len() int           { return len(h) }
func (h tenantHeap) Less(i, j int) bool { return h[i].less(h[j]) }
func (h tenantHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *tenantHeap) Push(x any)        { *h = append(*h, x.(tenantCount)) }
func (h *tenantHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
