package server_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/cluster"
	"github.com/sluicehq/sluice/internal/natstest"
	"github.com/sluicehq/sluice/internal/server"
)

// threeNodes runs three servers, a, b and c, on a three-server JetStream
// cluster with three partitions, and waits until each serves one. It
// returns the nodes by id and each partition's owner.
func threeNodes(t *testing.T) (map[string]*running, map[int]string) {
	t.Helper()
	nats := natstest.Start(t, natstest.Options{Nodes: 3})
	const partitions = 3
	nodes := make(map[string]*running)
	for _, id := range []string{"a", "b", "c"} {
		nodes[id] = start(t, server.Config{Cluster: &server.ClusterConfig{
			NATS: nats.URL(), NodeID: id, Partitions: partitions, Replicas: 3, LeaseTTL: 2 * time.Second}})
	}
	js, err := jetstream.New(nats.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	owners := make(map[int]string)
	eventually(t, 20*time.Second, "one partition per node", func() error {
		st, err := cluster.ReadStatus(t.Context(), js, "")
		if err != nil {
			return err
		}
		clear(owners)
		seen := make(map[string]bool)
		for _, p := range st.Partitions {
			if p.Owner != "" {
				owners[p.Partition] = p.Owner
				seen[p.Owner] = true
			}
		}
		if len(owners) != partitions || len(seen) != 3 {
			return fmt.Errorf("owners %v", owners)
		}
		return nil
	})
	// Owners write their leases before they finish replaying: wait until
	// every partition answers.
	for p := range partitions {
		eventually(t, 10*time.Second, fmt.Sprintf("partition %d serves", p), func() error {
			_, err := nodes["a"].client.GetQueue(t.Context(), queueOn(p, partitions))
			if errors.Is(err, sluice.ErrQueueNotFound) {
				return nil
			}
			return fmt.Errorf("GetQueue: %v", err)
		})
	}
	return nodes, owners
}

// retry retries f, for up to 10 seconds, while it fails because a
// partition is moving (a loaded machine may miss a lease renewal).
func retry(t *testing.T, what string, f func() error) {
	t.Helper()
	eventually(t, 10*time.Second, what, func() error {
		err := f()
		if err != nil && !errors.Is(err, sluice.ErrUnavailable) && !errors.Is(err, sluice.ErrClosed) {
			t.Fatalf("%s error = %v", what, err)
		}
		return err
	})
}

// others returns the two nodes that are not owner, in id order.
func others(nodes map[string]*running, owner string) (*running, *running) {
	var out []*running
	for _, id := range []string{"a", "b", "c"} {
		if id != owner {
			out = append(out, nodes[id])
		}
	}
	return out[0], out[1]
}

// TestClusterTasksAndTenants shows that task and per-queue tenant calls
// work through nodes that do not serve the queue: a tracked queue's task is
// followed, completed and failed through one non-owner while another sends
// and receives, and a tenant policy set through a non-owner governs the
// queue.
func TestClusterTasksAndTenants(t *testing.T) {
	nodes, owners := threeNodes(t)
	queue := queueOn(1, 3)
	x, y := others(nodes, owners[1])
	ctx := t.Context()

	if _, err := x.client.CreateQueue(ctx, sluice.QueueConfig{Name: queue, Tasks: &sluice.TaskPolicy{MaxAttempts: 2}}); err != nil {
		t.Fatalf("CreateQueue(tracked) error = %v", err)
	}
	sent, err := x.client.Send(ctx, queue, sluice.SendInput{Body: []byte("job"), Tenant: "acme"})
	if err != nil || !sent.Tracked {
		t.Fatalf("Send() = %+v, %v, want a tracked send", sent, err)
	}
	st, err := y.client.Task(ctx, queue, sent.ID)
	if err != nil || st.State != sluice.TaskQueued || st.Tenant != "acme" {
		t.Fatalf("Task() through %s = %+v, %v, want queued for acme", "y", st, err)
	}
	msgs, err := x.client.Receive(ctx, queue, sluice.ReceiveOptions{Max: 1, Worker: "w1"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Receive() = %d messages, %v", len(msgs), err)
	}
	if st, err = y.client.Task(ctx, queue, sent.ID); err != nil || st.State != sluice.TaskRunning || st.Worker != "w1" {
		t.Fatalf("Task() while running = %+v, %v, want running on w1", st, err)
	}
	if st, err = y.client.CompleteTask(ctx, queue, msgs[0].Receipt, []byte(`{"ok":true}`)); err != nil || st.State != sluice.TaskSucceeded {
		t.Fatalf("CompleteTask() through a non-owner = %+v, %v", st, err)
	}
	if st, err = x.client.Task(ctx, queue, sent.ID); err != nil || st.State != sluice.TaskSucceeded || string(st.Result) != `{"ok":true}` {
		t.Fatalf("Task() after completion = %+v, %v", st, err)
	}

	// A failure through a non-owner.
	sent2, err := y.client.Send(ctx, queue, sluice.SendInput{Body: []byte("job2")})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err = y.client.Receive(ctx, queue, sluice.ReceiveOptions{Max: 1})
	if err != nil || len(msgs) != 1 || msgs[0].ID != sent2.ID {
		t.Fatalf("Receive() = %+v, %v", msgs, err)
	}
	if st, err = x.client.FailTask(ctx, queue, msgs[0].Receipt, sluice.TaskFailure{Error: "boom", Permanent: true}); err != nil || st.State != sluice.TaskDead || st.LastError != "boom" {
		t.Fatalf("FailTask(permanent) through a non-owner = %+v, %v", st, err)
	}
	page, err := y.client.ListTasks(ctx, queue, sluice.TaskFilter{States: []sluice.TaskState{sluice.TaskSucceeded, sluice.TaskDead}})
	if err != nil || len(page.Tasks) != 2 || page.Tasks[0].ID != sent.ID || page.Tasks[1].ID != sent2.ID {
		t.Fatalf("ListTasks() through a non-owner = %+v, %v", page, err)
	}
	if _, err := x.client.Task(ctx, queue, "nope"); !errors.Is(err, sluice.ErrTaskNotFound) {
		t.Errorf("Task(unknown) through a non-owner error = %v, want ErrTaskNotFound", err)
	}

	// A tenant policy set through a non-owner.
	pol := sluice.TenantPolicy{Weight: 3, MaxInFlight: 1}
	if _, err := x.client.SetTenant(ctx, sluice.TenantConfig{Queue: queue, Tenant: "acme", Policy: pol}); err != nil {
		t.Fatalf("SetTenant(queue) through a non-owner error = %v", err)
	}
	cfg, _, err := y.client.QueueTenant(ctx, queue, "acme")
	if err != nil || cfg.Policy != pol {
		t.Fatalf("QueueTenant() through the other non-owner = %+v, %v, want policy %+v", cfg, err, pol)
	}
	// MaxInFlight 1 holds the second of acme's messages back.
	for i := range 2 {
		if _, err := y.client.Send(ctx, queue, sluice.SendInput{Body: fmt.Appendf(nil, "acme %d", i), Tenant: "acme"}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err = x.client.Receive(ctx, queue, sluice.ReceiveOptions{Max: 10})
	if err != nil || len(msgs) != 1 {
		t.Errorf("Receive() with acme's in-flight cap 1 = %d messages, %v, want 1", len(msgs), err)
	}
	stats, err := y.client.QueueTenants(ctx, queue, 0)
	if err != nil || len(stats) == 0 || stats[0].Tenant != "acme" || stats[0].Policy.Weight != 3 || stats[0].InFlight != 1 || stats[0].Visible != 1 {
		t.Errorf("QueueTenants() through a non-owner = %+v, %v, want acme first with 1 in flight and 1 held back", stats, err)
	}
	if _, err := x.client.SetTenant(ctx, sluice.TenantConfig{Queue: "missing", Tenant: "acme", Policy: pol}); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Errorf("SetTenant(missing queue) error = %v, want ErrQueueNotFound", err)
	}
}

// TestClusterTiers sets a tier and a server-wide tenant setting through
// different nodes and shows that they govern the tenant in queues of every
// partition, seen through every node.
func TestClusterTiers(t *testing.T) {
	nodes, owners := threeNodes(t)
	ctx := t.Context()
	queues := []string{queueOn(0, 3), queueOn(1, 3), queueOn(2, 3)}
	for _, q := range queues {
		retry(t, "CreateQueue("+q+")", func() error {
			_, err := nodes["a"].client.CreateQueue(ctx, sluice.QueueConfig{Name: q})
			return err
		})
		retry(t, "Send("+q+")", func() error {
			_, err := nodes["c"].client.Send(ctx, q, sluice.SendInput{Body: []byte("x"), Tenant: "acme"})
			return err
		})
	}
	gold := sluice.Tier{Name: "gold", Policy: sluice.TenantPolicy{Weight: 5}}
	if _, err := nodes["b"].client.SetTier(ctx, gold); err != nil {
		t.Fatalf("SetTier() error = %v", err)
	}
	if _, err := nodes["c"].client.SetTenant(ctx, sluice.TenantConfig{Tenant: "acme", Tier: "gold", Policy: sluice.TenantPolicy{MaxInFlight: 4}}); err != nil {
		t.Fatalf("SetTenant(server-wide) error = %v", err)
	}
	want := sluice.TenantPolicy{Weight: 5, Burst: 0, MaxInFlight: 4}
	for id, n := range nodes {
		tiers, err := n.client.Tiers(ctx)
		if err != nil || len(tiers) != 1 || tiers[0] != gold {
			t.Errorf("Tiers() through %s = %v, %v, want [%v]", id, tiers, err, gold)
		}
		for _, q := range queues {
			eventually(t, 5*time.Second, fmt.Sprintf("acme's policy in %s through %s", q, id), func() error {
				_, st, err := n.client.QueueTenant(ctx, q, "acme")
				if err == nil && (st.Tier != "gold" || st.Policy != want) {
					err = fmt.Errorf("tier %q, policy %+v, want gold and %+v", st.Tier, st.Policy, want)
				}
				return err
			})
		}
	}
	// A queue's own setting may name the tier, through a non-owner.
	x, _ := others(nodes, owners[0])
	if _, err := x.client.SetTenant(ctx, sluice.TenantConfig{Queue: queues[0], Tenant: "beta", Tier: "gold"}); err != nil {
		t.Fatalf("SetTenant(queue, tier gold) through a non-owner error = %v", err)
	}
	if _, err := x.client.SetTenant(ctx, sluice.TenantConfig{Tenant: "beta", Tier: "platinum"}); !errors.Is(err, sluice.ErrTierNotFound) {
		t.Errorf("SetTenant(unknown tier) error = %v, want ErrTierNotFound", err)
	}
}
