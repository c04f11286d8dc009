// Package embedded starts a Sluice server inside an example's process, so
// that each example runs with `go run` and nothing else.
package embedded

import (
	"cmp"
	"context"
	"errors"
	"log"
	"log/slog"
	"net"
	"os"

	"github.com/sluicehq/sluice/internal/server"
)

// Start runs a server on a free loopback port with its data in a new
// temporary directory, configured by cfg (its listener and data directory
// are set here; a nil Logger logs warnings and errors to stderr). It returns
// the server's URL and a shutdown func that stops the server and removes
// the directory.
func Start(ctx context.Context, cfg server.Config) (string, func(), error) {
	dir, err := os.MkdirTemp("", "sluice-example-")
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	cfg.Listener, cfg.DataDir = ln, dir
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	srv, err := server.New(ctx, cfg)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	shutdown := func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			log.Print(err)
		}
		os.RemoveAll(dir)
	}
	return "http://" + ln.Addr().String(), shutdown, nil
}
