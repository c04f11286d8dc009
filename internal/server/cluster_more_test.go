package server_test

import (
	"errors"
	"fmt"
	"strings"
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
			NATS: nats.URL(), NodeID: id, Partitions: partitions, Replicas: 3, LeaseTTL: 2 * time.Second},
			MonitorInterval: 100 * time.Millisecond})
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

// TestClusterAPIs runs the APIs through a three-node cluster, each part on
// its own queues and topics; the last stops a node.
func TestClusterAPIs(t *testing.T) {
	nodes, owners := threeNodes(t)
	for _, part := range []struct {
		name string
		test func(*testing.T, map[string]*running, map[int]string)
	}{
		{"tasks and tenants", testTasksAndTenants},
		{"placement", testPlacement},
		{"sqs", testSQS},
		{"sns", testSNS},
		{"tiers", testTiers},
		{"metrics", testMetrics},
		{"no watches", testNoWatches},
		{"http subscription", testHTTPSubscription}, // stops a node
	} {
		if !t.Run(part.name, func(t *testing.T) { part.test(t, nodes, owners) }) {
			return
		}
	}
}

// nameOn returns a name starting with prefix on partition p of 3.
func nameOn(prefix string, p int) string {
	for i := 0; ; i++ {
		if name := fmt.Sprintf("%s%d", prefix, i); cluster.Partition(name, 3) == p {
			return name
		}
	}
}

// testTasksAndTenants shows that task and per-queue tenant calls
// work through nodes that do not serve the queue: a tracked queue's task is
// followed, completed and failed through one non-owner while another sends
// and receives, and a tenant policy set through a non-owner governs the
// queue.
func testTasksAndTenants(t *testing.T, nodes map[string]*running, owners map[int]string) {
	queue := nameOn("tasks", 1)
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

	// The Task Monitor's queries through non-owners: acme's first message
	// runs, its second waits.
	ages, err := y.client.TaskAges(ctx, queue, false)
	if err != nil || len(ages) != 1 || ages[0].Running != 1 || ages[0].Waiting != 1 {
		t.Errorf("TaskAges(%s) through a non-owner = %+v, %v, want 1 running and 1 waiting", queue, ages, err)
	}
	ages, err = x.client.TaskAges(ctx, "", false)
	if err != nil || len(ages) != 1 || ages[0].Queue != queue {
		t.Errorf("TaskAges(every tracked queue) = %+v, %v, want %s alone", ages, err, queue)
	}
	oldest, err := x.client.OldestTasks(ctx, queue, sluice.TaskAgeQuery{Kind: sluice.AgeRunning})
	if err != nil || len(oldest) != 1 || oldest[0].Tenant != "acme" || oldest[0].State != sluice.TaskRunning {
		t.Errorf("OldestTasks(running) through a non-owner = %+v, %v, want acme's running task", oldest, err)
	}

	// An alert rule set through a non-owner fires on the owner alone.
	if _, err := y.client.PutRule(ctx, sluice.AlertRule{Name: "stuck", Queue: queue, Condition: sluice.CondWaitingAge, Threshold: time.Millisecond}); err != nil {
		t.Fatalf("PutRule() through a non-owner error = %v", err)
	}
	if _, err := y.client.PutRule(ctx, sluice.AlertRule{Name: "bad", Condition: "nope"}); err == nil {
		t.Error("PutRule(unknown condition) succeeded")
	}
	if rules, err := x.client.Rules(ctx); err != nil || len(rules) != 1 || rules[0].Name != "stuck" {
		t.Errorf("Rules() through the other non-owner = %+v, %v, want stuck", rules, err)
	}
	owner := nodes[owners[1]]
	eventually(t, 5*time.Second, "the alert on the owner", func() error {
		alerts, err := owner.client.Alerts(ctx)
		if err == nil && (len(alerts) != 1 || alerts[0].Rule != "stuck" || alerts[0].Queue != queue) {
			err = fmt.Errorf("alerts %+v", alerts)
		}
		return err
	})
	for _, n := range []*running{x, y} {
		if alerts, err := n.client.Alerts(ctx); err != nil || len(alerts) != 0 {
			t.Errorf("Alerts() on a node not serving %s = %+v, %v, want none", queue, alerts, err)
		}
	}
	if err := x.client.DeleteRule(ctx, "stuck"); err != nil {
		t.Fatalf("DeleteRule() error = %v", err)
	}
	if _, err := owner.client.Rule(ctx, "stuck"); !errors.Is(err, sluice.ErrRuleNotFound) {
		t.Errorf("Rule(deleted) through the owner error = %v, want ErrRuleNotFound", err)
	}
	if err := y.client.DeleteRule(ctx, "stuck"); !errors.Is(err, sluice.ErrRuleNotFound) {
		t.Errorf("DeleteRule(deleted) error = %v, want ErrRuleNotFound", err)
	}
	eventually(t, 5*time.Second, "the alert ends with its rule", func() error {
		alerts, err := owner.client.Alerts(ctx)
		if err == nil && len(alerts) != 0 {
			err = fmt.Errorf("alerts %+v", alerts)
		}
		return err
	})
}

