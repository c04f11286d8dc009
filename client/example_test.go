package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", client.WithToken("my-token"))

	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "emails", VisibilityTimeout: time.Minute}); err != nil {
		log.Fatal(err)
	}
	res, err := c.Send(ctx, "emails", sluice.SendInput{
		Body:       []byte(`{"to":"ada@example.com"}`),
		Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "welcome"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent", res.ID)
}

// A worker loop: long-poll, process, acknowledge; return failures to the
// queue with a delay.
func ExampleClient_Receive() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080")
	wait := 20 * time.Second
	for ctx.Err() == nil {
		msgs, err := c.Receive(ctx, "emails", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
		if err != nil {
			log.Print(err)
			continue
		}
		for _, m := range msgs {
			if err := process(m); err != nil {
				c.Nack(ctx, "emails", m.Receipt, 30*time.Second)
				continue
			}
			if err := c.Ack(ctx, "emails", m.Receipt); errors.Is(err, sluice.ErrReceiptStale) {
				log.Printf("message %s was redelivered before we finished", m.ID)
			}
		}
	}
}

func process(sluice.Message) error { return nil }

func ExampleClient_ListQueues() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080")
	opts := client.ListOptions{Prefix: "orders-"}
	for {
		page, err := c.ListQueues(ctx, opts)
		if err != nil {
			log.Fatal(err)
		}
		for _, q := range page.Queues {
			fmt.Println(q.Name, q.VisibilityTimeout)
		}
		if page.Next == "" {
			break
		}
		opts.After = page.Next
	}
}

// Errors unwrap to the values package sluice defines.
func ExampleError() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080")
	_, err := c.SendBatch(ctx, "orders", []sluice.SendInput{{Body: []byte("a")}})
	var invalid *sluice.InvalidArgumentError
	switch {
	case errors.Is(err, sluice.ErrQueueNotFound):
		fmt.Println("no such queue")
	case errors.As(err, &invalid):
		fmt.Println("rejected field", invalid.Field, ":", invalid.Reason)
	case err != nil:
		var apiErr *client.Error
		if errors.As(err, &apiErr) {
			fmt.Println("server error", apiErr.Code, "request", apiErr.RequestID)
		}
	}
}
