package engine

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/sluicehq/sluice"
)

// TenantPage is a page of a queue's tenants.
type TenantPage struct {
	Tenants []sluice.TenantStats
	Matched int // tenants matching the search
	All     int // tenants with messages or recent deliveries
}

// TenantPage returns up to limit of a queue's tenants from offset, in the
// order of TenantStats (noisiest first), among those whose name contains
// search, ignoring case (empty matches all). Only the page's tenants get
// their full statistics and a page costs one pass over the tenants plus a
// partial sort, so a page of 50 among 100,000 tenants stays cheap. It
// returns sluice.ErrQueueNotFound for an unknown queue.
func (e *Engine) TenantPage(ctx context.Context, queue, search string, offset, limit int) (TenantPage, error) {
	offset, limit = max(offset, 0), max(limit, 1)
	needle := strings.ToLower(search)
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func(TenantPage, error)) {
		q, err := p.queue(queue)
		if err != nil {
			reply(TenantPage{}, err)
			return
		}
		now := p.now()
		out := TenantPage{All: len(q.tenants)}
		keys := make([]tenantKey, 0, len(q.tenants))
		for name, s := range q.tenants {
			if needle != "" && !strings.Contains(strings.ToLower(name), needle) {
				continue
			}
			s.roll(now)
			var n uint32
			for _, c := range s.slots {
				n += c
			}
			keys = append(keys, tenantKey{name: name, inflight: s.inflight, held: s.live - s.inflight, recent: n})
		}
		out.Matched = len(keys)
		for _, k := range pageOf(keys, offset, limit) {
			out.Tenants = append(out.Tenants, q.tenantStats(k.name, now))
		}
		reply(out, nil)
	})
}

// tenantKey is what tenants are ranked by, as in listTenants: in flight,
// then held otherwise (visible and delayed), then dispatches in the
// window, then name.
type tenantKey struct {
	name           string
	inflight, held int
	recent         uint32
}

func compareKeys(a, b tenantKey) int {
	return cmp.Or(cmp.Compare(b.inflight, a.inflight), cmp.Compare(b.held, a.held),
		cmp.Compare(b.recent, a.recent), strings.Compare(a.name, b.name))
}

// pageOf returns keys[offset:offset+limit] as if keys were sorted by
// compareKeys, sorting only what it must: the first offset+limit keys, or
// for a page near the end the last len-offset ones.
func pageOf(keys []tenantKey, offset, limit int) []tenantKey {
	n := len(keys)
	if offset >= n {
		return nil
	}
	end := offset + min(limit, n-offset)
	if end <= n-offset {
		return smallest(keys, end, compareKeys)[offset:end]
	}
	// The last n-offset keys in reverse order, smallest last.
	tail := smallest(keys, n-offset, func(a, b tenantKey) int { return compareKeys(b, a) })
	slices.Reverse(tail)
	return tail[:end-offset]
}

// smallest returns the k smallest of keys by compare, sorted, in a new
// slice. A max-heap of the k smallest so far costs one comparison per key
// that does not belong.
func smallest(keys []tenantKey, k int, compare func(a, b tenantKey) int) []tenantKey {
	h := make([]tenantKey, 0, k)
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && compare(h[r], h[l]) > 0 {
				l = r
			}
			if compare(h[l], h[i]) <= 0 {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for _, key := range keys {
		if len(h) < k {
			h = append(h, key)
			for i := len(h) - 1; i > 0; {
				parent := (i - 1) / 2
				if compare(h[i], h[parent]) <= 0 {
					break
				}
				h[i], h[parent] = h[parent], h[i]
				i = parent
			}
			continue
		}
		if compare(key, h[0]) < 0 {
			h[0] = key
			down(0)
		}
	}
	slices.SortFunc(h, compare)
	return h
}

// TopTenants returns a queue's limit noisiest tenants, in the order of
// TenantStats, building full statistics only for them: at 100,000 tenants
// a page of 100 costs about a tenth of TenantStats.
func (e *Engine) TopTenants(ctx context.Context, queue string, limit int) ([]sluice.TenantStats, error) {
	page, err := e.TenantPage(ctx, queue, "", 0, limit)
	return page.Tenants, err
}
