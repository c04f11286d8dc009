package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/sluicehq/sluice"
)

// Tenant settings: tiers and server-wide assignments are journaled in
// partition 0; a queue's tenant settings in the queue's partition.

// applyTenant applies an opTier or opTenant record.
func (p *partition) applyTenant(o *op) {
	pol := &p.e.pol
	defer pol.version.Add(1)
	if o.typ == opTier {
		var r policyRec
		json.Unmarshal(o.js, &r) // checked by decodeOp and by SetTier
		pol.mu.Lock()
		if pol.tiers == nil {
			pol.tiers = make(map[string]sluice.TenantPolicy)
		}
		pol.tiers[o.name] = r.policy()
		pol.mu.Unlock()
		return
	}
	var r tenantRec
	clear := len(o.js) == 0
	if !clear {
		json.Unmarshal(o.js, &r)
	}
	if o.queue == 0 {
		pol.mu.Lock()
		if pol.tenants == nil {
			pol.tenants = make(map[string]tenantRec)
		}
		if clear {
			delete(pol.tenants, o.name)
		} else {
			pol.tenants[o.name] = r
		}
		pol.mu.Unlock()
		return
	}
	q := p.byID[o.queue]
	if q == nil {
		return
	}
	if clear {
		delete(q.tenantCfg, o.name)
		return
	}
	if q.tenantCfg == nil {
		q.tenantCfg = make(map[string]tenantRec)
	}
	q.tenantCfg[o.name] = r
}

// captureTenants returns the records of q's tenant settings.
func (q *queue) captureTenants() []op {
	ops := make([]op, 0, len(q.tenantCfg))
	for name, r := range q.tenantCfg {
		js, _ := json.Marshal(r)
		ops = append(ops, op{typ: opTenant, queue: q.id, name: name, js: js})
	}
	return ops
}

// captureTenants returns the records of the server-wide settings, which
// partition 0 holds.
func (p *partition) captureTenants() []op {
	if p.id != 0 {
		return nil
	}
	pol := &p.e.pol
	pol.mu.RLock()
	defer pol.mu.RUnlock()
	var ops []op
	for name, t := range pol.tiers {
		js, _ := json.Marshal(policyToRec(t))
		ops = append(ops, op{typ: opTier, name: name, js: js})
	}
	for name, r := range pol.tenants {
		js, _ := json.Marshal(r)
		ops = append(ops, op{typ: opTenant, name: name, js: js})
	}
	return ops
}

// resetTenantStats forgets the history replay made up.
func (q *queue) resetTenantStats() {
	for _, s := range q.tenants {
		s.dispatched, s.slots, s.waits, s.next = 0, [6]uint32{}, nil, 0
	}
}

// wakeThrottled serves parked receives of queues whose tenants were held
// back, now that tokens may have arrived or slots freed.
func (p *partition) wakeThrottled(now int64) {
	for q := range p.throttled {
		if p.byID[q.id] != q || len(q.waiters) == 0 || q.ready.count == 0 {
			delete(p.throttled, q)
			continue
		}
		if q.ready.servable(now) {
			p.wake(q)
		}
		if len(q.waiters) == 0 {
			delete(p.throttled, q)
		}
	}
}

// nextToken returns the earlier of next and when a throttled queue's next
// token arrives.
func (p *partition) nextToken(next int64) int64 {
	now := p.now()
	for q := range p.throttled {
		if at, ok := q.ready.sched.NextToken(now); ok {
			next = min(next, at)
		}
	}
	return next
}

// checkPolicy validates a tenant policy; field prefixes the field names.
func checkPolicy(field string, p sluice.TenantPolicy) error {
	switch {
	case p.Weight < 0 || p.Weight > 1e6 || math.IsNaN(p.Weight):
		return sluice.Invalid(field+".weight", "%v is outside 0 to 1000000", p.Weight)
	case p.Rate < 0 || p.Rate > 1e9 || math.IsNaN(p.Rate):
		return sluice.Invalid(field+".rate", "%v is outside 0 to 1000000000", p.Rate)
	case p.Burst < 0 || p.Burst > 1e9:
		return sluice.Invalid(field+".burst", "%d is outside 0 to 1000000000", p.Burst)
	case p.MaxInFlight < 0 || p.MaxInFlight > 1e9:
		return sluice.Invalid(field+".max_in_flight", "%d is outside 0 to 1000000000", p.MaxInFlight)
	}
	return nil
}

// CheckTier returns the error SetTier gives for t's name or policy, if
// any: cluster mode checks tiers before it stores them for every engine.
func CheckTier(t sluice.Tier) error {
	if err := validToken("name", t.Name); err != nil {
		return err
	}
	return checkPolicy("policy", t.Policy)
}

// CheckTenant returns the error SetTenant gives for c's tenant name or
// policy under limits, if any; it does not look the tier or queue up.
func CheckTenant(limits sluice.Limits, c sluice.TenantConfig) error {
	if err := limits.WithDefaults().ValidateTenant("tenant", c.Tenant); err != nil {
		return err
	}
	return checkPolicy("policy", c.Policy)
}

