package wire

import (
	"time"

	"github.com/sluicehq/sluice"
)

// TenantPolicy is a tenant's or tier's limits. Zero or omitted fields
// inherit.
type TenantPolicy struct {
	Weight      float64 `json:"weight,omitempty"`
	Rate        float64 `json:"rate,omitempty"` // messages per second
	Burst       int     `json:"burst,omitempty"`
	MaxInFlight int     `json:"max_in_flight,omitempty"`
}

// FromTenantPolicy returns the document for p.
func FromTenantPolicy(p sluice.TenantPolicy) TenantPolicy {
	return TenantPolicy{Weight: p.Weight, Rate: p.Rate, Burst: p.Burst, MaxInFlight: p.MaxInFlight}
}

// TenantPolicy returns the policy p describes.
func (p TenantPolicy) TenantPolicy() sluice.TenantPolicy {
	return sluice.TenantPolicy{Weight: p.Weight, Rate: p.Rate, Burst: p.Burst, MaxInFlight: p.MaxInFlight}
}

// Tier is the body of PUT /v1/tiers/{name}'s response and an entry of
// GET /v1/tiers.
type Tier struct {
	Name   string       `json:"name"`
	Policy TenantPolicy `json:"policy"`
}

// FromTier returns the document for t.
func FromTier(t sluice.Tier) Tier { return Tier{Name: t.Name, Policy: FromTenantPolicy(t.Policy)} }

// Tier returns the tier t describes.
func (t Tier) Tier() sluice.Tier { return sluice.Tier{Name: t.Name, Policy: t.Policy.TenantPolicy()} }

// SetTierRequest is the body of PUT /v1/tiers/{name}.
type SetTierRequest struct {
	Policy TenantPolicy `json:"policy"`
}

// ListTiersResponse is the body of GET /v1/tiers.
type ListTiersResponse struct {
	Tiers []Tier `json:"tiers"`
}

// TenantSetting is a tenant's tier and policy overrides, server-wide
// (queue omitted) or in one queue.
type TenantSetting struct {
	Tenant string       `json:"tenant"`
	Queue  string       `json:"queue,omitempty"`
	Tier   string       `json:"tier,omitempty"`
	Policy TenantPolicy `json:"policy"`
}

// FromTenantConfig returns the document for c.
func FromTenantConfig(c sluice.TenantConfig) TenantSetting {
	return TenantSetting{Tenant: c.Tenant, Queue: c.Queue, Tier: c.Tier, Policy: FromTenantPolicy(c.Policy)}
}

// TenantConfig returns the setting s describes.
func (s TenantSetting) TenantConfig() sluice.TenantConfig {
	return sluice.TenantConfig{Tenant: s.Tenant, Queue: s.Queue, Tier: s.Tier, Policy: s.Policy.TenantPolicy()}
}

// SetTenantRequest is the body of PUT /v1/tenants/{tenant} and
// PUT /v1/queues/{name}/tenants/{tenant}. An empty tier and policy clear the
// setting.
type SetTenantRequest struct {
	Tier   string       `json:"tier,omitempty"`
	Policy TenantPolicy `json:"policy"`
}

// ListTenantSettingsResponse is the body of GET /v1/tenants.
type ListTenantSettingsResponse struct {
	Tenants []TenantSetting `json:"tenants"`
}

// TenantStats is one tenant's statistics in a queue.
type TenantStats struct {
	Tenant       string       `json:"tenant"`
	Tier         string       `json:"tier,omitempty"`
	Policy       TenantPolicy `json:"policy"`
	Visible      int          `json:"visible"`
	InFlight     int          `json:"in_flight"`
	Delayed      int          `json:"delayed"`
	OldestAge    Duration     `json:"oldest_age"`
	Dispatched   uint64       `json:"dispatched"`
	DispatchRate float64      `json:"dispatch_rate"`
	WaitP50      Duration     `json:"wait_p50"`
	WaitP99      Duration     `json:"wait_p99"`
	WaitSamples  int          `json:"wait_samples"`
}

// FromTenantStats returns the document for s.
func FromTenantStats(s sluice.TenantStats) TenantStats {
	return TenantStats{
		Tenant: s.Tenant, Tier: s.Tier, Policy: FromTenantPolicy(s.Policy),
		Visible: s.Visible, InFlight: s.InFlight, Delayed: s.Delayed, OldestAge: Duration(s.OldestAge),
		Dispatched: s.Dispatched, DispatchRate: s.DispatchRate,
		WaitP50: Duration(s.WaitP50), WaitP99: Duration(s.WaitP99), WaitSamples: s.WaitSamples,
	}
}

// TenantStats returns the statistics s describes.
func (s TenantStats) TenantStats() sluice.TenantStats {
	return sluice.TenantStats{
		Tenant: s.Tenant, Tier: s.Tier, Policy: s.Policy.TenantPolicy(),
		Visible: s.Visible, InFlight: s.InFlight, Delayed: s.Delayed, OldestAge: time.Duration(s.OldestAge),
		Dispatched: s.Dispatched, DispatchRate: s.DispatchRate,
		WaitP50: time.Duration(s.WaitP50), WaitP99: time.Duration(s.WaitP99), WaitSamples: s.WaitSamples,
	}
}

// ListTenantStatsResponse is the body of GET /v1/queues/{name}/tenants:
// the noisiest tenants first.
type ListTenantStatsResponse struct {
	Tenants []TenantStats `json:"tenants"`
}

// QueueTenant is the body of GET /v1/queues/{name}/tenants/{tenant}: the
// tenant's setting in the queue and its statistics there, with the policy
// in effect.
type QueueTenant struct {
	Setting TenantSetting `json:"setting"`
	Stats   TenantStats   `json:"stats"`
}
