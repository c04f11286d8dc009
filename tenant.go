package sluice

import "time"

// DefaultTier is the tier that applies to every tenant not assigned to
// another, when it exists.
const DefaultTier = "default"

// TenantPolicy limits one tenant's dispatch within a queue. A zero field
// inherits: from the tenant's tier, then from the "default" tier, then the
// built-in default (weight 1, no rate limit, no in-flight cap).
type TenantPolicy struct {
	// Weight is the tenant's share of dispatch when tenants compete: a
	// tenant of weight 3 is served three times as often as one of weight 1.
	Weight float64
	// Rate caps dispatches per second (a token bucket); messages over it wait.
	Rate float64
	// Burst is the token bucket's size (default max(1, ceil(Rate))).
	Burst int
	// MaxInFlight caps the tenant's messages received and not yet
	// acknowledged; messages over it wait.
	MaxInFlight int
}

// Tier is a named policy that tenants are assigned to, such as "free" or
// "enterprise".
type Tier struct {
	Name   string
	Policy TenantPolicy
}

// TenantConfig assigns a tenant a tier and policy overrides, server-wide
// (Queue empty) or in one queue. The queue's setting overrides the
// server-wide one field by field.
type TenantConfig struct {
	Tenant string // empty is the default tenant
	Queue  string // empty for the server-wide setting
	Tier   string // empty inherits
	Policy TenantPolicy
}

// TenantStats is one tenant's view of a queue.
type TenantStats struct {
	Tenant    string
	Tier      string       // the tier in effect, empty when none
	Policy    TenantPolicy // the policy in effect, inheritance resolved
	Visible   int          // ready, including those held back by the tenant's limits
	InFlight  int
	Delayed   int
	OldestAge time.Duration // age of the oldest ready message

	Dispatched   uint64  // deliveries since the server started
	DispatchRate float64 // deliveries per second over the stats window
	WaitP50      time.Duration
	WaitP99      time.Duration // wait from send to first receive over the window
	WaitSamples  int           // first receives in the window
}

// TenantStatsWindow is the sliding window of TenantStats' rates and
// percentiles.
const TenantStatsWindow = time.Minute
