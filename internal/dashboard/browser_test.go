package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice"
)

// browser is a headless Chromium tab and the errors its pages reported.
type browser struct {
	ctx  context.Context // the tab; actions run with per-action timeouts
	dir  string          // where screenshots go
	mu   sync.Mutex      // guards errs
	errs []string
}

// chromium returns the path of the Chromium binary, skipping the test
// when there is none unless SLUICE_REQUIRE_BROWSER is set.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SLUICE_REQUIRE_BROWSER") != "" {
		t.Fatalf("no chromium found and SLUICE_REQUIRE_BROWSER is set; install it with apt-get install -y chromium")
	}
	t.Skip("no chromium found; set SLUICE_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile for the test
// and records what its pages write to the console. Screenshots go to
// $SLUICE_SCREENSHOT_DIR if set, else to a temporary directory.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	consoleCtx, stopConsole := context.WithCancel(ctx)
	b := &browser{ctx: ctx, dir: os.Getenv("SLUICE_SCREENSHOT_DIR")}
	if b.dir == "" {
		b.dir = t.TempDir()
	}
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to ctx
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(consoleCtx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				b.mu.Lock()
				b.errs = append(b.errs, m.String())
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		stopConsole()
		<-done
		cancelCtx()
		cancelAlloc()
	})
	// Prove that console errors are seen, then forget the probe.
	b.do(t, "probe the console", chromedp.Navigate("about:blank"))
	eval[any](t, b, `console.error("sluice-probe")`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		seen := len(b.errs) > 0 && strings.Contains(b.errs[0], "sluice-probe")
		if seen {
			b.errs = nil
		}
		b.mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a console.error never reached the test; console capture is broken")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b
}

// do runs actions within 30 seconds, failing the test with what if they fail.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval returns the value of a JavaScript expression.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot saves the page as name.png.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// noErrors fails the test if any page logged an error or warning.
func (b *browser) noErrors(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		t.Errorf("browser console: %s", e)
	}
}

// text returns the trimmed text of the first element matching sel.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// waitText waits until the text of sel is want.
func (b *browser) waitText(t *testing.T, sel, want string, timeout time.Duration) {
	t.Helper()
	expr := fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e!==null&&e.textContent.trim()===%q})()`, sel, want)
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("text of %s never became %q (now %q): %v", sel, want, b.text(t, sel), err)
	}
}

// cells returns the trimmed text of the cells (th and td) inside the
// elements matching sel, joined with "|".
func (b *browser) cells(t *testing.T, sel string) string {
	t.Helper()
	return eval[string](t, b, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(function(e){return e.textContent.trim()}).join("|")`, sel+" th, "+sel+" td"))
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

