package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/cli"
	"github.com/sluicehq/sluice/internal/wire"
	"github.com/sluicehq/sluice/sluicetest"
)

// result is what one run of the command line produced.
type result struct {
	code           int
	stdout, stderr string
}

// fixture is a server and a way to run the CLI against it.
type fixture struct {
	t   *testing.T
	srv *sluicetest.Server
}

func setup(t *testing.T, opts ...sluicetest.Option) *fixture {
	t.Helper()
	return &fixture{t: t, srv: sluicetest.NewServer(t, opts...)}
}

// run runs sluice with args and --server pointing at the fixture's server.
func (f *fixture) run(args ...string) result {
	f.t.Helper()
	return f.runStdin("", args...)
}

func (f *fixture) runStdin(stdin string, args ...string) result {
	f.t.Helper()
	return runMain(f.t, stdin, append(args, "--server", f.srv.URL)...)
}

// ok runs sluice and fails the test unless it exits 0.
func (f *fixture) ok(args ...string) string {
	f.t.Helper()
	r := f.run(args...)
	if r.code != 0 {
		f.t.Fatalf("sluice %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// okJSON runs sluice with --json and decodes its output into v.
func (f *fixture) okJSON(v any, args ...string) {
	f.t.Helper()
	out := f.ok(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		f.t.Fatalf("sluice %s --json printed invalid JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func runMain(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// wantFailure checks that r failed with code and a single "sluice: " line
// on stderr containing every one of wants.
func wantFailure(t *testing.T, what string, r result, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: exit %d, want %d (stderr %q)", what, r.code, code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "sluice: ") {
		t.Errorf("%s: stderr = %q, want one line starting with 'sluice: '", what, r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("%s: stderr = %q, want it to mention %q", what, r.stderr, w)
		}
	}
}

// tableRow returns the fields of the line of a table whose first field is
// key, or nil.
func tableRow(out, key string) []string {
	for line := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == key {
			return f
		}
	}
	return nil
}

func TestQueueLifecycle(t *testing.T) {
	f := setup(t)

	out := f.ok("queue", "create", "orders", "--visibility-timeout", "45", "--tag", "team=billing")
	if row := tableRow(out, "visibility"); row == nil || row[len(row)-1] != "45s" {
		t.Errorf("queue create table: visibility row %q, want 45s\n%s", row, out)
	}
	var created wire.Queue
	f.okJSON(&created, "queue", "create", "payments.fifo", "--content-based-dedup")
	if created.Name != "payments.fifo" || created.Type != sluice.FIFO || !created.ContentBasedDedup {
		t.Errorf("queue create --json = %+v, want a content-deduplicated FIFO queue payments.fifo", created)
	}

	out = f.ok("queue", "list")
	if row := tableRow(out, "NAME"); row == nil {
		t.Errorf("queue list has no header:\n%s", out)
	}
	if row := tableRow(out, "orders"); row == nil || row[1] != "standard" || row[2] != "45s" || row[len(row)-1] != "team=billing" {
		t.Errorf("queue list row for orders = %q\n%s", row, out)
	}
	if tableRow(out, "payments.fifo") == nil {
		t.Errorf("queue list lacks payments.fifo:\n%s", out)
	}
	var list []wire.Queue
	f.okJSON(&list, "queue", "list", "--prefix", "pay")
	if len(list) != 1 || list[0].Name != "payments.fifo" {
		t.Errorf("queue list --prefix pay --json = %+v, want only payments.fifo", list)
	}

	out = f.ok("queue", "update", "orders", "--visibility-timeout", "5m", "--delay", "2s", "--tag", "owner=ann", "--untag", "team")
	if row := tableRow(out, "visibility"); row == nil || row[len(row)-1] != "5m" {
		t.Errorf("queue update table: visibility row %q, want 5m\n%s", row, out)
	}
	var got wire.Queue
	f.okJSON(&got, "queue", "get", "orders")
	if time.Duration(got.VisibilityTimeout) != 5*time.Minute || time.Duration(got.Delay) != 2*time.Second {
		t.Errorf("after update: visibility %v delay %v, want 5m and 2s", got.VisibilityTimeout, got.Delay)
	}
	if len(got.Tags) != 1 || got.Tags["owner"] != "ann" {
		t.Errorf("after update: tags %v, want only owner=ann", got.Tags)
	}

	out = f.ok("queue", "delete", "orders", "payments.fifo")
	if !strings.Contains(out, "deleted queue orders") || !strings.Contains(out, "deleted queue payments.fifo") {
		t.Errorf("queue delete printed %q", out)
	}
	wantFailure(t, "queue get after delete", f.run("queue", "get", "orders"), 1, `queue "orders" does not exist`)
}

func TestSendReceiveAck(t *testing.T) {
	f := setup(t)
	f.ok("queue", "create", "jobs")

	var sent []wire.SendResult
	f.okJSON(&sent, "send", "jobs", "from-arg", "--attr", "priority=Number:5", "--attr", "kind=email", "--tenant", "acme")
	if len(sent) != 1 || sent[0].ID == "" {
		t.Fatalf("send --json = %+v, want one result with an id", sent)
	}
	if r := f.runStdin("from-stdin\n", "send", "jobs"); r.code != 0 || !strings.Contains(r.stdout, "ID") {
		t.Fatalf("send from stdin: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	var msgs []wire.Message
	f.okJSON(&msgs, "receive", "jobs", "--max", "10", "--wait", "1s")
	if len(msgs) != 2 {
		t.Fatalf("receive --json got %d messages, want 2: %+v", len(msgs), msgs)
	}
	bodies := map[string]wire.Message{}
	for _, m := range msgs {
		if m.Body == nil {
			t.Fatalf("message %s has no text body", m.ID)
		}
		bodies[*m.Body] = m
	}
	m, ok := bodies["from-arg"]
	if !ok {
		t.Fatalf("bodies %v lack from-arg", bodies)
	}
	if a := m.Attributes["priority"]; a.Type != "Number" || a.Value != "5" || m.Tenant != "acme" || m.Attributes["kind"].Value != "email" {
		t.Errorf("from-arg message = %+v, want priority Number 5, kind email, tenant acme", m)
	}
	if _, ok := bodies["from-stdin\n"]; !ok {
		t.Errorf("bodies %v lack the stdin body with its newline", bodies)
	}

	out := f.ok("ack", "jobs", msgs[0].Receipt, msgs[1].Receipt)
	if !strings.Contains(out, "acked 2 messages") {
		t.Errorf("ack printed %q, want 'acked 2 messages'", out)
	}
	var st wire.Stats
	f.okJSON(&st, "stats", "jobs")
	if st.Visible != 0 || st.InFlight != 0 || st.Acked != 2 {
		t.Errorf("stats after ack = %+v, want nothing visible or in flight and 2 acked", st)
	}
	if out := f.ok("receive", "jobs", "--wait", "0"); !strings.Contains(out, "no messages") {
		t.Errorf("receive on an empty queue printed %q, want 'no messages'", out)
	}

	// A table receive with --ack leaves nothing behind.
	f.ok("send", "jobs", "table-body")
	out = f.ok("receive", "jobs", "--wait", "1s", "--ack")
	if row := tableRow(out, "ID"); row == nil || !strings.Contains(out, "table-body") {
		t.Errorf("receive table = %q, want a header and the body", out)
	}
	f.okJSON(&st, "stats", "jobs")
	if st.Visible+st.InFlight != 0 {
		t.Errorf("stats after receive --ack = %+v, want the queue empty", st)
	}
}

func TestNackReturnsTheMessage(t *testing.T) {
	f := setup(t)
	f.ok("queue", "create", "jobs")
	f.ok("send", "jobs", "again")
	var first []wire.Message
	f.okJSON(&first, "receive", "jobs", "--wait", "1s", "--visibility-timeout", "10m")
	if len(first) != 1 {
		t.Fatalf("receive got %d messages, want 1", len(first))
	}
	if out := f.ok("nack", "jobs", first[0].Receipt); !strings.Contains(out, "returned 1") {
		t.Errorf("nack printed %q", out)
	}
	var second []wire.Message
	f.okJSON(&second, "receive", "jobs", "--wait", "2s")
	if len(second) != 1 || second[0].ID != first[0].ID || second[0].ReceiveCount != 2 {
		t.Fatalf("receive after nack = %+v, want message %s with receive count 2", second, first[0].ID)
	}
	wantFailure(t, "ack with the stale receipt", f.run("ack", "jobs", first[0].Receipt), 1, "stale")
}

func TestPurgeStatsAndSendCount(t *testing.T) {
	f := setup(t)
	f.ok("queue", "create", "a")
	f.ok("queue", "create", "b")
	out := f.ok("send", "a", "x", "--count", "250")
	if !strings.Contains(out, "sent 250 messages to a") {
		t.Errorf("send --count 250 printed %q", out)
	}
	out = f.ok("stats")
	if tableRow(out, "QUEUE") == nil {
		t.Errorf("stats has no header:\n%s", out)
	}
	if row := tableRow(out, "a"); row == nil || row[1] != "250" {
		t.Errorf("stats row for a = %q, want 250 visible\n%s", row, out)
	}
	if row := tableRow(out, "b"); row == nil || row[1] != "0" {
		t.Errorf("stats row for b = %q, want 0 visible\n%s", row, out)
	}
	var all []wire.Stats
	f.okJSON(&all, "stats")
	if len(all) != 2 {
		t.Errorf("stats --json for all queues = %+v, want 2 entries", all)
	}
	if out := f.ok("queue", "purge", "a"); !strings.Contains(out, "purged 250 messages from a") {
		t.Errorf("purge printed %q", out)
	}
	var st wire.Stats
	f.okJSON(&st, "stats", "a")
	if st.Visible != 0 {
		t.Errorf("stats after purge = %+v, want nothing visible", st)
	}
}

func TestDeadLetterAndRedrive(t *testing.T) {
	f := setup(t)
	f.ok("queue", "create", "work-dlq")
	f.ok("queue", "create", "work", "--dead-letter-queue", "work-dlq", "--max-receives", "1")
	f.ok("send", "work", "poison")
	var msgs []wire.Message
	f.okJSON(&msgs, "receive", "work", "--wait", "1s")
	if len(msgs) != 1 {
		t.Fatalf("receive got %d messages, want 1", len(msgs))
	}
	f.ok("nack", "work", msgs[0].Receipt)
	// Its next receive finds it over the limit and moves it to the DLQ.
	f.okJSON(&msgs, "receive", "work", "--wait", "0")
	if len(msgs) != 0 {
		t.Fatalf("receive after max receives got %+v, want the message dead-lettered", msgs)
	}
	var st wire.Stats
	f.okJSON(&st, "stats", "work-dlq")
	if st.Visible != 1 {
		t.Fatalf("dead-letter queue stats = %+v, want 1 visible", st)
	}
	if out := f.ok("redrive", "work-dlq"); !strings.Contains(out, "moved 1 messages out of work-dlq") {
		t.Errorf("redrive printed %q", out)
	}
	f.okJSON(&msgs, "receive", "work", "--wait", "1s")
	if len(msgs) != 1 || msgs[0].Body == nil || *msgs[0].Body != "poison" {
		t.Errorf("receive after redrive = %+v, want the poison message back", msgs)
	}
	wantFailure(t, "redrive from a missing queue", f.run("redrive", "nope"), 1, `queue "nope" does not exist`)
}

func TestBadInput(t *testing.T) {
	f := setup(t, sluicetest.WithLimits(sluice.Limits{MaxMessageSize: 1024}))
	f.ok("queue", "create", "small")

	wantFailure(t, "send to a missing queue", f.run("send", "missing", "x"), 1, `queue "missing" does not exist`)
	wantFailure(t, "create with a bad name", f.run("queue", "create", "bad name!"), 1, "name")
	wantFailure(t, "create with a bad visibility", f.run("queue", "create", "q", "--visibility-timeout", "13h"), 1, "visibility_timeout")
	wantFailure(t, "oversized body", f.run("send", "small", strings.Repeat("x", 2000)), 1, "1024")
	wantFailure(t, "bad attribute type", f.run("send", "small", "x", "--attr", "n=Number:abc"), 1, "attributes.n")

	wantFailure(t, "unknown flag", f.run("queue", "list", "--bogus"), 2, "flag provided but not defined: -bogus")
	wantFailure(t, "missing argument", f.run("queue", "create"), 2, "queue create", "NAME")
	wantFailure(t, "extra argument", f.run("queue", "get", "a", "b"), 2, `unexpected argument "b"`)
	wantFailure(t, "bad duration", f.run("receive", "small", "--wait", "soon"), 2, "soon")
	wantFailure(t, "type change", f.run("queue", "update", "small", "--type", "fifo"), 2, "type")
	wantFailure(t, "nothing to update", f.run("queue", "update", "small"), 2, "nothing to change")
	wantFailure(t, "bad server URL", runMain(t, "", "queue", "list", "--server", "localhost:1"), 2, "--server")
	wantFailure(t, "unknown command", runMain(t, "", "frobnicate"), 2, `unknown command "frobnicate"`)
	wantFailure(t, "unknown subcommand", runMain(t, "", "queue", "frobnicate"), 2, `unknown command "frobnicate"`)
	wantFailure(t, "no server", runMain(t, "", "queue", "list", "--server", "http://127.0.0.1:1"), 1, "is the server running")
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"help"}, {"queue", "--help"}, {"queue", "create", "--help"}, {"send", "-h"},
		{"receive", "--help"}, {"ack", "--help"}, {"nack", "--help"}, {"stats", "--help"},
		{"redrive", "--help"}, {"serve", "--help"}, {"bench", "--help"}, {"version", "--help"},
	} {
		r := runMain(t, "", args...)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("sluice %s: exit %d, stdout %q, stderr %q; want usage on stdout and exit 0", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		if len(args) > 1 && args[0] != "queue" || len(args) == 3 {
			if !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "Flags:") {
				t.Errorf("sluice %s lacks flags or examples:\n%s", strings.Join(args, " "), r.stdout)
			}
		}
	}
	if r := runMain(t, ""); r.code != 2 || !strings.Contains(r.stderr, "Commands:") {
		t.Errorf("sluice with no arguments: exit %d stderr %q, want 2 and the command list", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	r := runMain(t, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sluice ") {
		t.Errorf("version: exit %d stdout %q", r.code, r.stdout)
	}
	r = runMain(t, "", "version", "--json")
	var v struct{ Version, Go string }
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version == "" || !strings.HasPrefix(v.Go, "go") {
		t.Errorf("version --json = %q (%v)", r.stdout, err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

// serve runs "sluice serve" in-process with args until the returned stop is
// called, and returns its stderr, the address it listens on, and stop,
// which returns the exit status.
func serve(t *testing.T, args ...string) (*syncBuffer, string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := newSyncBuffer()
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), strings.NewReader(""), &bytes.Buffer{}, stderr)
	}()
	stop := sync.OnceValue(func() int { cancel(); return <-done })
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		for line := range strings.SplitSeq(stderr.String(), "\n") {
			if _, addr, ok := strings.Cut(line, "addr="); ok && strings.Contains(line, "listening") {
				return stderr, strings.Fields(addr)[0], stop
			}
			if _, addr, ok := strings.Cut(line, `"addr":"`); ok && strings.Contains(line, "listening") {
				return stderr, addr[:strings.IndexByte(addr, '"')], stop
			}
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before listening; stderr:\n%s", code, stderr.String())
		case <-time.After(5 * time.Millisecond): // polling interval, bounded by the deadline
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not log its address; stderr:\n%s", stderr.String())
		}
	}
}

func TestServeFlagsWinOverEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_DATA_DIR", dir)
	t.Setenv("SLUICE_PARTITIONS", "2")
	t.Setenv("SLUICE_LOG_FORMAT", "json")
	t.Setenv("SLUICE_LOG_LEVEL", "debug")

	stderr, addr, stop := serve(t, "--log-format", "text")
	if r := runMain(t, "", "queue", "create", "q", "--server", "http://"+addr); r.code != 0 {
		t.Fatalf("queue create against serve: %+v", r)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d after cancellation, want 0; stderr:\n%s", code, stderr.String())
	}
	logs := stderr.String()
	if !strings.Contains(logs, "level=INFO msg=listening") {
		t.Errorf("--log-format text did not override SLUICE_LOG_FORMAT=json:\n%s", logs)
	}
	if !strings.Contains(logs, "level=DEBUG msg=request") {
		t.Errorf("SLUICE_LOG_LEVEL=debug did not enable the access log:\n%s", logs)
	}
	if !strings.Contains(logs, "partitions=2") {
		t.Errorf("SLUICE_PARTITIONS=2 and SLUICE_DATA_DIR were not used:\n%s", logs)
	}

	// The data dir has 2 partitions now; a flag asking for 3 must win over
	// the environment's 2 and so be refused.
	r := runMain(t, "", "serve", "--listen", "127.0.0.1:0", "--partitions", "3", "--log-level", "error")
	wantFailure(t, "serve --partitions 3 on a 2-partition data dir", r, 1, "2 partitions")
}

func TestServeRejectsBadFlags(t *testing.T) {
	wantFailure(t, "bad fsync", runMain(t, "", "serve", "--fsync", "sometimes"), 2, "--fsync")
	wantFailure(t, "bad log level", runMain(t, "", "serve", "--log-level", "loud"), 2, "--log-level")
	wantFailure(t, "no tenant series", runMain(t, "", "serve", "--metrics-max-tenants", "0"), 2, "--metrics-max-tenants")
	for _, u := range []string{"sluice.example.com", "ftp://sluice.example.com", "https://", "https://h/?q=1", "https://user:pw@h"} {
		wantFailure(t, "bad public URL "+u, runMain(t, "", "serve", "--public-url", u), 2, "--public-url")
	}
	wantFailure(t, "bad replicas", runMain(t, "", "serve", "--cluster", "nats://127.0.0.1:1", "--replicas", "7"), 2, "--replicas")
	wantFailure(t, "no NATS server", runMain(t, "", "serve", "--listen", "127.0.0.1:0", "--cluster", "nats://127.0.0.1:1", "--log-level", "error"), 1, "connect to NATS at nats://127.0.0.1:1")
	t.Setenv("SLUICE_PARTITIONS", "many")
	wantFailure(t, "bad env partitions", runMain(t, "", "serve"), 2, "SLUICE_PARTITIONS")
}

// TestServeMetricsMaxTenants checks that SLUICE_METRICS_MAX_TENANTS
// reaches the tenants' metrics: with 1, the second tenant is summed.
func TestServeMetricsMaxTenants(t *testing.T) {
	t.Setenv("SLUICE_DATA_DIR", t.TempDir())
	t.Setenv("SLUICE_METRICS_MAX_TENANTS", "1")
	_, addr, _ := serve(t)
	c := client.New("http://" + addr)
	if _, err := c.CreateQueue(t.Context(), sluice.QueueConfig{Name: "jobs"}); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"big", "big", "small"} {
		if _, err := c.Send(t.Context(), "jobs", sluice.SendInput{Body: []byte("x"), Tenant: tenant}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`sluice_tenant_messages{queue="jobs",state="visible",tenant="big"} 2`,
		`sluice_tenant_messages{queue="jobs",state="visible",tenant="~other"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(body), `tenant="small"`) {
		t.Errorf("/metrics has series of tenant small beyond SLUICE_METRICS_MAX_TENANTS=1")
	}
}

// TestServePublicURL checks that --public-url is where the links the
// server hands out point: here, the SubscribeURL of an HTTP subscription's
// confirmation request.
func TestServePublicURL(t *testing.T) {
	t.Setenv("SLUICE_DATA_DIR", t.TempDir())
	links := make(chan string, 1)
	subscriber := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n struct{ Type, SubscribeURL string }
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &n) == nil && n.Type == "SubscriptionConfirmation" {
			select {
			case links <- n.SubscribeURL:
			default:
			}
		}
	}))
	t.Cleanup(subscriber.Close)

	stderr, addr, stop := serve(t, "--public-url", "https://sluice.example.com/")
	defer stop()
	server := "http://" + addr
	if r := runMain(t, "", "topic", "create", "events", "--server", server); r.code != 0 {
		t.Fatalf("topic create: %+v", r)
	}
	if r := runMain(t, "", "subscribe", "events", "--protocol", "http", "--endpoint", subscriber.URL, "--server", server); r.code != 0 {
		t.Fatalf("subscribe: %+v", r)
	}
	select {
	case link := <-links:
		if want := "https://sluice.example.com/v1/topics/events/confirm?token="; !strings.HasPrefix(link, want) {
			t.Errorf("SubscribeURL = %q, want it to start with %q", link, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no confirmation request reached the subscriber; stderr:\n%s", stderr.String())
	}
}
