package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// SetTier creates or replaces a tier, a named policy tenants are assigned
// to. The change applies at once to every queue.
func (c *Client) SetTier(ctx context.Context, t sluice.Tier) (sluice.Tier, error) {
	if t.Name == "" {
		return sluice.Tier{}, sluice.Invalid("name", "must not be empty")
	}
	var out wire.Tier
	path := "/v1/tiers/" + url.PathEscape(t.Name)
	if _, err := c.do(ctx, http.MethodPut, path, nil, wire.SetTierRequest{Policy: wire.FromTenantPolicy(t.Policy)}, &out); err != nil {
		return sluice.Tier{}, err
	}
	return out.Tier(), nil
}

// Tiers returns every tier, by name.
func (c *Client) Tiers(ctx context.Context) ([]sluice.Tier, error) {
	var resp wire.ListTiersResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/tiers", nil, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]sluice.Tier, len(resp.Tiers))
	for i, t := range resp.Tiers {
		out[i] = t.Tier()
	}
	return out, nil
}

// tenantPath returns the path of a tenant's setting, server-wide when queue
// is empty.
func tenantPath(queue, tenant string) (string, error) {
	if tenant == "" {
		return "", sluice.Invalid("tenant", "must not be empty: the default tenant takes the %q tier", sluice.DefaultTier)
	}
	if queue == "" {
		return "/v1/tenants/" + url.PathEscape(tenant), nil
	}
	return queuePath(queue, "/tenants/"+url.PathEscape(tenant))
}

// SetTenant sets a tenant's tier and policy overrides, server-wide when
// c.Queue is empty or in that queue. An empty tier and zero policy clear the
// setting. An unknown tier yields sluice.ErrTierNotFound.
func (c *Client) SetTenant(ctx context.Context, tc sluice.TenantConfig) (sluice.TenantConfig, error) {
	path, err := tenantPath(tc.Queue, tc.Tenant)
	if err != nil {
		return sluice.TenantConfig{}, err
	}
	var out wire.TenantSetting
	req := wire.SetTenantRequest{Tier: tc.Tier, Policy: wire.FromTenantPolicy(tc.Policy)}
	if _, err := c.do(ctx, http.MethodPut, path, nil, req, &out); err != nil {
		return sluice.TenantConfig{}, err
	}
	return out.TenantConfig(), nil
}

// TenantSettings returns the server-wide tenant settings, by tenant.
func (c *Client) TenantSettings(ctx context.Context) ([]sluice.TenantConfig, error) {
	var resp wire.ListTenantSettingsResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/tenants", nil, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]sluice.TenantConfig, len(resp.Tenants))
	for i, s := range resp.Tenants {
		out[i] = s.TenantConfig()
	}
	return out, nil
}

// TenantSetting returns a tenant's server-wide setting (empty when it has
// none).
func (c *Client) TenantSetting(ctx context.Context, tenant string) (sluice.TenantConfig, error) {
	path, err := tenantPath("", tenant)
	if err != nil {
		return sluice.TenantConfig{}, err
	}
	var out wire.TenantSetting
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &out); err != nil {
		return sluice.TenantConfig{}, err
	}
	return out.TenantConfig(), nil
}

// QueueTenants returns the statistics of a queue's tenants, noisiest first,
// at most limit of them (0: the server's default of 100).
func (c *Client) QueueTenants(ctx context.Context, queue string, limit int) ([]sluice.TenantStats, error) {
	path, err := queuePath(queue, "/tenants")
	if err != nil {
		return nil, err
	}
	var query url.Values
	if limit != 0 {
		query = url.Values{"limit": {strconv.Itoa(limit)}}
	}
	var resp wire.ListTenantStatsResponse
	if _, err := c.do(ctx, http.MethodGet, path, query, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]sluice.TenantStats, len(resp.Tenants))
	for i, s := range resp.Tenants {
		out[i] = s.TenantStats()
	}
	return out, nil
}

// QueueTenant returns a tenant's setting in a queue and its statistics
// there, with the policy in effect.
func (c *Client) QueueTenant(ctx context.Context, queue, tenant string) (sluice.TenantConfig, sluice.TenantStats, error) {
	if queue == "" {
		return sluice.TenantConfig{}, sluice.TenantStats{}, sluice.Invalid("queue", "must not be empty")
	}
	path, err := tenantPath(queue, tenant)
	if err != nil {
		return sluice.TenantConfig{}, sluice.TenantStats{}, err
	}
	var out wire.QueueTenant
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &out); err != nil {
		return sluice.TenantConfig{}, sluice.TenantStats{}, err
	}
	return out.Setting.TenantConfig(), out.Stats.TenantStats(), nil
}
