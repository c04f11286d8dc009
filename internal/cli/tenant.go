package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// policyFlags are the flags that set a tenant policy.
type policyFlags struct {
	weight, rate       *float64
	burst, maxInFlight *int
}

func (c *cmd) policyFlags() *policyFlags {
	return &policyFlags{
		weight:      c.fs.Float64("weight", 0, "share of dispatch when tenants compete (default: inherit, else 1)"),
		rate:        c.fs.Float64("rate", 0, "messages per second; over it messages wait (default: inherit, else unlimited)"),
		burst:       c.fs.Int("burst", 0, "rate limit burst (default: inherit, else max(1, rate))"),
		maxInFlight: c.fs.Int("max-in-flight", 0, "messages received and not yet acknowledged (default: inherit, else unlimited)"),
	}
}

func (f *policyFlags) policy() sluice.TenantPolicy {
	return sluice.TenantPolicy{Weight: *f.weight, Rate: *f.rate, Burst: *f.burst, MaxInFlight: *f.maxInFlight}
}

// formatPolicy prints a policy's set fields, "-" when none is.
func formatPolicy(p sluice.TenantPolicy) string {
	s := ""
	add := func(k, v string) {
		if s != "" {
			s += " "
		}
		s += k + "=" + v
	}
	if p.Weight != 0 {
		add("weight", strconv.FormatFloat(p.Weight, 'g', -1, 64))
	}
	if p.Rate != 0 {
		add("rate", strconv.FormatFloat(p.Rate, 'g', -1, 64)+"/s")
	}
	if p.Burst != 0 {
		add("burst", strconv.Itoa(p.Burst))
	}
	if p.MaxInFlight != 0 {
		add("max-in-flight", strconv.Itoa(p.MaxInFlight))
	}
	if s == "" {
		return "-"
	}
	return s
}

func runTierList(ctx context.Context, st *streams, args []string) error {
	c := newCmd("tier list", "[flags]", `List tiers, the named policies tenants are assigned to.`,
		`sluice tier list
		sluice tier list --json`)
	cf := c.clientFlags()
	_, cl, err := c.parseClient(st, cf, args, 0, 0)
	if err != nil {
		return err
	}
	tiers, err := cl.Tiers(ctx)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSONList(st.stdout, tiers, wire.FromTier)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "TIER\tPOLICY\n")
	for _, t := range tiers {
		fmt.Fprintf(tw, "%s\t%s\n", t.Name, formatPolicy(t.Policy))
	}
	return tw.Flush()
}

func runTierSet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("tier set", "[flags] NAME",
		`Create or replace a tier. Tenants assigned to it get its weight, rate
limit and in-flight cap in every queue, unless their own settings override a
field. The tier "default" applies to every tenant assigned to no other.
Changes apply at once.`,
		`sluice tier set --weight 1 --rate 10 --max-in-flight 5 free
		sluice tier set --weight 4 pro`)
	cf := c.clientFlags()
	pf := c.policyFlags()
	pos, cl, err := c.parseClient(st, cf, args, 1, 1)
	if err != nil {
		return err
	}
	t, err := cl.SetTier(ctx, sluice.Tier{Name: pos[0], Policy: pf.policy()})
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(st.stdout, wire.FromTier(t))
	}
	fmt.Fprintf(st.stdout, "tier %s: %s\n", t.Name, formatPolicy(t.Policy))
	return nil
}

func runTenantSet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("tenant set", "[flags] TENANT",
		`Assign a tenant a tier and policy overrides, in every queue or, with
--queue, in one (the queue's setting overrides the server-wide one field by
field). A setting with no tier and no policy flags clears it. Changes apply
at once.`,
		`sluice tenant set --tier pro acme
		sluice tenant set --queue orders --max-in-flight 10 acme`)
	cf := c.clientFlags()
	queue := c.fs.String("queue", "", "set the tenant's policy in this `queue` only")
	tier := c.fs.String("tier", "", "assign the tenant to this `tier`")
	pf := c.policyFlags()
	pos, cl, err := c.parseClient(st, cf, args, 1, 1)
	if err != nil {
		return err
	}
	tc, err := cl.SetTenant(ctx, sluice.TenantConfig{Tenant: pos[0], Queue: *queue, Tier: *tier, Policy: pf.policy()})
	if err != nil {
		return queueErr(*queue, err)
	}
	if cf.json {
		return printJSON(st.stdout, wire.FromTenantConfig(tc))
	}
	return printSetting(st.stdout, tc)
}

func printSetting(w io.Writer, tc sluice.TenantConfig) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "tenant\t%s\n", tc.Tenant)
	fmt.Fprintf(tw, "queue\t%s\n", orDash(tc.Queue))
	fmt.Fprintf(tw, "tier\t%s\n", orDash(tc.Tier))
	fmt.Fprintf(tw, "policy\t%s\n", formatPolicy(tc.Policy))
	return tw.Flush()
}

