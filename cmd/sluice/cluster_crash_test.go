package main_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/cluster"
	"github.com/sluicehq/sluice/internal/natstest"
)

// TestClusterKillOwner runs three `sluice serve --cluster` processes on a
// three-server JetStream cluster, kills -9 the owner of a busy queue's
// partition while senders go through another node, and shows that the
// partition is served again within 10 seconds, every confirmed send is
// delivered and no confirmed ack comes back.
func TestClusterKillOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of processes")
	}
	nats := natstest.Start(t, natstest.Options{Nodes: 3})
	const partitions = 3
	procs := map[string]*proc{}
	for _, id := range []string{"a", "b", "c"} {
		procs[id] = startServe(t, t.TempDir(), "--cluster", nats.URL(), "--node-id", id,
			"--replicas", "3", "--partitions", fmt.Sprint(partitions), "--lease-ttl", "2s")
	}
	js, err := jetstream.New(nats.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	// Wait until every partition has an owner, and pick a queue whose
	// owner is not a, which the test talks to.
	var queue, owner string
	deadline := time.Now().Add(20 * time.Second)
	for queue == "" {
		if time.Now().After(deadline) {
			t.Fatal("partitions not all owned within 20s")
		}
		time.Sleep(50 * time.Millisecond)
		// Wait for one partition per node, so that no node gives one up
		// to rebalance during the test.
		st, err := cluster.ReadStatus(t.Context(), js, "")
		if err != nil || len(st.Partitions) < partitions {
			continue
		}
		owners := map[string]bool{}
		for _, p := range st.Partitions {
			owners[p.Owner] = p.Owner != ""
		}
		if len(owners) != partitions || slices.Contains(slices.Collect(maps.Values(owners)), false) {
			continue
		}
		for _, p := range st.Partitions {
			if p.Owner != "a" {
				for i := 0; queue == ""; i++ {
					if name := fmt.Sprintf("jobs%d", i); cluster.Partition(name, partitions) == p.Partition {
						queue, owner = name, p.Owner
					}
				}
				break
			}
		}
	}
	cl := procs["a"].Client
	// The owner may still be replaying: it answers unavailable until then.
	for {
		_, err := cl.CreateQueue(t.Context(), sluice.QueueConfig{Name: queue})
		if err == nil {
			break
		}
		if !errors.Is(err, sluice.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("CreateQueue() error = %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Acked before the crash: must never come back.
	for i := range 10 {
		if _, err := cl.Send(t.Context(), queue, sluice.SendInput{Body: []byte(fmt.Sprintf("acked-%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := cl.Receive(t.Context(), queue, sluice.ReceiveOptions{Max: 10})
	if err != nil || len(msgs) != 10 {
		t.Fatalf("Receive() = %d messages, %v; want 10", len(msgs), err)
	}
	for _, m := range msgs {
		if err := cl.Ack(t.Context(), queue, m.Receipt); err != nil {
			t.Fatal(err)
		}
	}

	var (
		mu        sync.Mutex // guards confirmed and recovered
		confirmed []string
		recovered time.Time // end of the first confirmed send started after the kill
		killed    time.Time // when the owner was dead
		wg        sync.WaitGroup
	)
	ctx, stop := context.WithCancel(t.Context())
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				body := fmt.Sprintf("w%d-%05d", w, i)
				mu.Lock()
				afterKill := !killed.IsZero()
				mu.Unlock()
				_, err := cl.Send(ctx, queue, sluice.SendInput{Body: []byte(body)})
				if err != nil {
					if !errors.Is(err, sluice.ErrUnavailable) && ctx.Err() == nil {
						t.Logf("send %s: %v", body, err)
					}
					time.Sleep(20 * time.Millisecond)
					continue
				}
				mu.Lock()
				confirmed = append(confirmed, body)
				if afterKill && recovered.IsZero() {
					recovered = time.Now()
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	procs[owner].kill(t)
	mu.Lock()
	killed = time.Now() // sends started from now on count for recovery
	mu.Unlock()
	deadline = time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		done := !recovered.IsZero()
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			stop()
			wg.Wait()
			t.Fatalf("no send succeeded within 10s of killing %s", owner)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	wg.Wait()
	t.Logf("killed %s; sends succeeded again %v later; %d confirmed", owner, recovered.Sub(killed).Round(time.Millisecond), len(confirmed))

	// Drain through the third node, once the partition is served again
	// (a long poll that ends while it moves ends empty).
	other := procs["c"]
	if owner == "c" {
		other = procs["b"]
	}
	for {
		_, err := other.Client.Stats(t.Context(), queue)
		if err == nil {
			break
		}
		if !errors.Is(err, sluice.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Stats() error = %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := map[string]bool{}
	for {
		wait := time.Second
		msgs, err := other.Client.Receive(t.Context(), queue, sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
		if err != nil {
			t.Fatalf("Receive() error = %v", err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			got[string(m.Body)] = true
		}
	}
	var missing []string
	for _, body := range confirmed {
		if !got[body] {
			missing = append(missing, body)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d confirmed sends missing after the kill: %v", len(missing), len(confirmed), missing)
	}
	for i := range 10 {
		if body := fmt.Sprintf("acked-%d", i); got[body] {
			t.Errorf("%s was acked before the kill and came back", body)
		}
	}
}
