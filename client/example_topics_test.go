package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// Fan-out: every queue subscribed to a topic gets its own copy of each
// message that passes its filter policy.
func ExampleClient_Publish() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080")
	if _, err := c.CreateTopic(ctx, sluice.TopicConfig{Name: "orders"}); err != nil {
		log.Fatal(err)
	}
	for _, q := range []string{"billing", "big-orders"} {
		if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: q}); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := c.Subscribe(ctx, sluice.Subscription{Topic: "orders", Protocol: sluice.ProtocolQueue, Endpoint: "billing", Raw: true}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, sluice.Subscription{
		Topic: "orders", Protocol: sluice.ProtocolQueue, Endpoint: "big-orders", Raw: true,
		FilterPolicy: `{"price": [{"numeric": [">=", 100]}]}`,
	}); err != nil {
		log.Fatal(err)
	}
	res, err := c.Publish(ctx, "orders", sluice.PublishInput{
		Body:       []byte(`{"id": 42}`),
		Attributes: map[string]sluice.Attribute{"price": {Type: "Number", String: "150"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("published", res.ID, "to", res.Deliveries, "subscriptions")
}
