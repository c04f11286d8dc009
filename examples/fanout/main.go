// Command fanout is the seed's "topics create alternatives to rewrites"
// story, runnable: an existing producer publishes order events to a topic
// that feeds the original work queue; later a new service is added beside
// it through a second subscription, and the producer does not change.
//
//	go run ./examples/fanout                 # starts a server in this process
//	go run ./examples/fanout -server http://127.0.0.1:9324
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/examples/internal/embedded"
	"github.com/sluicehq/sluice/internal/server"
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

	// Day 1: the producer publishes to a topic that feeds the work queue the
	// original worker has always consumed.
	if err := setup(ctx, c, "order-work", ""); err != nil {
		return err
	}
	if err := produce(ctx, c, 1, 3); err != nil {
		return err
	}
	fmt.Fprintln(out, "day 1:")
	if err := consume(ctx, c, "order-work", "  original worker", out); err != nil {
		return err
	}

	// Day 2: a new search indexer wants new orders only. It gets its own
	// queue and a filtered subscription; the producer is not touched.
	if err := setup(ctx, c, "search-index", `{"status": ["created"]}`); err != nil {
		return err
	}
	if err := produce(ctx, c, 4, 6); err != nil {
		return err
	}
	fmt.Fprintln(out, "day 2:")
	if err := consume(ctx, c, "order-work", "  original worker", out); err != nil {
		return err
	}
	return consume(ctx, c, "search-index", "  search indexer ", out)
}

// setup creates the orders topic if needed, and a queue subscribed to it.
func setup(ctx context.Context, c *client.Client, queue, filter string) error {
	if _, err := c.CreateTopic(ctx, sluice.TopicConfig{Name: "orders"}); err != nil {
		return err
	}
	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: queue}); err != nil {
		return err
	}
	_, err := c.Subscribe(ctx, sluice.Subscription{
		Topic: "orders", Protocol: sluice.ProtocolQueue, Endpoint: queue, Raw: true, FilterPolicy: filter,
	})
	return err
}

// produce is the existing producer: it publishes order events and knows
// nothing of who consumes them.
func produce(ctx context.Context, c *client.Client, from, to int) error {
	for id := from; id <= to; id++ {
		status := "created"
		if id%3 == 0 {
			status = "cancelled"
		}
		_, err := c.Publish(ctx, "orders", sluice.PublishInput{
			Body:       []byte(fmt.Sprintf(`{"order": %d, "status": %q}`, id, status)),
			Attributes: map[string]sluice.Attribute{"status": {Type: "String", String: status}},
		})
		if err != nil {
			return fmt.Errorf("publish order %d: %w", id, err)
		}
	}
	return nil
}

// consume takes everything waiting in a queue and acknowledges it.
func consume(ctx context.Context, c *client.Client, queue, who string, out io.Writer) error {
	wait := time.Second
	for {
		msgs, err := c.Receive(ctx, queue, sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		for _, m := range msgs {
			fmt.Fprintf(out, "%s handled %s\n", who, m.Body)
			if err := c.Ack(ctx, queue, m.Receipt); err != nil {
				return err
			}
		}
	}
}
