package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/server"
)

// running is a server under test and the means to stop it.
type running struct {
	srv    *server.Server
	url    string
	client *client.Client
	stop   context.CancelFunc
	done   chan error
}

// shutdown stops the server and returns Run's result, failing the test if
// Run takes longer than timeout to return.
func (r *running) shutdown(t *testing.T, timeout time.Duration) error {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(timeout):
		t.Fatalf("Run did not return within %v of cancellation", timeout)
		return nil
	}
}

// start runs a server on a loopback port with cfg and stops it when the
// test ends.
func start(t *testing.T, cfg server.Config) *running {
	t.Helper()
	if cfg.Listener == nil {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	ctx, stop := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg)
	if err != nil {
		stop()
		t.Fatalf("New() error = %v", err)
	}
	r := &running{srv: srv, url: "http://" + srv.Addr().String(), stop: stop, done: make(chan error, 1)}
	r.client = client.New(r.url)
	go func() { r.done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-r.done; err != nil {
			t.Errorf("Run() = %v, want nil after a clean shutdown", err)
		}
	})
	waitStatus(t, r.url+"/readyz", http.StatusOK)
	return r
}

// waitStatus polls url until it answers want, for at most 10 seconds.
func waitStatus(t *testing.T, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: never answered %d (last error %v)", url, want, err)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, bounded by the deadline
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthAndReadiness(t *testing.T) {
	r := start(t, server.Config{})
	for _, tc := range []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/healthz", http.StatusOK, "ok\n"},
		{"/readyz", http.StatusOK, "ok\n"},
	} {
		status, body := get(t, r.url+tc.path)
		if status != tc.wantStatus || body != tc.wantBody {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, status, body, tc.wantStatus, tc.wantBody)
		}
	}
	if status, _ := get(t, r.url+"/nope"); status != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", status)
	}
	if err := r.client.Health(t.Context()); err != nil {
		t.Errorf("client Health() = %v, want nil", err)
	}
}

func TestMetaFixesPartitionCount(t *testing.T) {
	dir := t.TempDir()
	r := start(t, server.Config{DataDir: dir, Partitions: 3})
	if got := r.srv.Partitions(); got != 3 {
		t.Errorf("Partitions() = %d, want 3", got)
	}
	if err := r.shutdown(t, 10*time.Second); err != nil {
		t.Fatalf("Run() = %v", err)
	}

	b, err := os.ReadFile(filepath.Join(dir, "META"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Format, Partitions int }
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatalf("META is not JSON: %v\n%s", err, b)
	}
	if meta.Format != 1 || meta.Partitions != 3 {
		t.Errorf("META = %s, want format 1 and 3 partitions", b)
	}
	for i := range 3 {
		if _, err := os.Stat(filepath.Join(dir, "partitions", fmt.Sprintf("%02d", i))); err != nil {
			t.Errorf("partition directory %d: %v", i, err)
		}
	}

	_, err = server.New(t.Context(), server.Config{Listen: "127.0.0.1:0", DataDir: dir, Partitions: 4})
	if err == nil || !strings.Contains(err.Error(), "created with 3 partitions") {
		t.Errorf("New(Partitions: 4) on a 3-partition data dir: error = %v, want one naming the 3 partitions", err)
	}

	// Zero takes the data dir's count.
	r = start(t, server.Config{DataDir: dir})
	if got := r.srv.Partitions(); got != 3 {
		t.Errorf("Partitions() with zero config = %d, want the data dir's 3", got)
	}
}

func TestNewRefusesDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	start(t, server.Config{DataDir: dir})
	_, err := server.New(t.Context(), server.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second New on the same data dir: error = %v, want 'in use'", err)
	}
}

func TestNewRefusesPartitionsWithoutMeta(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "partitions", "00"), 0o750); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(t.Context(), server.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "no META") {
		t.Fatalf("New on partitions without META: error = %v, want one saying META is missing", err)
	}
}

func TestMessagesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	r := start(t, server.Config{DataDir: dir, Partitions: 2})
	if _, err := r.client.CreateQueue(ctx, sluice.QueueConfig{Name: "jobs"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, body := range []string{"a", "b", "c"} {
		if _, err := r.client.Send(ctx, "jobs", sluice.SendInput{Body: []byte(body)}); err != nil {
			t.Fatalf("Send(%q) = %v", body, err)
		}
		want[body] = true
	}
	if err := r.shutdown(t, 10*time.Second); err != nil {
		t.Fatalf("Run() = %v", err)
	}

	r = start(t, server.Config{DataDir: dir})
	wait := time.Duration(0)
	msgs, err := r.client.Receive(ctx, "jobs", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
	if err != nil {
		t.Fatalf("Receive() after restart = %v", err)
	}
	got := map[string]bool{}
	for _, m := range msgs {
		got[string(m.Body)] = true
	}
	if len(got) != len(want) || !got["a"] || !got["b"] || !got["c"] {
		t.Errorf("bodies received after restart = %v, want %v", got, want)
	}
}

func TestShutdownEndsLongPollsAndFinishesRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingListener{Listener: ln}
	r := start(t, server.Config{Listener: counting, ShutdownTimeout: 5 * time.Second})
	ctx := t.Context()
	if _, err := r.client.CreateQueue(ctx, sluice.QueueConfig{Name: "idle"}); err != nil {
		t.Fatal(err)
	}
	before := counting.accepted.Load()
	const polls = 3
	pollers := client.New(r.url) // no idle connections: each poll dials its own
	var wg sync.WaitGroup
	results := make(chan error, polls)
	for range polls {
		wg.Go(func() {
			wait := time.Minute
			_, err := pollers.Receive(ctx, "idle", sluice.ReceiveOptions{WaitTime: &wait})
			results <- err
		})
	}
	// Each poll runs on a connection of its own; wait until all are accepted
	// and parked in the engine (a request shutdown beats to its handler
	// would see its connection closed, which is not what this tests).
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := r.client.Stats(ctx, "idle")
		if err != nil {
			t.Fatal(err)
		}
		if counting.accepted.Load() >= before+polls && st.Waiting == polls {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d long-poll connections accepted, %d polls waiting", counting.accepted.Load()-before, polls, st.Waiting)
		}
		time.Sleep(time.Millisecond) // polling interval, bounded by the deadline
	}

	began := time.Now()
	if err := r.shutdown(t, 5*time.Second); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("shutdown with %d long polls took %v, want them cancelled promptly", polls, took)
	}
	wg.Wait()
	close(results)
	for err := range results {
		// Shutdown ends a long poll as its timeout would: no messages and
		// no error, never a broken response.
		if err != nil {
			t.Errorf("long poll cut by shutdown ended with %v, want an empty answer", err)
		}
	}
	if _, err := http.Get(r.url + "/healthz"); err == nil {
		t.Errorf("GET /healthz after shutdown succeeded, want the listener closed")
	}
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

func TestAccessLogAtDebug(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := start(t, server.Config{Logger: logger})

	req, _ := http.NewRequest(http.MethodGet, r.url+"/healthz", nil)
	req.Header.Set("X-Request-Id", "test-req-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "test-req-1" {
		t.Errorf("X-Request-Id echoed = %q, want test-req-1", got)
	}
	if err := r.shutdown(t, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	var sawListening, sawRequest bool
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		switch rec["msg"] {
		case "listening":
			sawListening = rec["addr"] == r.srv.Addr().String() && rec["level"] == "INFO"
		case "request":
			if rec["request_id"] == "test-req-1" {
				sawRequest = rec["method"] == "GET" && rec["path"] == "/healthz" && rec["action"] == "GET /healthz" && rec["status"] == float64(200) && rec["duration"] != nil
			}
		}
	}
	if !sawListening {
		t.Errorf("no INFO 'listening' line with addr=%s in:\n%s", r.srv.Addr(), buf.String())
	}
	if !sawRequest {
		t.Errorf("no access log line for GET /healthz with request_id, method, path, status, duration in:\n%s", buf.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// The SQS API shares the port: a queue made through it is a native queue,
// queue URLs follow PublicURL and the configured account, and requests
// that are not AWS requests still get 404.
func TestSQSSharesThePort(t *testing.T) {
	r := start(t, server.Config{PublicURL: "https://sluice.example.com/", AWSAccount: "123456789012"})
	post := func(path, form string) (int, string) {
		t.Helper()
		resp, err := http.Post(r.url+path, "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := post("/", "Action=CreateQueue&Version=2012-11-05&QueueName=jobs")
	if want := "<QueueUrl>https://sluice.example.com/123456789012/jobs</QueueUrl>"; status != 200 || !strings.Contains(body, want) {
		t.Fatalf("CreateQueue = %d %s, want 200 with %s", status, body, want)
	}
	if _, err := r.client.Send(t.Context(), "jobs", sluice.SendInput{Body: []byte("native")}); err != nil {
		t.Fatalf("native Send to the SQS-made queue = %v", err)
	}
	// A Query client posting to the queue URL, with no QueueUrl parameter.
	status, body = post("/123456789012/jobs", "Action=ReceiveMessage&Version=2012-11-05")
	if status != 200 || !strings.Contains(body, "<Body>native</Body>") {
		t.Errorf("ReceiveMessage at the queue URL = %d %s", status, body)
	}
	status, body = post("/", "Action=GetQueueAttributes&Version=2012-11-05&QueueUrl=x&AttributeName.1=QueueArn")
	if status != 400 || !strings.Contains(body, "AWS.SimpleQueueService.NonExistentQueue") {
		t.Errorf("GetQueueAttributes(x) = %d %s", status, body)
	}
	// A browser's GET / goes to the dashboard; other paths are not found.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noFollow.Get(r.url + "/"); err != nil || resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
		t.Errorf("GET / = %v, %v; want a redirect to /ui/", resp, err)
	} else {
		resp.Body.Close()
	}
	if status, _ := get(t, r.url+"/nothing-here"); status != http.StatusNotFound {
		t.Errorf("GET /nothing-here = %d, want 404", status)
	}
	if status, _ := get(t, r.url+"/v1/queues/jobs"); status != http.StatusOK {
		t.Errorf("GET /v1/queues/jobs = %d, want 200", status)
	}
}