func runTenantList(ctx context.Context, st *streams, args []string) error {
	c := newCmd("tenant list", "[flags]",
		`Without --queue, list the tenants' server-wide settings. With --queue,
list the queue's tenants with their statistics, noisiest first: most in
flight, then largest backlog, then highest dispatch rate. WAIT-P50 and
WAIT-P99 are the time from send to first receive over the last minute.`,
		`sluice tenant list
		sluice tenant list --queue orders
		sluice tenant list --queue orders --limit 10 --json`)
	cf := c.clientFlags()
	queue := c.fs.String("queue", "", "list the tenants of this `queue`, with statistics")
	limit := c.fs.Int("limit", 0, "with --queue: at most `n` tenants (default 100)")
	if _, err := c.parse(st, args, 0, 0); err != nil {
		return err
	}
	if *limit < 0 {
		return usageErrorf("tenant list: --limit must not be negative")
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	if *queue == "" {
		settings, err := cl.TenantSettings(ctx)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSONList(st.stdout, settings, wire.FromTenantConfig)
		}
		tw := newTable(st.stdout)
		fmt.Fprintf(tw, "TENANT\tTIER\tPOLICY\n")
		for _, s := range settings {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Tenant, orDash(s.Tier), formatPolicy(s.Policy))
		}
		return tw.Flush()
	}
	stats, err := cl.QueueTenants(ctx, *queue, *limit)
	if err != nil {
		return queueErr(*queue, err)
	}
	if cf.json {
		return printJSONList(st.stdout, stats, wire.FromTenantStats)
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "TENANT\tTIER\tVISIBLE\tIN-FLIGHT\tDELAYED\tOLDEST\tRATE/S\tWAIT-P50\tWAIT-P99\tPOLICY\n")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%.1f\t%s\t%s\t%s\n", orDash(s.Tenant), orDash(s.Tier),
			s.Visible, s.InFlight, s.Delayed, formatDuration(s.OldestAge.Round(time.Millisecond)), s.DispatchRate,
			formatDuration(s.WaitP50.Round(time.Millisecond)), formatDuration(s.WaitP99.Round(time.Millisecond)), formatPolicy(s.Policy))
	}
	return tw.Flush()
}

func runTenantGet(ctx context.Context, st *streams, args []string) error {
	c := newCmd("tenant get", "[flags] TENANT",
		`Show a tenant's server-wide setting or, with --queue, its setting in the
queue and its statistics there with the policy in effect.`,
		`sluice tenant get acme
		sluice tenant get --queue orders acme`)
	cf := c.clientFlags()
	queue := c.fs.String("queue", "", "show the tenant in this `queue`")
	pos, cl, err := c.parseClient(st, cf, args, 1, 1)
	if err != nil {
		return err
	}
	if *queue == "" {
		tc, err := cl.TenantSetting(ctx, pos[0])
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(st.stdout, wire.FromTenantConfig(tc))
		}
		return printSetting(st.stdout, tc)
	}
	tc, s, err := cl.QueueTenant(ctx, *queue, pos[0])
	if err != nil {
		return queueErr(*queue, err)
	}
	if cf.json {
		return printJSON(st.stdout, wire.QueueTenant{Setting: wire.FromTenantConfig(tc), Stats: wire.FromTenantStats(s)})
	}
	tw := newTable(st.stdout)
	fmt.Fprintf(tw, "tenant\t%s\n", s.Tenant)
	fmt.Fprintf(tw, "queue\t%s\n", *queue)
	fmt.Fprintf(tw, "queue setting\ttier %s, %s\n", orDash(tc.Tier), formatPolicy(tc.Policy))
	fmt.Fprintf(tw, "tier in effect\t%s\n", orDash(s.Tier))
	fmt.Fprintf(tw, "policy in effect\t%s\n", formatPolicy(s.Policy))
	fmt.Fprintf(tw, "visible\t%d\n", s.Visible)
	fmt.Fprintf(tw, "in flight\t%d\n", s.InFlight)
	fmt.Fprintf(tw, "delayed\t%d\n", s.Delayed)
	fmt.Fprintf(tw, "oldest\t%s\n", formatDuration(s.OldestAge.Round(time.Millisecond)))
	fmt.Fprintf(tw, "dispatched\t%d (%.1f/s)\n", s.Dispatched, s.DispatchRate)
	fmt.Fprintf(tw, "wait p50 / p99\t%s / %s (%d samples)\n", formatDuration(s.WaitP50.Round(time.Millisecond)),
		formatDuration(s.WaitP99.Round(time.Millisecond)), s.WaitSamples)
	return tw.Flush()
}
