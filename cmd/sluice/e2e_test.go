package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func TestServeDrivenByClientAndCLI(t *testing.T) {
	srv := startServe(t, t.TempDir())
	ctx := t.Context()

	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %v, %v; want 200", resp, err)
	}
	resp.Body.Close()

	code, out, errOut := runCLI(t, "", "queue", "create", "--server", srv.URL, "--visibility-timeout", "1m", "tasks")
	if code != 0 || !strings.Contains(out, "tasks") {
		t.Fatalf("sluice queue create: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := srv.Client.Send(ctx, "tasks", sluice.SendInput{Body: []byte("via client")}); err != nil {
		t.Fatalf("client Send() = %v", err)
	}
	if code, _, errOut := runCLI(t, "via cli", "send", "--server", srv.URL, "tasks", "-"); code != 0 {
		t.Fatalf("sluice send from stdin: exit %d: %s", code, errOut)
	}

	code, out, errOut = runCLI(t, "", "receive", "--server", srv.URL, "--max", "10", "--wait", "2s", "--json", "tasks")
	if code != 0 {
		t.Fatalf("sluice receive: exit %d: %s", code, errOut)
	}
	var msgs []wire.Message
	if err := json.Unmarshal([]byte(out), &msgs); err != nil {
		t.Fatalf("receive --json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, m := range msgs {
		got[*m.Body] = m.Receipt
	}
	if len(got) != 2 || got["via client"] == "" || got["via cli"] == "" {
		t.Fatalf("received %v, want the bodies 'via client' and 'via cli'", got)
	}
	code, out, errOut = runCLI(t, "", "ack", "--server", srv.URL, "tasks", got["via client"], got["via cli"])
	if code != 0 || !strings.Contains(out, "acked 2") {
		t.Fatalf("sluice ack: exit %d\n%s%s", code, out, errOut)
	}
	st, err := srv.Client.Stats(ctx, "tasks")
	if err != nil || st.Visible+st.InFlight != 0 || st.Acked != 2 {
		t.Errorf("Stats() = %+v, %v; want an empty queue with 2 acked", st, err)
	}

	code, _, errOut = runCLI(t, "", "send", "--server", srv.URL, "missing", "x")
	if code != 1 || errOut != "sluice: queue \"missing\" does not exist\n" {
		t.Errorf("send to a missing queue: exit %d stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "stats", "--nope")
	if code != 2 || !strings.HasPrefix(errOut, "sluice: ") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("bad flag: exit %d stderr %q, want 2 and one line", code, errOut)
	}
	code, out, _ = runCLI(t, "", "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "bench") {
		t.Errorf("sluice --help: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "sluice "+testVersion+" ") {
		t.Errorf("sluice version: exit %d %q, want the version set with -ldflags, %s", code, out, testVersion)
	}
}

func TestServeUsesEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_PARTITIONS", "2")
	srv := startServe(t, dir)
	if code := srv.terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	b, err := os.ReadFile(filepath.Join(dir, "META"))
	if err != nil || !strings.Contains(string(b), `"partitions": 2`) {
		t.Errorf("META = %s (%v), want 2 partitions from SLUICE_PARTITIONS", b, err)
	}
	// The flag wins over the environment, and the data dir refuses it.
	code, _, errOut := runCLI(t, "", "serve", "--listen", "127.0.0.1:0", "--data-dir", dir, "--partitions", "4", "--log-level", "error")
	if code != 1 || !strings.Contains(errOut, "created with 2 partitions") {
		t.Errorf("serve --partitions 4 on a 2-partition dir: exit %d stderr %q", code, errOut)
	}
}

func TestSIGTERMShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	srv := startServe(t, dir)
	ctx := t.Context()
	for _, q := range []string{"kept", "idle"} {
		if _, err := srv.Client.CreateQueue(ctx, sluice.QueueConfig{Name: q}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 50
	want := map[string]bool{}
	for i := range n {
		body := fmt.Sprintf("m%02d", i)
		if _, err := srv.Client.Send(ctx, "kept", sluice.SendInput{Body: []byte(body)}); err != nil {
			t.Fatalf("Send(%s) = %v", body, err)
		}
		want[body] = true
	}
	// A long poll in flight must not hold up the shutdown.
	polled := make(chan error, 1)
	go func() {
		wait := 5 * time.Minute
		_, err := srv.Client.Receive(ctx, "idle", sluice.ReceiveOptions{WaitTime: &wait})
		polled <- err
	}()

	began := time.Now()
	if code := srv.terminate(t, 15*time.Second); code != 0 {
		t.Fatalf("exit status after SIGTERM = %d, want 0\n%s", code, srv.logs())
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("graceful shutdown took %v with a long poll open, want it cut short", took)
	}
	select {
	case <-polled:
	case <-time.After(5 * time.Second):
		t.Errorf("the long poll did not end with the server")
	}
	for _, msg := range []string{"msg=\"shutting down\"", "msg=stopped"} {
		if !strings.Contains(srv.logs(), msg) {
			t.Errorf("logs lack %s:\n%s", msg, srv.logs())
		}
	}

	srv = startServe(t, dir)
	got := map[string]int{}
	wait := 500 * time.Millisecond
	for deadline := time.Now().Add(10 * time.Second); len(got) < n && time.Now().Before(deadline); {
		msgs, err := srv.Client.Receive(ctx, "kept", sluice.ReceiveOptions{Max: 100, WaitTime: &wait})
		if err != nil {
			t.Fatalf("Receive() after restart = %v", err)
		}
		for _, m := range msgs {
			got[string(m.Body)]++
		}
	}
	for body := range want {
		if got[body] != 1 {
			t.Errorf("after restart %s was received %d times, want once", body, got[body])
		}
	}
	if len(got) != n {
		t.Errorf("after restart received %d distinct bodies, want %d", len(got), n)
	}
}
