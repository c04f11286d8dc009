package dashboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/sluicehq/sluice"
)

// Monitor is what the Task Monitor page reads; *monitor.Monitor
// implements it.
type Monitor interface {
	TrackedQueues(ctx context.Context) ([]string, error)
	Ages(ctx context.Context, queue string, perTenant bool) (sluice.TaskAges, error)
	Tasks(ctx context.Context, queue string, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error)
	TaskStatus(ctx context.Context, queue, id string) (sluice.TaskStatus, error)
	Alerts() []sluice.Alert
	Status() (last time.Time, healthy bool)
}

// MonitorPage is the Task Monitor's dashboard page: an age-bucket chart
// per tracked queue and watch (per tenant for the queue shown), the tasks
// of a bucket oldest first, the active alerts and a task lookup, refreshed
// live. Put its Page in Options.Pages, then Attach the Dashboard.
type MonitorPage struct {
	m    Monitor
	d    *Dashboard
	body string
}

// NewMonitorPage returns the page over m.
func NewMonitorPage(m Monitor) *MonitorPage {
	body, err := templateFS.ReadFile("templates/monitor.html")
	if err != nil {
		panic(err) // embedded
	}
	return &MonitorPage{m: m, body: string(body)}
}

// Page returns the dashboard page, at /ui/monitor.
func (p *MonitorPage) Page() Page {
	return Page{Path: "monitor", Title: "Task Monitor", Handler: http.HandlerFunc(p.serve)}
}

// Attach gives the page the dashboard it renders in.
func (p *MonitorPage) Attach(d *Dashboard) { p.d = d }

// monitorView is the template's data.
type monitorView struct {
	Healthy   bool
	LastEval  time.Time
	Alerts    []sluice.Alert
	Queues    []queueChart
	Names     []string
	Queue     string // the queue shown in detail, if any
	Tenants   []queueChart
	Selection string // what the task list shows
	Tasks     []sluice.TaskStatus
	Lookup    *sluice.TaskStatus
	LookupID  string
	Error     string
	Refresh   int // milliseconds between live refreshes
}

// queueChart is one queue's (or tenant's) buckets drawn as an inline SVG
// bar chart.
type queueChart struct {
	Queue, Tenant      string
	Waiting, Running   int
	Orphaned, Retrying int
	OldestWaiting      time.Duration
	OldestRunning      time.Duration
	Width, Height      int
	Base               int // y of the axis
	Bars               []bar
	Labels             []barLabel
}

type bar struct {
	X, Y, W, H int
	Kind       string // waiting or running
	Count      int
	Href       string
	Title      string
}

type barLabel struct {
	X    int
	Text string
}

const (
	chartHeight = 150
	chartBase   = 120
	groupWidth  = 64
)

// chartOf lays out a's buckets: one group per age range, the youngest
// ("under the first bound") first, a waiting and a running bar in each.
func chartOf(a sluice.AgeCounts, bounds []time.Duration, queue, tenant string) queueChart {
	c := queueChart{Queue: queue, Tenant: tenant, Waiting: a.Waiting, Running: a.Running, Orphaned: a.Orphaned, Retrying: a.Retrying,
		OldestWaiting: a.OldestWaiting, OldestRunning: a.OldestRunning, Height: chartHeight, Base: chartBase}
	type group struct {
		label            string
		over, under      time.Duration
		waiting, running int
	}
	groups := []group{{label: "<" + shortAge(bounds[0]), under: bounds[0], waiting: a.Waiting, running: a.Running}}
	for i, b := range bounds {
		g := group{label: "≥" + shortAge(b), over: b, waiting: a.WaitingBuckets[i], running: a.RunningBuckets[i]}
		if i+1 < len(bounds) {
			g.under = bounds[i+1]
		}
		groups[0].waiting -= g.waiting
		groups[0].running -= g.running
		groups = append(groups, g)
	}
	top := 1
	for _, g := range groups {
		top = max(top, g.waiting, g.running)
	}
	c.Width = 40 + groupWidth*len(groups)
	for i, g := range groups {
		x := 40 + i*groupWidth
		c.Labels = append(c.Labels, barLabel{X: x + groupWidth/2, Text: g.label})
		for j, k := range []struct {
			kind string
			n    int
		}{{"waiting", g.waiting}, {"running", g.running}} {
			h := k.n * (chartBase - 20) / top
			if k.n > 0 {
				h = max(h, 2)
			}
			q := fmt.Sprintf("?queue=%s&kind=%s&over=%s", url.QueryEscape(queue), k.kind, g.over)
			if g.under > 0 {
				q += "&under=" + g.under.String()
			}
			if tenant != "" {
				q += "&tenant=" + url.QueryEscape(tenant)
			}
			c.Bars = append(c.Bars, bar{X: x + 8 + j*25, Y: chartBase - h, W: 22, H: h, Kind: k.kind, Count: k.n, Href: q,
				Title: fmt.Sprintf("%d %s, %s", k.n, k.kind, g.label)})
		}
	}
	return c
}

