package server_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/cluster"
	"github.com/sluicehq/sluice/internal/natstest"
	"github.com/sluicehq/sluice/internal/server"
)

// eventually retries f every 50ms until it succeeds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// queueOn returns a queue name that lands on partition p of count.
func queueOn(p, count int) string {
	for i := 0; ; i++ {
		if name := fmt.Sprintf("q%d", i); cluster.Partition(name, count) == p {
			return name
		}
	}
}

// TestClusterMode runs three servers on a three-server JetStream cluster
// and shows that each answers for every queue and topic, forwarding to the
// owner, and that when one stops the others serve its partitions with
// their messages.
func TestClusterMode(t *testing.T) {
	const partitions = 3
	byID, _ := threeNodes(t)
	a, b, c := byID["a"], byID["b"], byID["c"]
	nodes := []*running{a, b, c}
	queues := []string{queueOn(0, partitions), queueOn(1, partitions), queueOn(2, partitions)}
	for _, q := range queues {
		eventually(t, 15*time.Second, "create "+q, func() error {
			_, err := a.client.CreateQueue(t.Context(), sluice.QueueConfig{Name: q})
			return err
		})
	}
	// Each queue through each node: at least two of three forward.
	// A partition may still move once as nodes settle to one each: a send
	// refused meanwhile (503, not applied) is retried.
	for _, q := range queues {
		for _, n := range nodes {
			retry(t, "Send("+q+")", func() error {
				_, err := n.client.Send(t.Context(), q, sluice.SendInput{Body: []byte("hello " + q)})
				return err
			})
		}
	}
	page, err := b.client.ListQueues(t.Context(), client.ListOptions{})
	if err != nil {
		t.Fatalf("ListQueues() error = %v", err)
	}
	var names []string
	for _, q := range page.Queues {
		names = append(names, q.Name)
	}
	if want := slices.Sorted(slices.Values(queues)); !slices.Equal(names, want) {
		t.Errorf("ListQueues() through b = %v, want %v", names, want)
	}
	if _, err := a.client.GetQueue(t.Context(), "missing"); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Errorf("GetQueue(missing) error = %v, want ErrQueueNotFound", err)
	}

	// A topic and a queue on the same partition: subscribe through one
	// node, publish through another.
	topic := "t-" + queues[0]
	for i := 0; cluster.Partition(topic, partitions) != cluster.Partition(queues[0], partitions); i++ {
		topic = fmt.Sprintf("t%d", i)
	}
	if _, err := c.client.CreateTopic(t.Context(), sluice.TopicConfig{Name: topic}); err != nil {
		t.Fatalf("CreateTopic() error = %v", err)
	}
	s, err := b.client.Subscribe(t.Context(), sluice.Subscription{Topic: topic, Protocol: sluice.ProtocolQueue, Endpoint: queues[0], Raw: true})
	if err != nil {
		t.Fatalf("Subscribe() error = %v", err)
	}
	if _, err := a.client.Publish(t.Context(), topic, sluice.PublishInput{Body: []byte("hello " + queues[0])}); err != nil {
		t.Fatalf("Publish() error = %v", err)
	}
	if got, err := c.client.GetSubscription(t.Context(), s.ID); err != nil || got.Endpoint != queues[0] {
		t.Errorf("GetSubscription(%s) = %+v, %v", s.ID, got, err)
	}

	// b stops: a and c take its partitions over, with their messages.
	if err := b.shutdown(t, 10*time.Second); err != nil {
		t.Fatalf("b stopped with %v", err)
	}
	for i, q := range queues {
		want := 3
		if i == 0 {
			want = 4 // and the published copy
		}
		var got []sluice.Message
		eventually(t, 10*time.Second, "receive from "+q, func() error {
			msgs, err := c.client.Receive(t.Context(), q, sluice.ReceiveOptions{Max: 10})
			got = append(got, msgs...)
			if err == nil && len(got) < want {
				err = fmt.Errorf("received %d messages", len(got))
			}
			return err
		})
		for _, m := range got {
			if string(m.Body) != "hello "+q {
				t.Errorf("queue %s holds %q", q, m.Body)
			}
		}
		if len(got) != want {
			t.Errorf("queue %s after failover holds %d messages, want %d", q, len(got), want)
		}
	}
}

// TestClusterLongPollSurvivesMove starts a long poll through one node on a
// queue the other serves, stops the owner, and shows that the poll goes on
// on the new owner and gets a message sent after the move.
func TestClusterLongPollSurvivesMove(t *testing.T) {
	nats := natstest.Start(t, natstest.Options{})
	cfg := func(id string) server.Config {
		return server.Config{Cluster: &server.ClusterConfig{NATS: nats.URL(), NodeID: id, Partitions: 2, LeaseTTL: time.Second}}
	}
	a, b := start(t, cfg("a")), start(t, cfg("b"))
	js, err := jetstream.New(nats.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	// Find a partition b serves and a queue on it.
	var queue string
	eventually(t, 10*time.Second, "b serves a partition", func() error {
		st, err := cluster.ReadStatus(t.Context(), js, "")
		if err != nil {
			return err
		}
		for _, p := range st.Partitions {
			if p.Owner == "b" {
				queue = queueOn(p.Partition, 2)
				return nil
			}
		}
		return errors.New("b serves nothing yet")
	})
	eventually(t, 10*time.Second, "create "+queue, func() error {
		_, err := a.client.CreateQueue(t.Context(), sluice.QueueConfig{Name: queue})
		return err
	})

	got := make(chan []sluice.Message, 1)
	go func() {
		wait := 8 * time.Second
		msgs, err := a.client.Receive(t.Context(), queue, sluice.ReceiveOptions{WaitTime: &wait})
		if err != nil {
			t.Errorf("long poll error = %v", err)
		}
		got <- msgs
	}()
	time.Sleep(300 * time.Millisecond) // the poll is parked on b
	if err := b.shutdown(t, 10*time.Second); err != nil {
		t.Fatalf("b stopped with %v", err)
	}
	eventually(t, 5*time.Second, "send after the move", func() error {
		_, err := a.client.Send(t.Context(), queue, sluice.SendInput{Body: []byte("after")})
		return err
	})
	select {
	case msgs := <-got:
		if len(msgs) != 1 || string(msgs[0].Body) != "after" {
			t.Errorf("long poll across the move got %d messages, want the one sent after", len(msgs))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not return")
	}
}
