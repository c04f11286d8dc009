package dashboard

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

// queueRow is one queue in the overview, as rendered and as JSON.
type queueRow struct {
	Name      string        `json:"name"`
	Type      string        `json:"type"`
	Visible   int           `json:"visible"`
	InFlight  int           `json:"inFlight"`
	Delayed   int           `json:"delayed"`
	Oldest    time.Duration `json:"-"`
	OldestAge string        `json:"oldestAge"`
	SendRate  string        `json:"sendRate"`
	AckRate   string        `json:"ackRate"`
	Depth     []uint32      `json:"depth"`
}

// Listing is a page of a searched, sorted list.
type Listing struct {
	Query   string
	Sort    string
	Page    int // from 1
	Pages   int
	Total   int // matching the query
	All     int // before the query
	PrevURL string
	NextURL string
	// prefix is put before the query parameters' names (q, sort, page), so
	// that a page may hold two lists.
	prefix string
}

// overviewData is the overview page's data and its JSON.
type overviewData struct {
	Listing `json:"-"`
	Rows    []queueRow `json:"rows"`
	Totals  struct {
		Queues   int `json:"queues"`
		Visible  int `json:"visible"`
		InFlight int `json:"inFlight"`
		Delayed  int `json:"delayed"`
	} `json:"totals"`
}

// sorts are the overview's orders, by their query value.
var sorts = map[string]func(a, b *engine.QueueMetrics) int{
	"name": func(a, b *engine.QueueMetrics) int { return strings.Compare(a.Name, b.Name) },
	"depth": func(a, b *engine.QueueMetrics) int {
		return cmp.Compare(b.Visible+b.InFlight+b.Delayed, a.Visible+a.InFlight+a.Delayed)
	},
	"age": func(a, b *engine.QueueMetrics) int { return cmp.Compare(b.OldestAge, a.OldestAge) },
}

// pageOf reads the search, sort and page parameters of r.
func pageOf(r *http.Request) (query, sort string, page int) {
	query = strings.TrimSpace(r.URL.Query().Get("q"))
	sort = r.URL.Query().Get("sort")
	if sorts[sort] == nil {
		sort = "name"
	}
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	return query, sort, page
}

// paginate fills l for total items and returns the range of the page.
func paginate(l *Listing, base string, total, size int) (from, to int) {
	l.Total = total
	l.Pages = max((total+size-1)/size, 1)
	l.Page = min(l.Page, l.Pages)
	link := func(p int) string {
		v := url.Values{}
		if l.Query != "" {
			v.Set(l.prefix+"q", l.Query)
		}
		if l.Sort != "" && l.Sort != "name" {
			v.Set(l.prefix+"sort", l.Sort)
		}
		v.Set(l.prefix+"page", strconv.Itoa(p))
		return base + "?" + v.Encode()
	}
	if l.Page > 1 {
		l.PrevURL = link(l.Page - 1)
	}
	if l.Page < l.Pages {
		l.NextURL = link(l.Page + 1)
	}
	from = (l.Page - 1) * size
	return from, min(from+size, total)
}

func (d *Dashboard) overviewData(r *http.Request) (*overviewData, error) {
	all, err := d.e.QueueMetrics(r.Context())
	if err != nil {
		return nil, err
	}
	out := &overviewData{}
	out.Query, out.Sort, out.Page = pageOf(r)
	needle := strings.ToLower(out.Query)
	matched := all[:0]
	for _, q := range all {
		if q.Internal {
			continue
		}
		out.All++
		out.Totals.Queues++
		out.Totals.Visible += q.Visible
		out.Totals.InFlight += q.InFlight
		out.Totals.Delayed += q.Delayed
		if needle == "" || strings.Contains(strings.ToLower(q.Name), needle) {
			matched = append(matched, q)
		}
	}
	by := sorts[out.Sort]
	slices.SortStableFunc(matched, func(a, b engine.QueueMetrics) int { return by(&a, &b) })
	from, to := paginate(&out.Listing, "/ui/", len(matched), d.opts.PageSize)
	out.Rows = make([]queueRow, 0, to-from)
	for _, q := range matched[from:to] {
		s := d.history.Series(q.Name)
		send, ack := s.Last()
		out.Rows = append(out.Rows, queueRow{
			Name: q.Name, Type: string(q.Type), Visible: q.Visible, InFlight: q.InFlight, Delayed: q.Delayed,
			Oldest: q.OldestAge, OldestAge: age(q.OldestAge), SendRate: rate(send), AckRate: rate(ack),
			Depth: s.Depth,
		})
	}
	return out, nil
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	data, err := d.overviewData(r)
	if err != nil {
		d.fail(w, err)
		return
	}
	d.render(w, "overview", "Queues", "", true, data)
}

