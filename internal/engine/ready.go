package engine

import (
	"container/heap"
	"sync/atomic"

	"github.com/sluicehq/sluice/internal/fair"
)

// tenantReady holds one tenant's ready messages of a standard queue: fresh
// sends in arrival order, and returned or undelayed messages in a heap, so
// that the lowest sequence is delivered first. It lives while the tenant
// has messages ready or in flight, or a rate-limit bucket that is not yet
// full again (so that its limits outlast short idle spells), and until the
// next housekeeping after that.
type tenantReady struct {
	name     string
	fresh    deque
	returned seqHeap
	ready    int // live ready messages
	flow     fair.Flow
	version  uint64 // policy version the flow's policy was resolved at
}

func notReady(m *message) bool { return m.state != stateReady }

// peek returns the tenant's ready message with the lowest sequence.
func (t *tenantReady) peek() (*message, bool) {
	for len(t.returned) > 0 && notReady(t.returned[0]) {
		heap.Pop(&t.returned)
	}
	f := t.fresh.front(notReady)
	if len(t.returned) > 0 && (f == nil || t.returned[0].seq < f.seq) {
		return t.returned[0], true
	}
	return f, false
}

// readyIndex is a standard queue's ready messages, per tenant, served
// weighted-fair by a fair.Scheduler. With fairness off every message is
// filed under one flow, which delivers in sequence order with no limits.
type readyIndex struct {
	tenants map[string]*tenantReady
	sched   fair.Scheduler
	count   int
	unfair  bool
	// policy resolves a tenant's policy; nil means the built-in default.
	// ver is the policy version, which changes with every setting.
	policy  func(tenant string) fair.Policy
	ver     *atomic.Uint64
	version uint64 // policy version every flow was last refreshed at
	// meanProc is the moving mean of processing times (first receive to
	// ack or timeout), in nanoseconds; zero until the first is measured.
	meanProc float64
}

func (r *readyIndex) key(m *message) string {
	if r.unfair {
		return ""
	}
	return m.tenant
}

func (r *readyIndex) tenant(name string, now int64) *tenantReady {
	t := r.tenants[name]
	if t == nil {
		if r.tenants == nil {
			r.tenants = make(map[string]*tenantReady)
		}
		t = &tenantReady{name: name}
		t.flow.Owner = t
		r.tenants[name] = t
		r.refresh(t, now)
	}
	return t
}

// refresh applies t's current policy.
func (r *readyIndex) refresh(t *tenantReady, now int64) {
	if r.policy == nil || r.unfair {
		return
	}
	v := r.ver.Load()
	p := r.policy(t.name)
	t.version = v
	if p != t.flow.Policy() {
		r.sched.SetPolicy(&t.flow, p, now)
	}
}

// refreshAll applies changed policies to every flow, once per change.
func (r *readyIndex) refreshAll(now int64) {
	if r.policy == nil || r.unfair {
		return
	}
	v := r.ver.Load()
	if v == r.version {
		return
	}
	r.version = v
	for _, t := range r.tenants {
		if t.version != v {
			r.refresh(t, now)
		}
	}
}

// add makes m ready. fresh says it arrives in sequence order (a new send).
func (r *readyIndex) add(m *message, fresh bool, now int64) {
	t := r.tenant(r.key(m), now)
	if fresh {
		t.fresh.push(m)
	} else {
		heap.Push(&t.returned, m)
	}
	t.ready++
	r.count++
	if t.ready == 1 {
		r.sched.Backlog(&t.flow, true, now)
	}
}

// removed accounts for a ready message that left the ready state other than
// through pop (expiry, purge); its entry is dropped lazily.
func (r *readyIndex) removed(m *message, now int64) {
	t := r.tenants[r.key(m)]
	if t == nil {
		return
	}
	t.ready--
	r.count--
	if t.ready == 0 {
		r.drained(t, now)
	}
}

