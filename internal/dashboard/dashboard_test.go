package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/dashboard"
)

func TestPagesRenderAndPage(t *testing.T) {
	l := setup(t, time.Hour)
	for i := range 120 {
		l.queue(t, sluice.QueueConfig{Name: fmt.Sprintf("q%03d", i)})
	}
	l.send(t, "q007", "acme", "<script>alert(1)</script>")

	status, body := l.get(t, "/ui/")
	if status != http.StatusOK || !strings.Contains(body, `data-queue="q000"`) || strings.Contains(body, `data-queue="q050"`) {
		t.Errorf("GET /ui/ = %d; want page 1 with q000 and without q050", status)
	}
	if !strings.Contains(body, "Page 1 of 3") {
		t.Errorf("GET /ui/ lacks %q", "Page 1 of 3")
	}
	_, body = l.get(t, "/ui/?page=3")
	if !strings.Contains(body, `data-queue="q119"`) || strings.Contains(body, `data-queue="q000"`) {
		t.Errorf("GET /ui/?page=3 does not hold exactly the last queues")
	}
	_, body = l.get(t, "/ui/?q=Q11")
	if n := strings.Count(body, "data-queue="); n != 10 {
		t.Errorf("search q11 shows %d queues, want 10 (q110 to q119)", n)
	}
	_, body = l.get(t, "/ui/?sort=depth")
	if i := strings.Index(body, "data-queue="); i < 0 || !strings.HasPrefix(body[i:], `data-queue="q007"`) {
		t.Errorf("sort=depth does not put q007, the only non-empty queue, first")
	}

	// The queue page escapes bodies and peeks without receiving.
	status, body = l.get(t, "/ui/queues/q007")
	if status != http.StatusOK || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(body, "<script>alert") {
		t.Errorf("GET /ui/queues/q007 = %d; want the body shown escaped", status)
	}
	if !strings.Contains(body, "<td>acme</td>") {
		t.Errorf("queue page lacks the tenant acme")
	}
	st, err := l.client.Stats(context.Background(), "q007")
	if err != nil || st.Visible != 1 || st.Received != 0 {
		t.Errorf("Stats(q007) after the page = %+v, %v; want 1 visible, 0 received", st, err)
	}

	for path, want := range map[string]int{
		"/ui/queues/nope":         http.StatusNotFound,
		"/ui/queues/nope/purge":   http.StatusNotFound,
		"/ui/queues/q007/explode": http.StatusNotFound,
		"/ui/topics":              http.StatusOK,
		"/ui/monitor":             http.StatusOK,
		"/ui/static/app.js":       http.StatusOK,
		"/ui/static/app.css":      http.StatusOK,
	} {
		if status, _ := l.get(t, path); status != want {
			t.Errorf("GET %s = %d, want %d", path, status, want)
		}
	}

	var data struct {
		Rows []struct {
			Name    string `json:"name"`
			Visible int    `json:"visible"`
		} `json:"rows"`
	}
	_, body = l.get(t, "/ui/api/queues?q=q007")
	if err := json.Unmarshal([]byte(body), &data); err != nil || len(data.Rows) != 1 || data.Rows[0].Visible != 1 {
		t.Errorf("GET /ui/api/queues?q=q007 = %s; want one row with 1 visible", body)
	}
}

func TestActionsNeedPostFromTheSameOrigin(t *testing.T) {
	l := setup(t, time.Hour)
	l.queue(t, sluice.QueueConfig{Name: "jobs"})
	l.send(t, "jobs", "", "a", "b")

	// The confirmation page changes nothing.
	status, body := l.get(t, "/ui/queues/jobs/purge")
	if status != http.StatusOK || !strings.Contains(body, "(2 now)") {
		t.Errorf("GET purge confirmation = %d; want a question naming 2 messages", status)
	}
	req, _ := http.NewRequest("POST", l.url+"/ui/queues/jobs/purge", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST purge = %d, want 403", resp.StatusCode)
	}
	if st, _ := l.client.Stats(context.Background(), "jobs"); st.Visible != 2 {
		t.Fatalf("visible after refused purge = %d, want 2", st.Visible)
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ = http.NewRequest("POST", l.url+"/ui/queues/jobs/purge", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "Purged+2") {
		t.Errorf("POST purge = %d to %q; want 303 with a notice of 2 purged", resp.StatusCode, loc)
	}
	if st, _ := l.client.Stats(context.Background(), "jobs"); st.Visible != 0 {
		t.Errorf("visible after purge = %d, want 0", st.Visible)
	}
}

func TestExtraPageReplacesTheMonitorPlaceholder(t *testing.T) {
	var d *dashboard.Dashboard
	monitor := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.Render(w, "Task Monitor", "monitor", `<h1 id="m">{{.Data}} alerts</h1>`, 3)
	})
	d = dashboard.New(newEngine(t), dashboard.Options{Pages: []dashboard.Page{{Path: "monitor", Title: "Task Monitor", Handler: monitor}}})

	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/monitor", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `<h1 id="m">3 alerts</h1>`) {
		t.Errorf("GET /ui/monitor = %d %q; want the page's own body", rec.Code, body)
	}
	if !strings.Contains(body, `<a href="/ui/monitor" class="current">Task Monitor</a>`) || strings.Count(body, `href="/ui/monitor"`) != 1 {
		t.Errorf("navigation does not list the page once, as the current one:\n%s", body)
	}
}
