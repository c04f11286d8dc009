package engine

import (
	"container/heap"
	"context"

	"slices"
	"time"

	"github.com/sluicehq/sluice"
)

// The Task Monitor's queries: one pass over a tracked queue's live tasks on
// the partition's goroutine, so that nothing is copied but the answer.

// ageOf classifies a live task at now: its kind (running or waiting), its
// age, and whether it is orphaned or retrying.
func ageOf(m *message, now int64) (running bool, age int64, orphaned, retrying bool) {
	if m.state == stateInFlight {
		start := m.sentAt
		if m.task != nil && m.task.started != 0 {
			start = m.task.started
		}
		// A lease past its end is orphaned even before the timer fires.
		return m.visible > now, now - start, m.visible <= now, false
	}
	failed := m.task != nil && m.task.failed
	return false, now - m.sentAt, m.state == stateReady && m.receives > 0 && !failed, failed
}

// TaskAges counts a tracked queue's active tasks in age buckets bounded by
// bounds (ascending), per tenant too when perTenant is set.
func (e *Engine) TaskAges(ctx context.Context, queue string, bounds []time.Duration, perTenant bool) (sluice.TaskAges, error) {
	if !slices.IsSorted(bounds) || len(bounds) > 32 {
		return sluice.TaskAges{}, sluice.Invalid("buckets", "must be at most 32 ascending durations")
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func(sluice.TaskAges, error)) {
		q, err := p.trackedQueue(queue)
		if err != nil {
			reply(sluice.TaskAges{}, err)
			return
		}
		reply(q.ages(bounds, perTenant, p.now()), nil)
	})
}

func newAgeCounts(n int) *sluice.AgeCounts {
	return &sluice.AgeCounts{WaitingBuckets: make([]int, n), RunningBuckets: make([]int, n)}
}

func (q *queue) ages(bounds []time.Duration, perTenant bool, now int64) sluice.TaskAges {
	r := sluice.TaskAges{Queue: q.cfg.Name, Bounds: slices.Clone(bounds), AgeCounts: *newAgeCounts(len(bounds))}
	var tenants []*sluice.AgeCounts // by tenant id
	if perTenant {
		r.Tenants = map[string]*sluice.AgeCounts{}
		tenants = make([]*sluice.AgeCounts, len(q.tasks.tenants))
	}
	count := func(c *sluice.AgeCounts, running bool, age int64, i int, orphaned, retrying bool) {
		if running {
			c.Running++
			c.OldestRunning = max(c.OldestRunning, time.Duration(age))
			if i >= 0 {
				c.RunningBuckets[i]++
			}
		} else {
			c.Waiting++
			c.OldestWaiting = max(c.OldestWaiting, time.Duration(age))
			if i >= 0 {
				c.WaitingBuckets[i]++
			}
		}
		if orphaned {
			c.Orphaned++
		}
		if retrying {
			c.Retrying++
		}
	}
	for k := range q.tasks.active {
		rec := &q.tasks.active[k]
		skip, running, age, orphaned, retrying := rec.classify(now)
		if skip {
			continue
		}
		i := bucketOf(bounds, age)
		count(&r.AgeCounts, running, age, i, orphaned, retrying)
		if perTenant {
			c := tenants[rec.tenant]
			if c == nil {
				c = newAgeCounts(len(bounds))
				tenants[rec.tenant] = c
				r.Tenants[q.tasks.tenants[rec.tenant]] = c
			}
			count(c, running, age, i, orphaned, retrying)
		}
	}
	return r
}

// bucketOf returns the index of the last bound at most age, or -1.
func bucketOf(bounds []time.Duration, age int64) int {
	i := len(bounds) - 1
	for i >= 0 && int64(bounds[i]) > age {
		i--
	}
	return i
}

// OldestTasks lists a tracked queue's active tasks of q.Kind within its age
// range, oldest first.
func (e *Engine) OldestTasks(ctx context.Context, queue string, aq sluice.TaskAgeQuery) ([]sluice.TaskStatus, error) {
	if !aq.Kind.Valid() {
		return nil, sluice.Invalid("kind", "%q is not waiting, running, orphaned or retrying", aq.Kind)
	}
	if aq.Over < 0 || aq.Under < 0 {
		return nil, sluice.Invalid("over", "ages must not be negative")
	}
	limit := aq.Limit
	if limit == 0 {
		limit = 100
	}
	if limit < 0 || limit > 1000 {
		return nil, sluice.Invalid("limit", "%d is outside 1 to 1000", limit)
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func([]sluice.TaskStatus, error)) {
		q, err := p.trackedQueue(queue)
		if err != nil {
			reply(nil, err)
			return
		}
		reply(q.oldestTasks(aq, limit, p.now()), nil)
	})
}

func (q *queue) oldestTasks(aq sluice.TaskAgeQuery, limit int, now int64) []sluice.TaskStatus {
	tenant := int32(-1)
	if aq.Tenant != "" {
		id, ok := q.tasks.tenantIDs[aq.Tenant]
		if !ok {
			return []sluice.TaskStatus{}
		}
		tenant = id
	}
	// The limit oldest hits, in a heap with the youngest on top.
	hits := &ageHeap{}
	for k := range q.tasks.active {
		rec := &q.tasks.active[k]
		if tenant >= 0 && rec.tenant != tenant {
			continue
		}
		skip, running, age, orphaned, retrying := rec.classify(now)
		if skip {
			continue
		}
		switch aq.Kind {
		case sluice.AgeRunning:
			if !running {
				continue
			}
		case sluice.AgeWaiting:
			if running {
				continue
			}
		case sluice.AgeOrphaned:
			if !orphaned {
				continue
			}
		case sluice.AgeRetrying:
			if !retrying {
				continue
			}
		}
		if age < int64(aq.Over) || aq.Under > 0 && age >= int64(aq.Under) {
			continue
		}
		switch {
		case hits.Len() < limit:
			heap.Push(hits, ageHit{rec.m, age})
		case age > (*hits)[0].age || age == (*hits)[0].age && rec.m.seq < (*hits)[0].m.seq:
			(*hits)[0] = ageHit{rec.m, age}
			heap.Fix(hits, 0)
		}
	}
	out := make([]sluice.TaskStatus, hits.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = q.status(heap.Pop(hits).(ageHit).m)
	}
	return out
}

type ageHit struct {
	m   *message
	age int64
}

// ageHeap keeps the youngest hit (and of equal ages the latest sent) on
// top.
type ageHeap []ageHit

func (h ageHeap) Len() int { return len(h) }
func (h ageHeap) Less(i, j int) bool {
	if h[i].age != h[j].age {
		return h[i].age < h[j].age
	}
	return h[i].m.seq > h[j].m.seq
}
func (h ageHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *ageHeap) Push(x any)   { *h = append(*h, x.(ageHit)) }
func (h *ageHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
