package engine_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

func TestQueueMetricsCountAckLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 2, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.create(sluice.QueueConfig{Name: "other"})
		f.sendBodies("jobs", "a", "b", "c")
		got := f.receive("jobs", 2, time.Minute)
		time.Sleep(3 * time.Second)
		f.ack("jobs", got[0].Receipt, got[1].Receipt)

		all, err := f.e.QueueMetrics(t.Context())
		if err != nil {
			t.Fatalf("QueueMetrics() = %v", err)
		}
		if len(all) != 2 || all[0].Name != "jobs" || all[1].Name != "other" {
			t.Fatalf("QueueMetrics() names = %v, want [jobs other]", all)
		}
		m := all[0]
		if m.Sent != 3 || m.Received != 2 || m.Acked != 2 || m.Visible != 1 {
			t.Errorf("jobs metrics = %+v, want sent 3, received 2, acked 2, visible 1", m.QueueStats)
		}
		h := m.AckLatency
		if h.Count != 2 || h.Sum != 6*time.Second {
			t.Errorf("AckLatency count %d sum %v, want 2 and 6s", h.Count, h.Sum)
		}
		// 3s falls in the bucket bounded by 5s.
		i := 0
		for engine.AckLatencyBuckets[i] < 3*time.Second {
			i++
		}
		if h.Buckets[i] != 2 {
			t.Errorf("AckLatency.Buckets = %v, want 2 in bucket %d (%v)", h.Buckets, i, engine.AckLatencyBuckets[i])
		}
	})
}

func TestTopicMetricsCountPerSubscription(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "all"})
		f.create(sluice.QueueConfig{Name: "red"})
		f.topic(sluice.TopicConfig{Name: "events"})
		f.subscribe(sluice.Subscription{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "all"})
		f.subscribe(sluice.Subscription{Topic: "events", Protocol: sluice.ProtocolQueue, Endpoint: "red",
			FilterPolicy: `{"color":["red"]}`})
		f.publish("events",
			sluice.PublishInput{Body: []byte("1"), Attributes: map[string]sluice.Attribute{"color": {Type: "String", String: "red"}}},
			sluice.PublishInput{Body: []byte("2"), Attributes: map[string]sluice.Attribute{"color": {Type: "String", String: "blue"}}})

		all, err := f.e.TopicMetrics(t.Context())
		if err != nil || len(all) != 1 {
			t.Fatalf("TopicMetrics() = %v, %v; want one topic", all, err)
		}
		tm := all[0]
		if tm.Published != 2 || tm.Copies != 3 || tm.Filtered != 1 {
			t.Errorf("topic metrics = %+v, want published 2, copies 3, filtered 1", tm)
		}
		if len(tm.Subscriptions) != 2 {
			t.Fatalf("Subscriptions = %v, want 2", tm.Subscriptions)
		}
		if s := tm.Subscriptions[0]; s.Queue != "all" || s.Copies != 2 || s.Filtered != 0 {
			t.Errorf("subscription to all = %+v, want 2 copies", s)
		}
		if s := tm.Subscriptions[1]; s.Queue != "red" || s.Copies != 1 || s.Filtered != 1 {
			t.Errorf("subscription to red = %+v, want 1 copy, 1 filtered", s)
		}
	})
}

func TestPeekLeavesMessagesAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs"})
		f.sendBodies("jobs", "a", "b", "c")
		leased := f.receive("jobs", 1, time.Minute)

		got, err := f.e.Peek(t.Context(), "jobs", 10)
		if err != nil {
			t.Fatalf("Peek() = %v", err)
		}
		var bodies []string
		for _, m := range got {
			bodies = append(bodies, string(m.Body))
			if m.Receipt != "" {
				t.Errorf("Peek() message %s has receipt %q, want none", m.Body, m.Receipt)
			}
		}
		if len(bodies) != 3 || bodies[0] != "a" || bodies[2] != "c" {
			t.Errorf("Peek() bodies = %v, want [a b c]", bodies)
		}
		if got[0].ReceiveCount != 1 || got[1].ReceiveCount != 0 {
			t.Errorf("Peek() receive counts = %d, %d; want 1, 0", got[0].ReceiveCount, got[1].ReceiveCount)
		}
		st := f.stats("jobs")
		if st.Visible != 2 || st.InFlight != 1 || st.Received != 1 {
			t.Errorf("stats after Peek = %+v, want 2 visible, 1 in flight, 1 received", st)
		}
		f.ack("jobs", leased[0].Receipt)
		if got, _ := f.e.Peek(t.Context(), "jobs", 1); len(got) != 1 || string(got[0].Body) != "b" {
			t.Errorf("Peek(max 1) after ack = %v, want [b]", got)
		}
		if _, err := f.e.Peek(t.Context(), "nope", 1); err == nil {
			t.Errorf("Peek(nope) = nil error, want ErrQueueNotFound")
		}
	})
}