func TestDashboardInBrowser(t *testing.T) {
	b := newBrowser(t)
	l := setup(t, 200*time.Millisecond)
	ctx := context.Background()
	l.queue(t, sluice.QueueConfig{Name: "orders-dlq"})
	l.queue(t, sluice.QueueConfig{Name: "orders", DeadLetter: &sluice.DeadLetterPolicy{Queue: "orders-dlq", MaxReceives: 1}})
	l.queue(t, sluice.QueueConfig{Name: "emails"})
	l.queue(t, sluice.QueueConfig{Name: "invoices"})
	for i := range 30 {
		l.queue(t, sluice.QueueConfig{Name: fmt.Sprintf("report-%02d", i)})
	}
	l.send(t, "orders", "acme", "order 1", "order 2", "order 3")
	l.send(t, "orders", "globex", "order 4")
	l.send(t, "emails", "acme", `{"to":"ops@example.com"}`)
	zero, minute := time.Duration(0), time.Minute
	// order 1 is received once and returned; its next receive moves it to
	// the dead-letter queue.
	got, err := l.client.Receive(ctx, "orders", sluice.ReceiveOptions{Max: 1, WaitTime: &zero, VisibilityTimeout: &minute})
	if err != nil || len(got) != 1 {
		t.Fatalf("Receive() = %v, %v", got, err)
	}
	if err := l.client.Nack(ctx, "orders", got[0].Receipt, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.client.Receive(ctx, "orders", sluice.ReceiveOptions{Max: 2, WaitTime: &zero, VisibilityTimeout: &minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.client.CreateTopic(ctx, sluice.TopicConfig{Name: "events"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []sluice.Subscription{
		{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "emails"},
		{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "invoices", FilterPolicy: `{"kind":["invoice"]}`},
	} {
		if _, err := l.client.Subscribe(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	if _, err := l.client.Subscribe(ctx, sluice.Subscription{Topic: "events", Protocol: sluice.ProtocolHTTP, Endpoint: hook.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"invoice", "refund"} {
		in := sluice.PublishInput{Body: []byte("event"), Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: kind}}}
		if _, err := l.client.Publish(ctx, "events", in); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("overview refreshes live", func(t *testing.T) {
		b.do(t, "open the overview", chromedp.Navigate(l.url+"/"), chromedp.WaitVisible(chromedp.CSS(`tr[data-queue="orders"]`)))
		if got := b.text(t, `tr[data-queue="orders"] [data-field="inFlight"]`); got != "2" {
			t.Errorf("orders in flight = %q, want 2 (order 2 and 3)", got)
		}
		if got := b.text(t, `tr[data-queue="emails"] [data-field="visible"]`); got != "3" {
			t.Errorf("emails visible = %q, want 3 (one sent, two published)", got)
		}
		l.send(t, "emails", "", "more 1", "more 2", "more 3")
		b.waitText(t, `tr[data-queue="emails"] [data-field="visible"]`, "6", 10*time.Second)
		// orders 1 (order 4), orders-dlq 1, emails 6, invoices 1
		b.waitText(t, `[data-total="visible"]`, "9", 10*time.Second)
		b.screenshot(t, "overview")
	})

	t.Run("search and paging", func(t *testing.T) {
		b.do(t, "search", chromedp.SetValue(chromedp.CSS(`input[name="q"]`), "report-1"),
			chromedp.Submit(chromedp.CSS(`input[name="q"]`)),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-queue="report-10"]`)))
		rows := eval[int](t, b, `document.querySelectorAll("tr[data-queue]").length`)
		if rows != 10 {
			t.Errorf("search report-1 shows %d rows, want 10", rows)
		}
	})

	t.Run("queue page peeks", func(t *testing.T) {
		b.do(t, "open orders", chromedp.Navigate(l.url+"/ui/"), chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/queues/orders"]`)),
			chromedp.Click(chromedp.CSS(`a[href="/ui/queues/orders"]`)), chromedp.WaitVisible(chromedp.CSS(`#peek`)))
		peek := b.text(t, "#peek tbody")
		for _, want := range []string{"order 2", "order 3", "order 4", "globex"} {
			if !strings.Contains(peek, want) {
				t.Errorf("peek table lacks %q: %s", want, peek)
			}
		}
		if tenants := b.text(t, "table.tenants tbody"); !strings.Contains(tenants, "acme") || !strings.Contains(tenants, "globex") {
			t.Errorf("tenants table = %q, want acme and globex", tenants)
		}
		b.screenshot(t, "queue")
		st, err := l.client.Stats(ctx, "orders")
		if err != nil || st.Received != 3 {
			t.Errorf("orders received = %d, %v after the page; want 3, peeking receives nothing", st.Received, err)
		}
	})

	t.Run("redrive with confirmation", func(t *testing.T) {
		b.do(t, "open the dead-letter queue", chromedp.Navigate(l.url+"/ui/queues/orders-dlq"),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/queues/orders-dlq/redrive"]`)),
			chromedp.Click(chromedp.CSS(`a[href="/ui/queues/orders-dlq/redrive"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#confirm`)))
		if q := b.text(t, ".question"); !strings.Contains(q, "1 ready messages") {
			t.Errorf("confirmation asks %q, want it to name 1 message", q)
		}
		b.screenshot(t, "confirm-redrive")
		if st, _ := l.client.Stats(ctx, "orders-dlq"); st.Visible != 1 {
			t.Fatalf("orders-dlq visible before confirming = %d, want 1", st.Visible)
		}
		b.do(t, "confirm", chromedp.Click(chromedp.CSS(`#confirm`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
		if n := b.text(t, ".notice"); n != "Redrove 1 messages to their source queues." {
			t.Errorf("notice = %q", n)
		}
		st, err := l.client.Stats(ctx, "orders")
		if err != nil || st.Visible != 2 {
			t.Errorf("orders visible after redrive = %d, %v; want 2 (order 1 is back with order 4)", st.Visible, err)
		}
	})

	t.Run("purge with confirmation", func(t *testing.T) {
		b.do(t, "open emails", chromedp.Navigate(l.url+"/ui/queues/emails"),
			chromedp.Click(chromedp.CSS(`a[href="/ui/queues/emails/purge"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#confirm`)))
		// Cancelling changes nothing.
		b.do(t, "cancel", chromedp.Click(chromedp.CSS(`form a.button`)), chromedp.WaitVisible(chromedp.CSS(`#peek`)))
		if st, _ := l.client.Stats(ctx, "emails"); st.Visible != 6 {
			t.Fatalf("emails visible after cancel = %d, want 6", st.Visible)
		}
		b.do(t, "purge", chromedp.Click(chromedp.CSS(`a[href="/ui/queues/emails/purge"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#confirm`)),
			chromedp.Click(chromedp.CSS(`#confirm`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
		if n := b.text(t, ".notice"); n != "Purged 6 messages." {
			t.Errorf("notice = %q, want %q", n, "Purged 6 messages.")
		}
		b.waitText(t, `[data-field="visible"]`, "0", 5*time.Second)
		if st, _ := l.client.Stats(ctx, "emails"); st.Visible != 0 {
			t.Errorf("emails visible after purge = %d, want 0", st.Visible)
		}
	})

	t.Run("topics fan out", func(t *testing.T) {
		b.do(t, "open topics", chromedp.Navigate(l.url+"/ui/topics"), chromedp.WaitVisible(chromedp.CSS(`svg.fanout`)))
		edges := eval[int](t, b, `document.querySelectorAll('section[data-topic="events"] path.edge').length`)
		if edges != 3 {
			t.Errorf("events draws %d edges, want 3", edges)
		}
		if h := b.text(t, `section[data-topic="events"] h2`); !strings.Contains(h, "2 published") {
			t.Errorf("events heading = %q, want 2 published", h)
		}
		if s := b.text(t, `g[data-sub] [data-field="filtered"]`); s == "" {
			t.Errorf("no filtered count drawn")
		}
		if _, err := l.client.Publish(ctx, "events", sluice.PublishInput{Body: []byte("again")}); err != nil {
			t.Fatal(err)
		}
		b.waitText(t, `section[data-topic="events"] [data-field="published"]`, "3", 10*time.Second)
		b.screenshot(t, "topics")
	})

	t.Run("tenants, tenant and tiers", func(t *testing.T) {
		l.queue(t, sluice.QueueConfig{Name: "billing"})
		for _, tier := range []sluice.Tier{
			{Name: "free", Policy: sluice.TenantPolicy{Rate: 5, Burst: 10}},
			{Name: "pro", Policy: sluice.TenantPolicy{Weight: 4, MaxInFlight: 50}},
		} {
			if _, err := l.client.SetTier(ctx, tier); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []sluice.TenantConfig{{Tenant: "acme", Tier: "pro"}, {Tenant: "initech", Tier: "free"}, {Tenant: "globex", Queue: "billing", Policy: sluice.TenantPolicy{Weight: 2}}} {
			if _, err := l.client.SetTenant(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		for tenant, n := range map[string]int{"acme": 12, "globex": 6, "initech": 3, "umbrella": 1} {
			for i := range n {
				l.send(t, "billing", tenant, fmt.Sprintf("%s invoice %d", tenant, i))
			}
		}
		// Weighted-fair receives: acme (weight 4) gets the most in flight.
		if _, err := l.client.Receive(ctx, "billing", sluice.ReceiveOptions{Max: 8, WaitTime: &zero, VisibilityTimeout: &minute}); err != nil {
			t.Fatal(err)
		}
		b.do(t, "open billing", chromedp.Navigate(l.url+"/ui/queues/billing"), chromedp.WaitVisible(chromedp.CSS(`#tenants`)))
		order := eval[[]string](t, b, `Array.from(document.querySelectorAll("#tenants tr[data-tenant]")).map(function(r){return r.dataset.tenant})`)
		if len(order) != 4 || order[0] != "acme" {
			t.Errorf("tenants table order = %v, want 4 tenants, acme (most in flight) first", order)
		}
		row := func(tenant, field string) string {
			return fmt.Sprintf(`#tenants tr[data-tenant=%q] [data-field=%q]`, tenant, field)
		}
		for _, c := range []struct{ tenant, field, want string }{
			{"acme", "weight", "4"}, {"acme", "maxInFlight", "50"}, {"globex", "weight", "2"},
			{"initech", "rate", "5/s (burst 10)"}, {"umbrella", "weight", "1"},
		} {
			if got := b.text(t, row(c.tenant, c.field)); got != c.want {
				t.Errorf("%s %s = %q, want %q", c.tenant, c.field, got, c.want)
			}
		}
		_, st, err := l.client.QueueTenant(ctx, "billing", "acme")
		if err != nil {
			t.Fatal(err)
		}
		if got := b.text(t, row("acme", "inFlight")); got != fmt.Sprint(st.InFlight) || st.InFlight == 0 {
			t.Errorf("acme in flight = %q, want %d (the engine's count, not 0)", got, st.InFlight)
		}
		if got := b.text(t, row("acme", "waitP99")); got == "–" || got == "" {
			t.Errorf("acme wait p99 = %q, want a duration after receives", got)
		}
		// Live refresh: umbrella's backlog grows without reloading.
		before := b.text(t, row("umbrella", "visible"))
		l.send(t, "billing", "umbrella", "late 1", "late 2")
		want := fmt.Sprint(atoi(t, before) + 2)
		b.waitText(t, row("umbrella", "visible"), want, 10*time.Second)
		b.screenshot(t, "tenants")

		b.do(t, "open acme", chromedp.Click(chromedp.CSS(`#tenants tr[data-tenant="acme"] a`)), chromedp.WaitVisible(chromedp.CSS(`#policy`)))
		if p := b.cells(t, "#policy"); !strings.Contains(p, "Tier|pro") || !strings.Contains(p, "Max in flight|50") {
			t.Errorf("acme's policy = %q, want tier pro with max in flight 50", p)
		}
		b.screenshot(t, "tenant")

		b.do(t, "open tiers", chromedp.Click(chromedp.CSS(`a[href="/ui/tiers"]`)), chromedp.WaitVisible(chromedp.CSS(`#tiers`)))
		if got := b.cells(t, `#tiers tr[data-tier="free"]`); got != "free|–|5/s (burst 10)|–" {
			t.Errorf("tier free = %q, want %q", got, "free|–|5/s (burst 10)|–")
		}
		if got := b.cells(t, "#assignments tbody"); !strings.Contains(got, "acme|pro") || !strings.Contains(got, "initech|free") {
			t.Errorf("server-wide settings = %q, want acme in pro and initech in free", got)
		}
		b.screenshot(t, "tiers")
	})

	b.noErrors(t)
}
