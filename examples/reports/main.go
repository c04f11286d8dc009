// Command reports is the seed's "polling" story, runnable: a client hands
// over report requests and gets a task id at once instead of waiting; a
// worker pool renders the reports, one of them only on a second attempt
// after a transient failure; the client polls each task's status until it
// has succeeded and reads the result.
//
//	go run ./examples/reports                 # starts a server in this process
//	go run ./examples/reports -server http://127.0.0.1:9324
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/examples/internal/embedded"
	"github.com/sluicehq/sluice/internal/server"
	"github.com/sluicehq/sluice/worker"
)

func main() {
	serverURL := flag.String("server", "", "Sluice server URL (default: start one in this process)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *serverURL, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, url string, out io.Writer) error {
	if url == "" {
		var shutdown func()
		var err error
		if url, shutdown, err = embedded.Start(ctx, server.Config{}); err != nil {
			return err
		}
		defer shutdown()
	}
	c := client.New(url)
	// A tracked queue: every message is a task with a status. Failed
	// attempts are retried after 100ms, 200ms, ... up to 5 attempts.
	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "reports", Tasks: &sluice.TaskPolicy{
		MaxAttempts: 5, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second,
	}}); err != nil {
		return err
	}

	// The worker side: a pool of report renderers.
	var warehouseDown atomic.Bool
	warehouseDown.Store(true)
	mux := worker.NewMux()
	mux.HandleFunc("monthly-report", func(ctx context.Context, t *worker.Task) ([]byte, error) {
		customer := string(t.Body)
		if customer == "globex" && warehouseDown.Swap(false) {
			return nil, worker.RetryAfter(errors.New("data warehouse timed out"), 50*time.Millisecond)
		}
		return []byte(fmt.Sprintf("report for %s: %d orders", customer, len(customer)*7)), nil
	})
	pool, err := worker.NewPool(c, worker.Options{Queue: "reports", Handler: mux, Concurrency: 4, PollWait: time.Second, Worker: "renderer-1"})
	if err != nil {
		return err
	}
	poolCtx, stopPool := context.WithCancel(ctx)
	poolDone := make(chan error, 1)
	go func() { poolDone <- pool.Run(poolCtx) }()
	defer func() { stopPool(); <-poolDone }()

	// The client side: hand the requests over and get task ids at once.
	var ids []string
	for _, customer := range []string{"acme", "globex", "initech"} {
		res, err := c.Send(ctx, "reports", sluice.SendInput{
			Body: []byte(customer), Tenant: customer,
			Attributes: map[string]sluice.Attribute{"type": {Type: "String", String: "monthly-report"}},
		})
		if err != nil {
			return err
		}
		ids = append(ids, res.ID)
	}
	fmt.Fprintf(out, "accepted %d report requests\n", len(ids))

	// ... and poll their status until each is done.
	for _, id := range ids {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		s, err := c.WaitTask(wctx, "reports", id, 20*time.Millisecond)
		cancel()
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s after %d attempt(s): %s", s.State, s.Attempt, s.Result)
		if s.LastError != "" {
			line += " (earlier: " + strings.TrimSpace(s.LastError) + ")"
		}
		fmt.Fprintln(out, line)
	}
	return nil
}
