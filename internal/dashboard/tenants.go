package dashboard

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// tenantRow is one tenant of a queue, as rendered and as JSON.
type tenantRow struct {
	Tenant       string `json:"tenant"` // empty for the default tenant
	Label        string `json:"-"`
	URL          string `json:"-"`
	Tier         string `json:"tier"`
	Weight       string `json:"weight"`
	Rate         string `json:"rate"`
	MaxInFlight  string `json:"maxInFlight"`
	Visible      int    `json:"visible"`
	InFlight     int    `json:"inFlight"`
	Delayed      int    `json:"delayed"`
	OldestAge    string `json:"oldestAge"`
	DispatchRate string `json:"dispatchRate"`
	WaitP50      string `json:"waitP50"`
	WaitP99      string `json:"waitP99"`
}

// tenantList is a page of a queue's tenants.
type tenantList struct {
	Listing `json:"-"`
	Rows    []tenantRow `json:"rows"`
}

// tenantLabel names a tenant for people.
func tenantLabel(t string) string { return cmp.Or(t, "(default)") }

// tenantURL returns the detail page of tenant in queue.
func tenantURL(queue, tenant string) string {
	return "/ui/queues/" + url.PathEscape(queue) + "/tenant?t=" + url.QueryEscape(tenant)
}

// wait formats a wait percentile, or a dash without samples.
func wait(d time.Duration, samples int) string {
	if samples == 0 {
		return "–"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return age(d)
}

// policyCells formats a policy's weight, rate and in-flight cap.
func policyCells(p sluice.TenantPolicy) (weight, rate, maxInFlight string) {
	weight = strconv.FormatFloat(p.Weight, 'g', 4, 64)
	rate, maxInFlight = "–", "–"
	if p.Rate > 0 {
		rate = strconv.FormatFloat(p.Rate, 'g', 4, 64) + "/s"
		if p.Burst > 0 {
			rate += " (burst " + strconv.Itoa(p.Burst) + ")"
		}
	}
	if p.MaxInFlight > 0 {
		maxInFlight = strconv.Itoa(p.MaxInFlight)
	}
	return weight, rate, maxInFlight
}

func newTenantRow(queue string, s sluice.TenantStats) tenantRow {
	r := tenantRow{
		Tenant: s.Tenant, Label: tenantLabel(s.Tenant), URL: tenantURL(queue, s.Tenant), Tier: s.Tier,
		Visible: s.Visible, InFlight: s.InFlight, Delayed: s.Delayed, OldestAge: age(s.OldestAge),
		DispatchRate: rate(s.DispatchRate), WaitP50: wait(s.WaitP50, s.WaitSamples), WaitP99: wait(s.WaitP99, s.WaitSamples),
	}
	r.Weight, r.Rate, r.MaxInFlight = policyCells(s.Policy)
	return r
}

// tenants returns the page of queue's tenants that r asks for with the
// parameters tq (search in the names) and tpage, noisiest first as the
// engine ranks them.
func (d *Dashboard) tenants(r *http.Request, queue string) (*tenantList, error) {
	out := &tenantList{}
	out.prefix = "t"
	out.Query = strings.TrimSpace(r.URL.Query().Get("tq"))
	out.Page, _ = strconv.Atoi(r.URL.Query().Get("tpage"))
	out.Page = max(out.Page, 1)
	size := d.opts.PageSize
	page, err := d.e.TenantPage(r.Context(), queue, out.Query, (out.Page-1)*size, size)
	if err != nil {
		return nil, err
	}
	if page.Matched > 0 && len(page.Tenants) == 0 {
		// Past the last page: show the last one.
		out.Page = (page.Matched + size - 1) / size
		if page, err = d.e.TenantPage(r.Context(), queue, out.Query, (out.Page-1)*size, size); err != nil {
			return nil, err
		}
	}
	out.All = page.All
	paginate(&out.Listing, "/ui/queues/"+url.PathEscape(queue), page.Matched, size)
	out.Rows = make([]tenantRow, 0, len(page.Tenants))
	for _, s := range page.Tenants {
		out.Rows = append(out.Rows, newTenantRow(queue, s))
	}
	return out, nil
}

// tenantData is the tenant detail page's data.
type tenantData struct {
	Queue  string
	Row    tenantRow
	Stats  sluice.TenantStats
	Global sluice.TenantConfig // the tenant's server-wide setting
	Local  sluice.TenantConfig // its setting in this queue
}

// tenant serves one tenant's page in a queue: its statistics and the
// settings its policy comes from.
func (d *Dashboard) tenant(w http.ResponseWriter, r *http.Request) {
	queue, tenant := r.PathValue("name"), r.URL.Query().Get("t")
	st, err := d.e.Tenant(r.Context(), queue, tenant)
	if errors.Is(err, sluice.ErrQueueNotFound) {
		http.Error(w, "queue "+queue+" not found", http.StatusNotFound)
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	data := tenantData{Queue: queue, Row: newTenantRow(queue, st), Stats: st}
	if data.Global, err = d.e.TenantConfig(r.Context(), "", tenant); err != nil {
		d.fail(w, err)
		return
	}
	if data.Local, err = d.e.TenantConfig(r.Context(), queue, tenant); err != nil {
		d.fail(w, err)
		return
	}
	d.render(w, "tenant", tenantLabel(tenant)+" in "+queue, "", false, data)
}

// tierRow is one tier, as rendered.
type tierRow struct {
	Name                      string
	Weight, Rate, MaxInFlight string
}

// tiersData is the tiers page's data: the tiers and a page of the
// tenants' server-wide settings.
type tiersData struct {
	Tiers   []tierRow
	Default bool // a "default" tier exists
	Listing
	Tenants []tierTenant
}

// tierTenant is one tenant's server-wide setting.
type tierTenant struct {
	Label, Tier               string
	Weight, Rate, MaxInFlight string
}

func (d *Dashboard) tiers(w http.ResponseWriter, r *http.Request) {
	tiers, err := d.e.Tiers(r.Context())
	if err != nil {
		d.fail(w, err)
		return
	}
	cfgs, err := d.e.TenantConfigs(r.Context(), "")
	if err != nil {
		d.fail(w, err)
		return
	}
	data := tiersData{}
	for _, t := range tiers {
		row := tierRow{Name: t.Name}
		row.Weight, row.Rate, row.MaxInFlight = policyCells(t.Policy)
		if t.Policy.Weight == 0 {
			row.Weight = "–"
		}
		data.Tiers = append(data.Tiers, row)
		data.Default = data.Default || t.Name == sluice.DefaultTier
	}
	data.Query, _, data.Page = pageOf(r)
	needle := strings.ToLower(data.Query)
	matched := cfgs[:0]
	for _, c := range cfgs {
		if needle == "" || strings.Contains(strings.ToLower(c.Tenant), needle) || strings.Contains(strings.ToLower(c.Tier), needle) {
			matched = append(matched, c)
		}
	}
	data.All = len(cfgs)
	from, to := paginate(&data.Listing, "/ui/tiers", len(matched), d.opts.PageSize)
	for _, c := range matched[from:to] {
		t := tierTenant{Label: tenantLabel(c.Tenant), Tier: cmp.Or(c.Tier, "–")}
		t.Weight, t.Rate, t.MaxInFlight = policyCells(c.Policy)
		if c.Policy.Weight == 0 {
			t.Weight = "–"
		}
		data.Tenants = append(data.Tenants, t)
	}
	d.render(w, "tiers", "Tiers", "tiers", false, data)
}
