package nativeapi

import (
	"net/http"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// Tenants and tiers. Settings made server-wide live under /v1/tenants and
// /v1/tiers; a queue's own settings and its per-tenant statistics under
// /v1/queues/{name}/tenants.

func (h *handler) listTiers(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.engine.Tiers(r.Context())
	if err != nil {
		return err
	}
	resp := wire.ListTiersResponse{Tiers: make([]wire.Tier, 0, len(ts))}
	for _, t := range ts {
		resp.Tiers = append(resp.Tiers, wire.FromTier(t))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

func (h *handler) setTier(w http.ResponseWriter, r *http.Request) error {
	var req wire.SetTierRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	t, err := h.engine.SetTier(r.Context(), sluice.Tier{Name: r.PathValue("name"), Policy: req.Policy.TenantPolicy()})
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTier(t))
	return nil
}

func (h *handler) listTenantSettings(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.engine.TenantConfigs(r.Context(), "")
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, settingsResponse(cs))
	return nil
}

func settingsResponse(cs []sluice.TenantConfig) wire.ListTenantSettingsResponse {
	resp := wire.ListTenantSettingsResponse{Tenants: make([]wire.TenantSetting, 0, len(cs))}
	for _, c := range cs {
		resp.Tenants = append(resp.Tenants, wire.FromTenantConfig(c))
	}
	return resp
}

func (h *handler) getTenantSetting(w http.ResponseWriter, r *http.Request) error {
	c, err := h.engine.TenantConfig(r.Context(), "", r.PathValue("tenant"))
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTenantConfig(c))
	return nil
}

func (h *handler) setTenant(w http.ResponseWriter, r *http.Request) error {
	var req wire.SetTenantRequest
	if err := h.read(w, r, &req, false); err != nil {
		return err
	}
	c, err := h.engine.SetTenant(r.Context(), sluice.TenantConfig{
		Tenant: r.PathValue("tenant"), Queue: r.PathValue("name"), Tier: req.Tier, Policy: req.Policy.TenantPolicy(),
	})
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.FromTenantConfig(c))
	return nil
}

func (h *handler) listQueueTenants(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	if err := onlyParams(query, "limit"); err != nil {
		return err
	}
	limit, err := listLimit(query)
	if err != nil {
		return err
	}
	ss, err := h.engine.TopTenants(r.Context(), r.PathValue("name"), limit)
	if err != nil {
		return err
	}
	resp := wire.ListTenantStatsResponse{Tenants: make([]wire.TenantStats, 0, len(ss))}
	for _, s := range ss {
		resp.Tenants = append(resp.Tenants, wire.FromTenantStats(s))
	}
	h.write(w, r, http.StatusOK, resp)
	return nil
}

func (h *handler) getQueueTenant(w http.ResponseWriter, r *http.Request) error {
	queue, tenant := r.PathValue("name"), r.PathValue("tenant")
	c, err := h.engine.TenantConfig(r.Context(), queue, tenant)
	if err != nil {
		return err
	}
	s, err := h.engine.Tenant(r.Context(), queue, tenant)
	if err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, wire.QueueTenant{Setting: wire.FromTenantConfig(c), Stats: wire.FromTenantStats(s)})
	return nil
}
