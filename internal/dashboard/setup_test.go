package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/dashboard"
	"github.com/sluicehq/sluice/internal/server"
)

// live is a running server for dashboard tests.
type live struct {
	url    string
	client *client.Client
}

// setup starts a real server on a loopback port whose dashboard samples
// every interval, and stops it when the test ends.
func setup(t testing.TB, interval time.Duration) *live {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	srv, err := server.New(ctx, server.Config{
		Listen:    "127.0.0.1:0",
		DataDir:   t.TempDir(),
		Dashboard: dashboard.Options{SampleInterval: interval},
	})
	if err != nil {
		stop()
		t.Fatalf("server.New() = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	})
	l := &live{url: "http://" + srv.Addr().String()}
	l.client = client.New(l.url)
	deadline := time.Now().Add(10 * time.Second)
	for l.client.Health(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return l
}

func (l *live) queue(t testing.TB, cfg sluice.QueueConfig) {
	t.Helper()
	if _, err := l.client.CreateQueue(context.Background(), cfg); err != nil {
		t.Fatalf("CreateQueue(%s) = %v", cfg.Name, err)
	}
}

func (l *live) send(t testing.TB, queue, tenant string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := l.client.Send(context.Background(), queue, sluice.SendInput{Body: []byte(b), Tenant: tenant}); err != nil {
			t.Fatalf("Send(%s) = %v", queue, err)
		}
	}
}

// get fetches path and returns its status and body.
func (l *live) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(l.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}