// drained forgets t's emptied lists and takes it off the schedule. The
// entry itself stays until sweep, so that a tenant that sends again soon
// costs no allocation and keeps its pass.
func (r *readyIndex) drained(t *tenantReady, now int64) {
	t.fresh.reset()
	t.returned = nil
	r.sched.Backlog(&t.flow, false, now)
}

// forget drops t if it holds nothing the scheduler still needs.
func (r *readyIndex) forget(t *tenantReady, now int64) {
	if t.ready == 0 && t.flow.Settled(now) {
		delete(r.tenants, t.name)
	}
}

// servable reports whether pop would return a message at now.
func (r *readyIndex) servable(now int64) bool {
	if r.count == 0 {
		return false
	}
	r.refreshAll(now)
	return r.sched.Next(now) != nil
}

// pop removes and returns the next ready message of the tenant the
// scheduler picks, charging the tenant for it; nil when nothing is ready or
// every tenant with ready messages is held back by its limits.
func (r *readyIndex) pop(now int64) *message {
	if r.count == 0 {
		return nil
	}
	r.refreshAll(now)
	for {
		f := r.sched.Next(now)
		if f == nil {
			return nil
		}
		t := f.Owner.(*tenantReady)
		m := r.take(t)
		if m == nil {
			t.ready = 0
			r.drained(t, now)
			continue
		}
		r.sched.Dispatched(f, 1, t.ready > 0, now)
		if t.ready == 0 {
			t.fresh.reset()
			t.returned = nil
		}
		return m
	}
}

// popAny removes and returns a ready message regardless of limits, for
// moves that are not deliveries (redrive). It does not charge the tenant.
func (r *readyIndex) popAny(now int64) *message {
	for _, t := range r.tenants {
		if m := r.take(t); m != nil {
			if t.ready == 0 {
				r.drained(t, now)
			}
			return m
		}
	}
	return nil
}

// take removes t's lowest-sequence ready message.
func (r *readyIndex) take(t *tenantReady) *message {
	m, returned := t.peek()
	if m == nil {
		return nil
	}
	if returned {
		heap.Pop(&t.returned)
	} else {
		t.fresh.pop()
	}
	t.ready--
	r.count--
	return m
}

// leased counts m in flight for its tenant's cap (a lease replayed or
// restored, not taken through pop).
func (r *readyIndex) leased(m *message, now int64) {
	t := r.tenant(r.key(m), now)
	r.sched.Leased(&t.flow, now)
}

// released counts m, which was in flight, as no longer so.
func (r *readyIndex) released(m *message, now int64) {
	t := r.tenants[r.key(m)]
	if t == nil {
		return
	}
	r.sched.Released(&t.flow, now)
}

// maxProcCharge caps the extra dispatches one slow message is billed.
const maxProcCharge = 10

// processed bills m's tenant for a processing time d beyond the queue's
// mean: a message that took k times the mean costs k dispatches instead of
// one, so that a tenant with few but slow messages counts as busy. Faster
// than the mean costs nothing extra; the bill is capped at maxProcCharge.
func (r *readyIndex) processed(m *message, d int64) {
	t := r.tenants[r.key(m)]
	if t == nil || r.unfair || d < 0 {
		return
	}
	if r.meanProc == 0 {
		r.meanProc = float64(d)
		return
	}
	r.meanProc += (float64(d) - r.meanProc) / 64
	if extra := min(float64(d)/r.meanProc-1, maxProcCharge); extra > 0 {
		r.sched.Charge(&t.flow, extra)
	}
}

// sweep drops tenants with nothing ready or in flight whose buckets have
// refilled; housekeeping calls it once a second.
func (r *readyIndex) sweep(now int64) {
	for _, t := range r.tenants {
		r.forget(t, now)
	}
}

// initReady connects q's ready index to the tenant policies.
func (q *queue) initReady() {
	q.ready.unfair = q.cfg.DisableFairness
	q.ready.ver = &q.p.e.pol.version
	q.ready.policy = func(tenant string) fair.Policy {
		p, _ := q.resolve(tenant)
		return toFair(p)
	}
}
