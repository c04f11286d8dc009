package nativeapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
	"github.com/sluicehq/sluice/internal/nativeapi"
	"github.com/sluicehq/sluice/internal/wire"
)

var _ nativeapi.Engine = (*engine.Engine)(nil)

// fixture is a real engine behind the native API on a loopback httptest
// server, with the real client pointed at it.
type fixture struct {
	client  *client.Client
	engine  *engine.Engine
	journal *memjournal.Journal
	url     string
	logs    *syncBuffer
	// receiveStarted and receiveFinished get the path of each receive
	// request as the handler starts and finishes it.
	receiveStarted, receiveFinished chan string
}

type setupOptions struct {
	api nativeapi.Options
	now func() time.Time
}

func setup(t *testing.T, opts ...func(*setupOptions)) *fixture {
	t.Helper()
	var so setupOptions
	for _, o := range opts {
		o(&so)
	}
	ctx, cancel := context.WithCancel(context.Background())
	j := memjournal.New()
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{j}, Limits: so.api.Limits, Now: so.now})
	if err != nil {
		t.Fatalf("engine.Open: %v", err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(ctx) }()

	f := &fixture{engine: e, journal: j, logs: &syncBuffer{}, receiveStarted: make(chan string, 16), receiveFinished: make(chan string, 16)}
	so.api.Logger = slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := nativeapi.New(e, so.api)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		receive := strings.HasSuffix(r.URL.Path, "/receive")
		if receive {
			signal(f.receiveStarted, r.URL.Path)
		}
		h.ServeHTTP(w, r)
		if receive {
			signal(f.receiveFinished, r.URL.Path)
		}
	}))
	f.url = srv.URL
	f.client = client.New(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("engine.Run: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", f.logs.String())
		}
	})
	return f
}

// signal sends path on c unless c is full.
func signal(c chan string, path string) {
	select {
	case c <- path:
	default:
	}
}

// createQueue creates a queue through the client or fails the test.
func (f *fixture) createQueue(t *testing.T, cfg sluice.QueueConfig) sluice.QueueConfig {
	t.Helper()
	q, err := f.client.CreateQueue(t.Context(), cfg)
	if err != nil {
		t.Fatalf("CreateQueue(%s) = %v", cfg.Name, err)
	}
	return q
}

// stats returns a queue's statistics or fails the test.
func (f *fixture) stats(t *testing.T, queue string) sluice.QueueStats {
	t.Helper()
	s, err := f.client.Stats(t.Context(), queue)
	if err != nil {
		t.Fatalf("Stats(%s) = %v", queue, err)
	}
	return s
}

// response is a raw HTTP response, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a raw request, for what the client cannot send. A body that is
// not a string is encoded as JSON; contentType "" sends none.
func (f *fixture) do(t *testing.T, method, path, contentType string, body any, header ...string) response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// apiError decodes an error response, failing the test if it is not one.
func (r response) apiError(t *testing.T) wire.ErrorBody {
	t.Helper()
	var doc wire.ErrorResponse
	if err := json.Unmarshal(r.body, &doc); err != nil || doc.Error.Code == "" {
		t.Fatalf("response %d %s is not an error document (%v)", r.status, r.body, err)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	return doc.Error
}

// wantAPIError checks that err is a *client.Error with the given status,
// code and field.
func wantAPIError(t *testing.T, what string, err error, status int, code, field string) *client.Error {
	t.Helper()
	var ce *client.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s = %v (%T), want *client.Error %s", what, err, err, code)
	}
	if ce.StatusCode != status || ce.Code != code || ce.Field != field {
		t.Errorf("%s = HTTP %d %s field %q, want HTTP %d %s field %q (%v)", what, ce.StatusCode, ce.Code, ce.Field, status, code, field, err)
	}
	if ce.RequestID == "" && status != 0 {
		t.Errorf("%s: error has no request id", what)
	}
	return ce
}

// syncBuffer is a bytes.Buffer safe for concurrent writes by the logger.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
