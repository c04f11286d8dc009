package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/dashboard"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
)

// FuzzPages requests the dashboard's lists, queue and tenant pages with
// arbitrary search, sort, page, queue and tenant names: every answer is 200, 404 or a
// redirect to a clean path, never a panic or a 500.
func FuzzPages(f *testing.F) {
	e := newEngine(f)
	ctx := context.Background()
	for i := range 30 {
		if _, _, err := e.CreateQueue(ctx, sluice.QueueConfig{Name: fmt.Sprintf("q%02d", i)}); err != nil {
			f.Fatal(err)
		}
	}
	var batch []sluice.SendInput
	for i := range 20 {
		batch = append(batch, sluice.SendInput{Body: []byte("x"), Tenant: fmt.Sprintf("t%d", i%9)})
	}
	if _, err := e.Send(ctx, "q01", batch); err != nil {
		f.Fatal(err)
	}
	d := dashboard.New(e, dashboard.Options{PageSize: 7})
	f.Add("q1", "depth", "2", "q01")
	f.Add("", "nope", "-1", "")
	f.Add("%", "age", "99999999999999999999", "../x")
	f.Add("\x00", "", "0", "q01/purge")
	f.Fuzz(func(t *testing.T, q, sort, page, queue string) {
		v := url.Values{"q": {q}, "sort": {sort}, "page": {page}}
		tenants := url.Values{"tq": {q}, "tpage": {page}, "t": {queue}}.Encode()
		for _, path := range []string{"/ui/?", "/ui/api/queues?", "/ui/topics?", "/ui/api/topics?", "/ui/tiers?",
			"/ui/queues/q01?" + tenants + "&", "/ui/api/queues/q01?" + tenants + "&", "/ui/queues/q01/tenant?" + tenants + "&"} {
			rec := httptest.NewRecorder()
			d.ServeHTTP(rec, httptest.NewRequest("GET", path+v.Encode(), nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s%s = %d, want 200", path, v.Encode(), rec.Code)
			}
		}
		for _, path := range []string{"/ui/queues/", "/ui/api/queues/"} {
			rec := httptest.NewRecorder()
			d.ServeHTTP(rec, httptest.NewRequest("GET", path+url.PathEscape(queue), nil))
			// Paths such as "." or "a/../b" get the mux's redirect to
			// their clean form.
			if rec.Code != http.StatusOK && rec.Code != http.StatusNotFound && rec.Code/100 != 3 {
				t.Fatalf("GET %s%s = %d, want 200, 404 or a redirect", path, url.PathEscape(queue), rec.Code)
			}
		}
	})
}

// newEngine runs an engine over an in-memory journal until the test ends.
func newEngine(t testing.TB) *engine.Engine {
	t.Helper()
	e, err := engine.Open(context.Background(), engine.Options{Journals: []journal.Journal{memjournal.New()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx)
	}()
	t.Cleanup(func() {
		stop()
		<-done
	})
	return e
}