// shortAge formats a bucket bound: "5m", "1h", "90s", "1h30m".
func shortAge(d time.Duration) string {
	s := d.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}

func (p *MonitorPage) serve(w http.ResponseWriter, r *http.Request) {
	if p.d == nil {
		http.Error(w, "the Task Monitor page is not attached", http.StatusInternalServerError)
		return
	}
	if r.URL.Path != "/ui/monitor" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	v := monitorView{Alerts: p.m.Alerts(), Queue: q.Get("queue"), Refresh: int(p.d.opts.SampleInterval.Milliseconds())}
	v.LastEval, v.Healthy = p.m.Status()
	names, err := p.m.TrackedQueues(ctx)
	if err != nil {
		p.d.fail(w, err)
		return
	}
	v.Names = names
	for _, name := range names {
		a, err := p.m.Ages(ctx, name, name == v.Queue)
		if err != nil {
			if errors.Is(err, sluice.ErrQueueNotFound) || errors.Is(err, sluice.ErrWatchNotFound) || errors.Is(err, sluice.ErrNotTracked) {
				continue // deleted meanwhile
			}
			p.d.fail(w, err)
			return
		}
		v.Queues = append(v.Queues, chartOf(a.AgeCounts, a.Bounds, name, ""))
		if name == v.Queue {
			for _, t := range slices.Sorted(maps.Keys(a.Tenants)) {
				if t != "" {
					v.Tenants = append(v.Tenants, chartOf(*a.Tenants[t], a.Bounds, name, t))
				}
			}
		}
	}
	if v.Queue != "" && q.Get("kind") != "" {
		p.listTasks(ctx, &v, q.Get("kind"), q.Get("over"), q.Get("under"), q.Get("tenant"))
	}
	if id := q.Get("task"); id != "" && v.Queue != "" {
		v.LookupID = id
		st, err := p.m.TaskStatus(ctx, v.Queue, id)
		if err != nil {
			v.Error = err.Error()
		} else {
			v.Lookup = &st
		}
	}
	p.d.Render(w, "Task Monitor", "monitor", p.body, v)
}

// listTasks fills v with the tasks of a bucket, or an error message.
func (p *MonitorPage) listTasks(ctx context.Context, v *monitorView, kind, over, under, tenant string) {
	aq := sluice.TaskAgeQuery{Kind: sluice.TaskAgeKind(kind), Tenant: tenant, Limit: 100}
	var err error
	if over != "" {
		aq.Over, err = time.ParseDuration(over)
	}
	if err == nil && under != "" {
		aq.Under, err = time.ParseDuration(under)
	}
	if err != nil {
		v.Error = "bad age range: " + err.Error()
		return
	}
	tasks, err := p.m.Tasks(ctx, v.Queue, aq)
	if err != nil {
		v.Error = err.Error()
		return
	}
	v.Tasks = tasks
	v.Selection = fmt.Sprintf("%s tasks of %s", kind, v.Queue)
	if tenant != "" {
		v.Selection += " for tenant " + tenant
	}
	switch {
	case aq.Under > 0:
		v.Selection += fmt.Sprintf(", %s to %s old", shortAge(aq.Over), shortAge(aq.Under))
	case aq.Over > 0:
		v.Selection += fmt.Sprintf(", at least %s old", shortAge(aq.Over))
	}
	v.Selection += " (oldest first, at most 100)"
}
