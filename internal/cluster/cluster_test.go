package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/journal/natsjournal"
	"github.com/sluicehq/sluice/internal/natstest"
)

const testTTL = 2 * time.Second

// event is a partition starting or stopping being served by a node.
type event struct {
	node    string
	p       int
	serving bool
	at      time.Time
}

// fixture is a NATS cluster with Sluice nodes on it.
type fixture struct {
	nats   *natstest.Cluster
	nodes  []*testNode
	mu     sync.Mutex // guards events
	events []event
}

type testNode struct {
	*Node
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

// setup starts natsNodes NATS servers and sluiceNodes Sluice nodes over
// them, with partitions partitions.
func setup(t *testing.T, natsNodes, sluiceNodes, partitions int) *fixture {
	t.Helper()
	f := &fixture{nats: natstest.Start(t, natstest.Options{Nodes: natsNodes})}
	for i := range sluiceNodes {
		f.startNode(t, fmt.Sprintf("s%d", i+1), partitions, min(natsNodes, 3))
	}
	return f
}

func (f *fixture) startNode(t *testing.T, id string, partitions, replicas int) *testNode {
	t.Helper()
	nc := f.nats.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(t.Context(), Config{
		JetStream:  js,
		NodeID:     id,
		Partitions: partitions,
		Replicas:   replicas,
		LeaseTTL:   testTTL,
		OnChange: func(p int, serving bool) {
			f.mu.Lock()
			f.events = append(f.events, event{id, p, serving, time.Now()})
			f.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatalf("New(%s) error = %v", id, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := &testNode{Node: n, nc: nc, cancel: cancel, done: make(chan struct{})}
	go func() {
		n.Run(ctx)
		close(tn.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-tn.done
	})
	f.nodes = append(f.nodes, tn)
	return tn
}

// kill stops node i abruptly: its connection goes first, so it releases
// nothing, as if the process died.
func (f *fixture) kill(i int) {
	f.nodes[i].nc.Close()
	f.nodes[i].cancel()
	<-f.nodes[i].done
}

// owner waits up to timeout for a node other than except to serve p, and
// returns it.
func (f *fixture) owner(t *testing.T, p int, except *testNode, timeout time.Duration) *testNode {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, n := range f.nodes {
			if n == except {
				continue
			}
			if _, err := n.Engine(p); err == nil {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no node serves partition %d after %v", p, timeout)
	return nil
}

func sendAll(t *testing.T, n *testNode, queue string, count int) []string {
	t.Helper()
	eng, err := n.Engine(n.Partition(queue))
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for i := range count {
		body := fmt.Sprintf("m%03d", i)
		if _, err := eng.Send(t.Context(), queue, []sluice.SendInput{{Body: []byte(body)}}); err != nil {
			t.Fatalf("Send(%s) error = %v", body, err)
		}
		bodies = append(bodies, body)
	}
	return bodies
}

func receiveAll(t *testing.T, n *testNode, queue string) []string {
	t.Helper()
	eng, err := n.Engine(n.Partition(queue))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		msgs, err := eng.Receive(t.Context(), queue, sluice.ReceiveOptions{Max: 10})
		if err != nil {
			t.Fatalf("Receive() error = %v", err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			got = append(got, string(m.Body))
		}
	}
	slices.Sort(got)
	return got
}

// TestFailover kills the node serving a partition while senders keep it
// busy, and shows that another node serves it within 10 seconds with
// every confirmed message.
func TestFailover(t *testing.T) {
	f := setup(t, 3, 3, 3)
	// One partition per node, so that none moves to rebalance meanwhile.
	balanced := func() bool {
		for _, n := range f.nodes {
			if len(n.Serving()) != 1 {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(15 * time.Second)
	for !balanced() {
		if time.Now().After(deadline) {
			t.Fatal("partitions not spread one per node within 15s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	const queue = "orders"
	p := f.nodes[0].Partition(queue)
	old := f.owner(t, p, nil, time.Second)
	eng, _ := old.Engine(p)
	if _, _, err := eng.CreateQueue(t.Context(), sluice.QueueConfig{Name: queue}); err != nil {
		t.Fatal(err)
	}
	want := sendAll(t, old, queue, 20)

	// Four senders keep the partition busy until its owner dies.
	var (
		mu        sync.Mutex // guards confirmed
		confirmed = want
		wg        sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; i < 10000; i++ {
				body := fmt.Sprintf("w%d-%05d", w, i)
				if _, err := eng.Send(t.Context(), queue, []sluice.SendInput{{Body: []byte(body)}}); err != nil {
					return
				}
				mu.Lock()
				confirmed = append(confirmed, body)
				mu.Unlock()
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // let the load build up
	killed := time.Now()
	f.kill(slices.Index(f.nodes, old))
	wg.Wait()
	cur := f.owner(t, p, old, 10*time.Second)
	t.Logf("partition %d served again %v after its owner died; %d sends confirmed", p, time.Since(killed).Round(time.Millisecond), len(confirmed))

	got := receiveAll(t, cur, queue)
	var missing []string
	for _, body := range confirmed {
		if _, found := slices.BinarySearch(got, body); !found {
			missing = append(missing, body)
		}
	}
	if len(missing) > 0 {
		t.Errorf("after failover %d confirmed messages are missing: %v", len(missing), missing)
	}
	// The new owner writes: send through it.
	sendAll(t, cur, queue, 1)
}

// TestPartitionedNodeStopsFirst cuts a node off from NATS while it serves
// partitions and shows that it stops serving each before any other node
// starts.
func TestPartitionedNodeStopsFirst(t *testing.T) {
	f := setup(t, 1, 2, 2)
	for p := range 2 {
		f.owner(t, p, nil, 10*time.Second)
	}
	cut := f.nodes[0]
	lost := cut.Serving()
	if len(lost) == 0 {
		cut = f.nodes[1]
		lost = cut.Serving()
	}
	cut.nc.Close()
	for _, p := range lost {
		f.owner(t, p, cut, 10*time.Second)
		if _, err := cut.Engine(p); !errors.Is(err, ErrNotOwner) {
			t.Errorf("Engine(%d) on the cut-off node error = %v, want ErrNotOwner", p, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range lost {
		var stopped, started time.Time
		for _, e := range f.events {
			switch {
			case e.p == p && e.node == cut.cfg.NodeID && !e.serving:
				stopped = e.at
			case e.p == p && e.node != cut.cfg.NodeID && e.serving:
				started = e.at
			}
		}
		if stopped.IsZero() || !stopped.Before(started) {
			t.Errorf("partition %d: cut-off node stopped at %v, the other started at %v; want the stop first", p, stopped, started)
		} else {
			t.Logf("partition %d: stopped %v before the other node started", p, started.Sub(stopped).Round(time.Millisecond))
		}
	}
}

// TestFencedNodeStopsServing shows that a node whose journal is taken over
// behind its back fails its next write and stops serving the partition.
func TestFencedNodeStopsServing(t *testing.T) {
	f := setup(t, 1, 1, 1)
	n := f.owner(t, 0, nil, 10*time.Second)
	eng, _ := n.Engine(0)
	if _, _, err := eng.CreateQueue(t.Context(), sluice.QueueConfig{Name: "q"}); err != nil {
		t.Fatal(err)
	}
	// Another writer takes the journal over without the lease.
	js, err := jetstream.New(f.nats.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	j, err := natsjournal.Open(t.Context(), js, natsjournal.Options{Name: "sluice-p0000"})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, err := eng.Send(t.Context(), "q", []sluice.SendInput{{Body: []byte("x")}}); err == nil {
		t.Errorf("Send() on a fenced partition succeeded, want an error")
	}
	deadline := time.Now().Add(5 * time.Second)
	for slices.Contains(n.Serving(), 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) < 2 || f.events[1] != (event{"s1", 0, false, f.events[1].at}) {
		t.Errorf("events = %v, want partition 0 served then stopped", f.events)
	}
}

// TestNATSNodeLoss stops one of three NATS servers under load and shows
// that every confirmed send survives and the partition is served again
// within 10 seconds (by the same node or another). It stops the server
// leading the journal's stream, which forces a leader election.
func TestNATSNodeLoss(t *testing.T) {
	f := setup(t, 3, 2, 1)
	n := f.owner(t, 0, nil, 15*time.Second)
	eng, _ := n.Engine(0)
	const queue = "jobs"
	if _, _, err := eng.CreateQueue(t.Context(), sluice.QueueConfig{Name: queue}); err != nil {
		t.Fatal(err)
	}
	var confirmed []string
	send := func(body string) bool {
		for _, n := range f.nodes {
			if eng, err := n.Engine(0); err == nil {
				if _, err := eng.Send(t.Context(), queue, []sluice.SendInput{{Body: []byte(body)}}); err == nil {
					confirmed = append(confirmed, body)
					return true
				}
			}
		}
		return false
	}
	for i := range 50 {
		send(fmt.Sprintf("before-%03d", i))
	}
	// Stop the server leading the journal's stream: the worst case.
	js, err := jetstream.New(f.nats.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(t.Context(), "SLUICE_sluice-p0000")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	leader := slices.IndexFunc(f.nats.Servers, func(s *server.Server) bool { return s.Name() == info.Cluster.Leader })
	if leader < 0 {
		t.Fatalf("stream leader %q is none of the servers", info.Cluster.Leader)
	}
	stopped := time.Now()
	f.nats.Stop(leader)
	// Keep sending until a send succeeds again.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; !send(fmt.Sprintf("after-%03d", i)); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no send succeeded within 10s of losing a NATS server")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("sends succeed again %v after a NATS server stopped", time.Since(stopped).Round(time.Millisecond))
	cur := f.owner(t, 0, nil, time.Second)
	got := receiveAll(t, cur, queue)
	for _, body := range confirmed {
		if _, found := slices.BinarySearch(got, body); !found {
			t.Errorf("confirmed message %s is missing after losing a NATS server", body)
		}
	}
}

func TestReadStatus(t *testing.T) {
	f := setup(t, 1, 2, 2)
	for p := range 2 {
		f.owner(t, p, nil, 10*time.Second)
	}
	js, err := jetstream.New(f.nats.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ReadStatus(t.Context(), js, "")
	if err != nil {
		t.Fatalf("ReadStatus() error = %v", err)
	}
	if len(st.Nodes) != 2 || st.Nodes[0].ID != "s1" || st.Nodes[1].ID != "s2" {
		t.Errorf("ReadStatus().Nodes = %+v, want s1 and s2", st.Nodes)
	}
	if len(st.Partitions) != 2 {
		t.Fatalf("ReadStatus().Partitions = %+v, want 2", st.Partitions)
	}
	for _, ps := range st.Partitions {
		owner := f.owner(t, ps.Partition, nil, time.Second)
		if ps.Owner != owner.cfg.NodeID || ps.Messages == 0 {
			t.Errorf("partition %d status = %+v, want owner %s and the journal's open marker", ps.Partition, ps, owner.cfg.NodeID)
		}
	}
}

// TestBucketTTLWins shows that a node configured with another lease TTL
// than the bucket's times its renewals by the bucket's, which is what
// expires leases.
func TestBucketTTLWins(t *testing.T) {
	c := natstest.Start(t, natstest.Options{})
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(t.Context(), Config{JetStream: js, NodeID: "a", LeaseTTL: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	n, err := New(t.Context(), Config{JetStream: js, NodeID: "b", LeaseTTL: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if n.cfg.LeaseTTL != 2*time.Second || n.stopWait != time.Second {
		t.Errorf("node configured with 30s on a 2s bucket: TTL %v, stops after %v; want 2s and 1s", n.cfg.LeaseTTL, n.stopWait)
	}
}

// TestJoiningNodeTakesShare shows that a node joining a cluster whose
// partitions another node holds gets its share of them.
func TestJoiningNodeTakesShare(t *testing.T) {
	f := setup(t, 1, 1, 4)
	for p := range 4 {
		f.owner(t, p, nil, 10*time.Second)
	}
	late := f.startNode(t, "late", 4, 1)
	deadline := time.Now().Add(10 * time.Second)
	for len(late.Serving()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the joining node serves %v after 10s, want 2 partitions", late.Serving())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := f.nodes[0].Serving(); len(got) != 2 {
		t.Errorf("the first node serves %v, want 2 partitions", got)
	}
}
