package sluicetest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sluicetest"
)

func TestNewServerServesTheNativeAPI(t *testing.T) {
	srv := sluicetest.NewServer(t)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want http://127.0.0.1:<port>", srv.URL)
	}
	ctx := t.Context()
	if _, err := srv.Client.CreateQueue(ctx, sluice.QueueConfig{Name: "jobs"}); err != nil {
		t.Fatalf("CreateQueue() = %v", err)
	}
	if _, err := srv.Client.Send(ctx, "jobs", sluice.SendInput{Body: []byte("hello")}); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	wait := time.Second
	msgs, err := srv.Client.Receive(ctx, "jobs", sluice.ReceiveOptions{WaitTime: &wait})
	if err != nil || len(msgs) != 1 || string(msgs[0].Body) != "hello" {
		t.Fatalf("Receive() = %v, %v; want one message with body hello", msgs, err)
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz = %d, want 200", resp.StatusCode)
	}
}

func TestWithLimitsIsEnforced(t *testing.T) {
	srv := sluicetest.NewServer(t, sluicetest.WithLimits(sluice.Limits{MaxMessageSize: 100}), sluicetest.WithPartitions(1))
	ctx := t.Context()
	if _, err := srv.Client.CreateQueue(ctx, sluice.QueueConfig{Name: "small"}); err != nil {
		t.Fatal(err)
	}
	_, err := srv.Client.Send(ctx, "small", sluice.SendInput{Body: make([]byte, 101)})
	var le *sluice.LimitError
	var ia *sluice.InvalidArgumentError
	if !errors.As(err, &le) && !errors.As(err, &ia) {
		t.Fatalf("Send(101 bytes) with a 100-byte limit = %v, want a limit or invalid-argument error", err)
	}
}

func TestCloseAndRestartOnTheSameData(t *testing.T) {
	dir := t.TempDir()
	srv := sluicetest.NewServer(t, sluicetest.WithDataDir(dir))
	ctx := t.Context()
	if _, err := srv.Client.CreateQueue(ctx, sluice.QueueConfig{Name: "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close() = %v, want the first's nil", err)
	}
	srv = sluicetest.NewServer(t, sluicetest.WithDataDir(dir))
	if _, err := srv.Client.GetQueue(ctx, "kept"); err != nil {
		t.Fatalf("GetQueue(kept) after restart = %v", err)
	}
}
