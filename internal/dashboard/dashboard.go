// Package dashboard serves Sluice's web dashboard under /ui/: an overview of
// the queues, a page per queue (attributes, throughput, its tenants noisiest
// first, a peek at its messages, purge and dead-letter redrive), a page per
// tenant in a queue, the topics with their fan-out, the tenant tiers, and
// extension pages such as the Task Monitor.
//
// Pages are html/template documents rendered on the server from the
// engine's statistics, with one small script (static/app.js) that fetches
// the same data as JSON every few seconds and updates the numbers and
// sparklines in place. Everything is embedded in the binary: no build step,
// no external resources. Lists are searched and paged on the server, so a
// page costs the same with ten queues or ten thousand.
//
// Rates and sparklines come from a History that Run fills by sampling the
// engine every SampleInterval; it keeps HistoryLength samples per queue.
//
// Actions that change state (purge, redrive) are POST forms reached
// through a confirmation page, and refuse cross-origin requests.
package dashboard

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/push"
)

// Engine is what the dashboard reads and does.
type Engine interface {
	QueueMetrics(ctx context.Context) ([]engine.QueueMetrics, error)
	QueueMetricsOf(ctx context.Context, name string) (engine.QueueMetrics, error)
	TopicMetrics(ctx context.Context) ([]engine.TopicMetrics, error)
	GetQueue(ctx context.Context, name string) (sluice.QueueConfig, error)
	Peek(ctx context.Context, queue string, max int) ([]sluice.Message, error)
	PurgeQueue(ctx context.Context, name string) (int, error)
	Redrive(ctx context.Context, queue string, opts sluice.RedriveOptions) (int, error)
	TenantPage(ctx context.Context, queue, search string, offset, limit int) (engine.TenantPage, error)
	Tenant(ctx context.Context, queue, tenant string) (sluice.TenantStats, error)
	TenantConfig(ctx context.Context, queue, tenant string) (sluice.TenantConfig, error)
	TenantConfigs(ctx context.Context, queue string) ([]sluice.TenantConfig, error)
	Tiers(ctx context.Context) ([]sluice.Tier, error)
}

var _ Engine = (*engine.Engine)(nil)

// PushStats reports HTTP subscriptions' delivery outcomes: the push worker.
type PushStats interface {
	Stats() []push.SubscriptionStats
}

// Page is an extra dashboard page, listed in the navigation. The Task
// Monitor mounts here.
type Page struct {
	// Path is the page's path under /ui/, such as "monitor"; the handler
	// also gets every path below it ("monitor/…").
	Path string
	// Title is the navigation entry.
	Title string
	// Handler serves the page. It may render itself inside the dashboard's
	// layout with Dashboard.Render.
	Handler http.Handler
}

// Defaults applied to zero Options fields.
const (
	DefaultSampleInterval = 5 * time.Second
	DefaultHistoryLength  = 60
	DefaultPageSize       = 50
	// peekCount is how many messages the queue page shows.
	peekCount = 20
	// maxFanout is how many subscriptions a topic's picture draws.
	maxFanout = 24
)

// Options configures a Dashboard. A zero field means the default.
type Options struct {
	Logger *slog.Logger
	// Push, when set, adds HTTP delivery outcomes to the topics page.
	Push PushStats
	// SampleInterval is how often Run samples the queues (default 5s); the
	// pages refresh at the same pace.
	SampleInterval time.Duration
	// HistoryLength is how many samples each queue keeps (default 60).
	HistoryLength int
	// PageSize is how many queues or topics a list shows (default 50).
	PageSize int
	// Pages are extra pages. A page with Path "monitor" replaces the Task
	// Monitor placeholder.
	Pages []Page
}

// Dashboard is the web dashboard, an http.Handler for the paths under
// /ui/. Create it with New and run its sampler with Run.
type Dashboard struct {
	e       Engine
	opts    Options
	log     *slog.Logger
	history *History
	pages   map[string]*template.Template
	layout  *template.Template // never executed, so that Render may clone it
	mux     *http.ServeMux
	nav     []navEntry
}