func (d *Dashboard) overviewJSON(w http.ResponseWriter, r *http.Request) {
	data, err := d.overviewData(r)
	if err != nil {
		d.fail(w, err)
		return
	}
	writeJSON(w, data)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// queueData is the queue page's data; Live is also its JSON.
type queueData struct {
	Config  sluice.QueueConfig
	Live    queueLive
	Peek    []sluice.Message
	Tenants *tenantList
	IsDLQ   bool // some peeked message came from another queue
	Notice  string
}

// queueLive is what the queue page refreshes.
type queueLive struct {
	Name         string    `json:"name"`
	Visible      int       `json:"visible"`
	InFlight     int       `json:"inFlight"`
	Delayed      int       `json:"delayed"`
	Waiting      int       `json:"waiting"`
	OldestAge    string    `json:"oldestAge"`
	Sent         uint64    `json:"sent"`
	Received     uint64    `json:"received"`
	Acked        uint64    `json:"acked"`
	Returned     uint64    `json:"returned"`
	DeadLettered uint64    `json:"deadLettered"`
	Expired      uint64    `json:"expired"`
	SendRate     []float64 `json:"sendRate"`
	AckRate      []float64 `json:"ackRate"`
	Depth        []uint32  `json:"depth"`
	AckLatency   string    `json:"ackLatency"` // mean
	// Tenants are the rows of the page's tenants table, in the JSON only.
	Tenants []tenantRow `json:"tenants,omitempty"`
}

// live returns a queue's refreshable numbers, or sluice.ErrQueueNotFound.
func (d *Dashboard) live(r *http.Request, name string) (queueLive, error) {
	q, err := d.e.QueueMetricsOf(r.Context(), name)
	if err != nil {
		return queueLive{}, err
	}
	s := d.history.Series(name)
	l := queueLive{
		Name: q.Name, Visible: q.Visible, InFlight: q.InFlight, Delayed: q.Delayed, Waiting: q.Waiting,
		OldestAge: age(q.OldestAge), Sent: q.Sent, Received: q.Received, Acked: q.Acked, Returned: q.Returned,
		DeadLettered: q.DeadLettered, Expired: q.Expired, SendRate: s.SendRate, AckRate: s.AckRate, Depth: s.Depth,
		AckLatency: "–",
	}
	if n := q.AckLatency.Count; n > 0 {
		l.AckLatency = (q.AckLatency.Sum / time.Duration(n)).Round(time.Millisecond).String()
	}
	return l, nil
}

func (d *Dashboard) queue(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	cfg, err := d.e.GetQueue(r.Context(), name)
	if errors.Is(err, sluice.ErrQueueNotFound) {
		http.Error(w, "queue "+name+" not found", http.StatusNotFound)
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	data := queueData{Config: cfg, Notice: r.URL.Query().Get("notice")}
	if data.Live, err = d.live(r, name); err != nil {
		d.fail(w, err)
		return
	}
	if data.Peek, err = d.e.Peek(r.Context(), name, peekCount); err != nil {
		d.fail(w, err)
		return
	}
	for _, m := range data.Peek {
		data.IsDLQ = data.IsDLQ || m.SourceQueue != ""
	}
	if data.Tenants, err = d.tenants(r, name); err != nil {
		d.fail(w, err)
		return
	}
	d.render(w, "queue", name, "", true, data)
}

func (d *Dashboard) queueJSON(w http.ResponseWriter, r *http.Request) {
	l, err := d.live(r, r.PathValue("name"))
	var list *tenantList
	if err == nil {
		list, err = d.tenants(r, r.PathValue("name"))
	}
	if errors.Is(err, sluice.ErrQueueNotFound) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	l.Tenants = list.Rows
	writeJSON(w, l)
}

// actions are the queue page's state-changing buttons.
var actions = map[string]struct{ Verb, Question string }{
	"purge":   {"Purge", "Delete every message in queue %q, in flight or not (%d now)? This cannot be undone."},
	"redrive": {"Redrive", "Move the %[2]d ready messages of queue %[1]q back to the queues they were dead-lettered from?"},
}

// confirmData is the confirmation page's data.
type confirmData struct {
	Queue, Action, Verb, Question string
}

func (d *Dashboard) confirm(w http.ResponseWriter, r *http.Request) {
	name, action := r.PathValue("name"), r.PathValue("action")
	a, ok := actions[action]
	if !ok {
		http.NotFound(w, r)
		return
	}
	l, err := d.live(r, name)
	if errors.Is(err, sluice.ErrQueueNotFound) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	n := l.Visible
	if action == "purge" {
		n += l.InFlight + l.Delayed
	}
	d.render(w, "confirm", a.Verb+" "+name, "", false, confirmData{
		Queue: name, Action: action, Verb: a.Verb, Question: fmt.Sprintf(a.Question, name, n),
	})
}

// act performs a confirmed action and goes back to the queue page with a
// notice of what it did.
func (d *Dashboard) act(w http.ResponseWriter, r *http.Request) {
	name, action := r.PathValue("name"), r.PathValue("action")
	var notice string
	switch action {
	case "purge":
		n, err := d.e.PurgeQueue(r.Context(), name)
		if err != nil {
			d.actionFailed(w, err)
			return
		}
		notice = fmt.Sprintf("Purged %d messages.", n)
	case "redrive":
		n, err := d.e.Redrive(r.Context(), name, sluice.RedriveOptions{})
		if err != nil {
			d.actionFailed(w, err)
			return
		}
		notice = fmt.Sprintf("Redrove %d messages to their source queues.", n)
	default:
		http.NotFound(w, r)
		return
	}
	d.log.InfoContext(r.Context(), "dashboard: "+action, "queue", name, "result", notice, "request_id", r.Header.Get("X-Request-Id"))
	http.Redirect(w, r, "/ui/queues/"+url.PathEscape(name)+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (d *Dashboard) actionFailed(w http.ResponseWriter, err error) {
	var invalid *sluice.InvalidArgumentError
	switch {
	case errors.Is(err, sluice.ErrQueueNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.As(err, &invalid):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, sluice.ErrUnavailable):
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	default:
		d.fail(w, err)
	}
}
