// Package sluicetest runs real Sluice servers for tests: the same server as
// `sluice serve`, with embedded storage in a temporary directory, on a
// loopback port chosen by the kernel.
//
// Use it in your own tests to exercise code that talks to Sluice without a
// mock:
//
//	srv := sluicetest.NewServer(t)
//	srv.Client.CreateQueue(ctx, sluice.QueueConfig{Name: "jobs"})
package sluicetest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
	"github.com/sluicehq/sluice/internal/server"
)

// Server is a running Sluice server.
type Server struct {
	// URL is the server's base URL, such as "http://127.0.0.1:41234".
	URL string
	// Client is a client for URL.
	Client *client.Client
	// DataDir is the server's data directory.
	DataDir string

	stop      context.CancelFunc
	done      chan error
	closeOnce sync.Once
	closeErr  error
}

// Option configures NewServer.
type Option func(*options)

type options struct {
	partitions int
	limits     sluice.Limits
	logger     *slog.Logger
	dataDir    string
	sync       string
}

// WithPartitions sets the number of engine partitions (default 4).
func WithPartitions(n int) Option { return func(o *options) { o.partitions = n } }

// WithLimits sets the server's limits; zero fields keep their defaults.
func WithLimits(l sluice.Limits) Option { return func(o *options) { o.limits = l } }

// WithLogger sends the server's logs to l (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithDataDir runs the server on dir instead of a new temporary directory,
// so a test can stop a server and start another on the same data.
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// WithSync sets the journals' fsync policy: "always", "never" or
// "interval:DURATION" (default: the server's).
func WithSync(policy string) Option { return func(o *options) { o.sync = policy } }

// NewServer starts a server on 127.0.0.1 and a free port, with data in
// t.TempDir() unless WithDataDir says otherwise, and waits until it is
// ready. It stops the server when the test and its subtests finish, and
// fails the test if the server does not shut down cleanly. NewServer calls
// t.Fatal if the server cannot start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.dataDir == "" {
		o.dataDir = t.TempDir()
	}
	cfg := server.Config{
		DataDir:    o.dataDir,
		Partitions: o.partitions,
		Limits:     o.limits,
		Logger:     o.logger,
	}
	if o.sync != "" {
		policy, err := filejournal.ParseSyncPolicy(o.sync)
		if err != nil {
			t.Fatalf("sluicetest: %v", err)
		}
		cfg.Sync = policy
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sluicetest: listen: %v", err)
	}
	cfg.Listener = ln
	ctx, stop := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg)
	if err != nil {
		stop()
		t.Fatalf("sluicetest: start server: %v", err)
	}
	s := &Server{
		URL:     "http://" + srv.Addr().String(),
		DataDir: o.dataDir,
		stop:    stop,
		done:    make(chan error, 1),
	}
	s.Client = client.New(s.URL)
	go func() { s.done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("sluicetest: server shutdown: %v", err)
		}
	})
	if err := s.waitReady(10 * time.Second); err != nil {
		t.Fatalf("sluicetest: %v", err)
	}
	return s
}

// Close stops the server gracefully and waits until it has released its
// data directory. It is safe to call more than once; NewServer's cleanup
// calls it too.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.closeErr = <-s.done
	})
	return s.closeErr
}

// waitReady polls /readyz until it answers 200, the server stops, or
// timeout passes.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var last error
	for time.Now().Before(deadline) {
		resp, err := hc.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/readyz answered %s", resp.Status)
		}
		last = err
		select {
		case err := <-s.done:
			s.done <- err // for Close
			return fmt.Errorf("server stopped while starting: %v", err)
		case <-tick.C:
		}
	}
	return fmt.Errorf("server not ready after %v: %v", timeout, last)
}