type navEntry struct{ Path, Title string }

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New returns a dashboard over e.
func New(e Engine, opts Options) *Dashboard {
	opts.SampleInterval = cmp.Or(opts.SampleInterval, DefaultSampleInterval)
	opts.HistoryLength = cmp.Or(opts.HistoryLength, DefaultHistoryLength)
	opts.PageSize = cmp.Or(opts.PageSize, DefaultPageSize)
	d := &Dashboard{
		e:       e,
		opts:    opts,
		log:     cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		history: NewHistory(opts.HistoryLength),
		pages:   map[string]*template.Template{},
		mux:     http.NewServeMux(),
		nav:     []navEntry{{"", "Queues"}, {"topics", "Topics"}, {"tiers", "Tiers"}},
	}
	d.layout = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	for _, name := range []string{"overview", "queue", "tenant", "tiers", "confirm", "topics", "placeholder"} {
		d.pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	d.routes()
	return d
}

func (d *Dashboard) routes() {
	static, _ := fs.Sub(staticFS, "static")
	d.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	d.mux.HandleFunc("GET /ui/{$}", d.overview)
	d.mux.HandleFunc("GET /ui/api/queues", d.overviewJSON)
	d.mux.HandleFunc("GET /ui/queues/{name}", d.queue)
	d.mux.HandleFunc("GET /ui/api/queues/{name}", d.queueJSON)
	d.mux.HandleFunc("GET /ui/queues/{name}/tenant", d.tenant)
	d.mux.HandleFunc("GET /ui/queues/{name}/{action}", d.confirm)
	d.mux.Handle("POST /ui/queues/{name}/{action}", http.NewCrossOriginProtection().Handler(http.HandlerFunc(d.act)))
	d.mux.HandleFunc("GET /ui/topics", d.topics)
	d.mux.HandleFunc("GET /ui/api/topics", d.topicsJSON)
	d.mux.HandleFunc("GET /ui/tiers", d.tiers)
	monitor := false
	for _, p := range d.opts.Pages {
		d.nav = append(d.nav, navEntry{p.Path, p.Title})
		d.mux.Handle("/ui/"+p.Path, p.Handler)
		d.mux.Handle("/ui/"+p.Path+"/", p.Handler)
		monitor = monitor || p.Path == "monitor"
	}
	if !monitor {
		d.nav = append(d.nav, navEntry{"monitor", "Task Monitor"})
		d.mux.HandleFunc("GET /ui/monitor", d.monitorPlaceholder)
	}
}

// ServeHTTP serves the dashboard's pages, their JSON and static files.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mux.ServeHTTP(w, r)
}

// Run samples the engine every SampleInterval into the history until ctx
// is done, then returns nil.
func (d *Dashboard) Run(ctx context.Context) error {
	d.sample(ctx)
	t := time.NewTicker(d.opts.SampleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			d.sample(ctx)
		}
	}
}

func (d *Dashboard) sample(ctx context.Context) {
	all, err := d.e.QueueMetrics(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("dashboard: cannot sample the queues", "err", err)
		}
		return
	}
	d.history.Record(time.Now(), all)
}

// page is what every template gets.
type page struct {
	Title   string
	Nav     []navEntry
	Current string
	Refresh int // milliseconds between live refreshes; 0 for none
	Data    any
}

// Render writes a full dashboard page: the layout with the navigation and
// body, an html/template text rendered with data. It is for extension
// pages; the body template can use the dashboard's template functions.
func (d *Dashboard) Render(w http.ResponseWriter, title, current, body string, data any) {
	t, err := template.Must(d.layout.Clone()).New("body").Parse(body)
	if err != nil {
		d.fail(w, err)
		return
	}
	d.execute(w, t, page{Title: title, Nav: d.nav, Current: current, Data: data})
}

func (d *Dashboard) render(w http.ResponseWriter, name, title, current string, refresh bool, data any) {
	p := page{Title: title, Nav: d.nav, Current: current, Data: data}
	if refresh {
		p.Refresh = int(d.opts.SampleInterval / time.Millisecond)
	}
	d.execute(w, d.pages[name], p)
}

func (d *Dashboard) execute(w http.ResponseWriter, t *template.Template, p page) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		d.fail(w, fmt.Errorf("render page %q: %w", p.Title, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	w.Write(buf.Bytes())
}

// fail answers an unexpected error as 500, logging it.
func (d *Dashboard) fail(w http.ResponseWriter, err error) {
	d.log.Error("dashboard: internal error", "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func (d *Dashboard) monitorPlaceholder(w http.ResponseWriter, r *http.Request) {
	d.render(w, "placeholder", "Task Monitor", "monitor", false, "The Task Monitor (age buckets per queue and tenant, the tasks in a bucket, active alerts and task lookup) is not part of this build. It plugs in here as a dashboard.Page with Path \"monitor\".")
}