// SetTier creates or replaces a tier. Changes apply at once to every queue
// and survive restarts.
func (e *Engine) SetTier(ctx context.Context, t sluice.Tier) (sluice.Tier, error) {
	if err := CheckTier(t); err != nil {
		return sluice.Tier{}, err
	}
	js, _ := json.Marshal(policyToRec(t.Policy))
	p := e.partitions[0]
	return call(ctx, p, func(reply func(sluice.Tier, error)) {
		if err := e.writable(); err != nil {
			reply(sluice.Tier{}, err)
			return
		}
		o := &op{typ: opTier, name: t.Name, js: js}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, t)
	})
}

// Tiers returns every tier by name.
func (e *Engine) Tiers(ctx context.Context) ([]sluice.Tier, error) {
	e.pol.mu.RLock()
	defer e.pol.mu.RUnlock()
	out := make([]sluice.Tier, 0, len(e.pol.tiers))
	for name, p := range e.pol.tiers {
		out = append(out, sluice.Tier{Name: name, Policy: p})
	}
	slices.SortFunc(out, func(a, b sluice.Tier) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// SetTenant sets a tenant's tier and policy overrides, server-wide or in
// one queue. A setting with no tier and a zero policy clears it. Changes
// apply at once and survive restarts. It returns sluice.ErrTierNotFound
// for an unknown tier and sluice.ErrQueueNotFound for an unknown queue.
func (e *Engine) SetTenant(ctx context.Context, c sluice.TenantConfig) (sluice.TenantConfig, error) {
	if err := e.limits.ValidateTenant("tenant", c.Tenant); err != nil {
		return c, err
	}
	if err := checkPolicy("policy", c.Policy); err != nil {
		return c, err
	}
	if c.Tier != "" {
		e.pol.mu.RLock()
		_, ok := e.pol.tiers[c.Tier]
		e.pol.mu.RUnlock()
		if !ok {
			return c, fmt.Errorf("tier %q: %w", c.Tier, sluice.ErrTierNotFound)
		}
	}
	var js []byte
	if c.Tier != "" || c.Policy != (sluice.TenantPolicy{}) {
		js, _ = json.Marshal(tenantRec{Tier: c.Tier, Policy: policyToRec(c.Policy)})
	}
	p := e.partitions[0]
	if c.Queue != "" {
		p = e.partitionFor(c.Queue)
	}
	return call(ctx, p, func(reply func(sluice.TenantConfig, error)) {
		if err := e.writable(); err != nil {
			reply(c, err)
			return
		}
		o := &op{typ: opTenant, name: c.Tenant, js: js}
		if c.Queue != "" {
			q, err := p.queue(c.Queue)
			if err != nil {
				reply(c, err)
				return
			}
			o.queue = q.id
		}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, c)
	})
}

// TenantConfigs returns the tenant settings of a queue, or the server-wide
// ones when queue is empty, by tenant name.
func (e *Engine) TenantConfigs(ctx context.Context, queue string) ([]sluice.TenantConfig, error) {
	list := func(m map[string]tenantRec) []sluice.TenantConfig {
		out := make([]sluice.TenantConfig, 0, len(m))
		for name, r := range m {
			out = append(out, sluice.TenantConfig{Tenant: name, Queue: queue, Tier: r.Tier, Policy: r.Policy.policy()})
		}
		slices.SortFunc(out, func(a, b sluice.TenantConfig) int { return cmp.Compare(a.Tenant, b.Tenant) })
		return out
	}
	if queue == "" {
		e.pol.mu.RLock()
		defer e.pol.mu.RUnlock()
		return list(e.pol.tenants), nil
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func([]sluice.TenantConfig, error)) {
		q, err := p.queue(queue)
		if err != nil {
			reply(nil, err)
			return
		}
		reply(list(q.tenantCfg), nil)
	})
}

// TenantConfig returns a tenant's setting in a queue, or server-wide when
// queue is empty; a tenant with none has an empty setting.
func (e *Engine) TenantConfig(ctx context.Context, queue, tenant string) (sluice.TenantConfig, error) {
	all, err := e.TenantConfigs(ctx, queue)
	if err != nil {
		return sluice.TenantConfig{}, err
	}
	for _, c := range all {
		if c.Tenant == tenant {
			return c, nil
		}
	}
	return sluice.TenantConfig{Tenant: tenant, Queue: queue}, nil
}

// TenantStats returns the statistics of every tenant with messages or
// recent deliveries in a queue, noisiest first: most in flight, then
// largest backlog, then highest dispatch rate.
func (e *Engine) TenantStats(ctx context.Context, queue string) ([]sluice.TenantStats, error) {
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func([]sluice.TenantStats, error)) {
		q, err := p.queue(queue)
		if err != nil {
			reply(nil, err)
			return
		}
		reply(q.listTenants(p.now()), nil)
	})
}

// Tenant returns one tenant's statistics in a queue, with the policy in
// effect; a tenant with no messages has zero counts.
func (e *Engine) Tenant(ctx context.Context, queue, tenant string) (sluice.TenantStats, error) {
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func(sluice.TenantStats, error)) {
		q, err := p.queue(queue)
		if err != nil {
			reply(sluice.TenantStats{}, err)
			return
		}
		reply(q.tenantStats(tenant, p.now()), nil)
	})
}