// testTiers sets a tier and a server-wide tenant setting through
// different nodes and shows that they govern the tenant in queues of every
// partition, seen through every node.
func testTiers(t *testing.T, nodes map[string]*running, owners map[int]string) {
	ctx := t.Context()
	queues := []string{nameOn("tiers", 0), nameOn("tiers", 1), nameOn("tiers", 2)}
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
	// A tier just set through one node may be named at once through
	// another, in a queue a third serves.
	setter, namer := others(nodes, owners[1])
	if _, err := setter.client.SetTier(ctx, sluice.Tier{Name: "silver", Policy: sluice.TenantPolicy{Weight: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := namer.client.SetTenant(ctx, sluice.TenantConfig{Queue: queues[1], Tenant: "gamma", Tier: "silver"}); err != nil {
		t.Errorf("SetTenant(queue, a tier just set elsewhere) error = %v", err)
	}
	if _, err := x.client.SetTenant(ctx, sluice.TenantConfig{Tenant: "beta", Tier: "platinum"}); !errors.Is(err, sluice.ErrTierNotFound) {
		t.Errorf("SetTenant(unknown tier) error = %v, want ErrTierNotFound", err)
	}
}

// nameOff returns a queue name whose partition, of 3, is not name's.
func nameOff(name string) string {
	for i := 0; ; i++ {
		if other := fmt.Sprintf("z%d", i); cluster.Partition(other, 3) != cluster.Partition(name, 3) {
			return other
		}
	}
}

// wantPlacement fails the test unless err is an invalid argument naming
// field that says the names must share a partition.
func wantPlacement(t *testing.T, what string, err error, field string) {
	t.Helper()
	var inv *sluice.InvalidArgumentError
	if !errors.As(err, &inv) || inv.Field != field || !strings.Contains(inv.Reason, "must share a partition") {
		t.Errorf("%s error = %v, want an invalid %s saying they must share a partition", what, err, field)
	}
}

// testPlacement shows that queues and topics sharing a placement key
// dead-letter, redrive and fan out through any node, and that a setting that
// would make such work cross partitions is refused, naming the field.
func testPlacement(t *testing.T, nodes map[string]*running, owners map[int]string) {
	ctx := t.Context()
	const queue, dlq, topic = "orders", "orders__dlq", "orders__events"
	x, y := others(nodes, owners[cluster.Partition(queue, 3)])

	if _, err := x.client.CreateQueue(ctx, sluice.QueueConfig{Name: dlq}); err != nil {
		t.Fatalf("CreateQueue(%s) error = %v", dlq, err)
	}
	if _, err := x.client.CreateQueue(ctx, sluice.QueueConfig{Name: queue, DeadLetter: &sluice.DeadLetterPolicy{Queue: dlq, MaxReceives: 1}}); err != nil {
		t.Fatalf("CreateQueue(%s with dead-letter queue %s) error = %v", queue, dlq, err)
	}
	if _, err := x.client.CreateTopic(ctx, sluice.TopicConfig{Name: topic}); err != nil {
		t.Fatalf("CreateTopic() error = %v", err)
	}
	if _, err := y.client.Subscribe(ctx, sluice.Subscription{Topic: topic, Protocol: sluice.ProtocolQueue, Endpoint: queue, Raw: true}); err != nil {
		t.Fatalf("Subscribe(%s to %s) error = %v", queue, topic, err)
	}
	if res, err := y.client.Publish(ctx, topic, sluice.PublishInput{Body: []byte("order 1")}); err != nil || res.Deliveries != 1 {
		t.Fatalf("Publish() = %+v, %v, want one delivery", res, err)
	}
	// Received once, returned: the second receive dead-letters it.
	msgs, err := x.client.Receive(ctx, queue, sluice.ReceiveOptions{Max: 1})
	if err != nil || len(msgs) != 1 || string(msgs[0].Body) != "order 1" {
		t.Fatalf("Receive(%s) = %+v, %v, want the published copy", queue, msgs, err)
	}
	if err := y.client.ChangeVisibility(ctx, queue, msgs[0].Receipt, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "dead-lettering", func() error {
		if msgs, err := y.client.Receive(ctx, queue, sluice.ReceiveOptions{Max: 1}); err != nil || len(msgs) != 0 {
			return fmt.Errorf("receive from %s = %d messages, %v", queue, len(msgs), err)
		}
		st, err := x.client.Stats(ctx, dlq)
		if err == nil && st.Visible != 1 {
			err = fmt.Errorf("%s holds %d visible messages", dlq, st.Visible)
		}
		return err
	})
	if n, err := y.client.Redrive(ctx, dlq, sluice.RedriveOptions{}); err != nil || n != 1 {
		t.Fatalf("Redrive(%s) = %d, %v, want 1", dlq, n, err)
	}
	msgs, err = x.client.Receive(ctx, queue, sluice.ReceiveOptions{Max: 10})
	if err != nil || len(msgs) != 1 || string(msgs[0].Body) != "order 1" {
		t.Errorf("Receive(%s) after the redrive = %+v, %v, want the message back", queue, msgs, err)
	}

	// Across partitions: refused before anything is written.
	far := nameOff(queue)
	if _, err := x.client.CreateQueue(ctx, sluice.QueueConfig{Name: far}); err != nil {
		t.Fatal(err)
	}
	_, err = y.client.CreateQueue(ctx, sluice.QueueConfig{Name: "orders__retry", DeadLetter: &sluice.DeadLetterPolicy{Queue: far, MaxReceives: 3}})
	wantPlacement(t, "CreateQueue(dead-letter queue on another partition)", err, "dead_letter.queue")
	if _, err := y.client.GetQueue(ctx, "orders__retry"); !errors.Is(err, sluice.ErrQueueNotFound) {
		t.Errorf("GetQueue(refused queue) error = %v, want ErrQueueNotFound", err)
	}
	_, err = y.client.UpdateQueue(ctx, queue, sluice.QueueUpdate{DeadLetter: &sluice.DeadLetterPolicy{Queue: far, MaxReceives: 3}})
	wantPlacement(t, "UpdateQueue(dead-letter queue on another partition)", err, "dead_letter.queue")
	_, err = x.client.Redrive(ctx, dlq, sluice.RedriveOptions{Destination: far})
	wantPlacement(t, "Redrive(destination on another partition)", err, "destination")
	_, err = x.client.Subscribe(ctx, sluice.Subscription{Topic: topic, Protocol: sluice.ProtocolQueue, Endpoint: far})
	wantPlacement(t, "Subscribe(queue on another partition)", err, "endpoint")
	if q, err := x.client.GetQueue(ctx, queue); err != nil || q.DeadLetter == nil || q.DeadLetter.Queue != dlq {
		t.Errorf("GetQueue(%s) after a refused update = %+v, %v, want its dead-letter queue kept", queue, q, err)
	}
}

// partitionOf returns the partition, of 3, of the named queue or topic.
func partitionOf(name string) int { return cluster.Partition(name, 3) }

// testMetrics shows that a queue's metrics are reported by the node that
// serves it, whichever node the traffic came through, and by no other.
func testMetrics(t *testing.T, nodes map[string]*running, owners map[int]string) {
	ctx := t.Context()
	queue := nameOn("metrics", 2)
	x, y := others(nodes, owners[2])
	if _, err := x.client.CreateQueue(ctx, sluice.QueueConfig{Name: queue}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := y.client.Send(ctx, queue, sluice.SendInput{Body: []byte("m")}); err != nil {
			t.Fatal(err)
		}
	}
	wantValue(t, scrape(t, nodes[owners[2]]), "sluice_queue_sent_total", map[string]string{"queue": queue}, 3)
	for _, n := range []*running{x, y} {
		if v, ok := value(scrape(t, n), "sluice_queue_sent_total", map[string]string{"queue": queue}); ok {
			t.Errorf("a node not serving %s reports %v sent", queue, v)
		}
	}
}

// testNoWatches shows that cluster mode refuses external watches, whose
// state lives in one node's files, with an error naming the field, and
// lists none.
func testNoWatches(t *testing.T, nodes map[string]*running, owners map[int]string) {
	for _, n := range nodes {
		_, err := n.client.PutWatch(t.Context(), sluice.Watch{Name: "legacy", StartTopic: "jobs", IDAttribute: "id", CompleteTopic: "done"})
		var inv *sluice.InvalidArgumentError
		if !errors.As(err, &inv) || inv.Field != "name" || !strings.Contains(inv.Reason, "cluster mode") {
			t.Errorf("PutWatch through a cluster node = %v, want invalid name saying cluster mode lacks watches", err)
		}
		if _, err := n.client.Watch(t.Context(), "legacy"); !errors.Is(err, sluice.ErrWatchNotFound) {
			t.Errorf("Watch(legacy) = %v, want ErrWatchNotFound", err)
		}
		return // one node is enough: every node is built alike
	}
}
