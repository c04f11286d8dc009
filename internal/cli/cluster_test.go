package cli_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/internal/cluster"
	"github.com/sluicehq/sluice/internal/natstest"
)

func TestClusterStatus(t *testing.T) {
	c := natstest.Start(t, natstest.Options{})
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	node, err := cluster.New(t.Context(), cluster.Config{JetStream: js, NodeID: "alpha", Addr: "127.0.0.1:9324", Partitions: 2, LeaseTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		node.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(node.Serving(), []int{0, 1}) {
		if time.Now().After(deadline) {
			t.Fatalf("the node serves %v, want both partitions", node.Serving())
		}
		time.Sleep(20 * time.Millisecond)
	}

	r := runMain(t, "", "cluster", "status", "--nats", c.URL())
	if r.code != 0 {
		t.Fatalf("cluster status: exit %d, stderr %q", r.code, r.stderr)
	}
	if row := tableRow(r.stdout, "alpha"); row == nil || row[1] != "127.0.0.1:9324" {
		t.Errorf("cluster status: node row %q\n%s", row, r.stdout)
	}
	for _, p := range []string{"0", "1"} {
		if row := tableRow(r.stdout, p); row == nil || row[1] != "alpha" {
			t.Errorf("cluster status: partition %s row %q, want owner alpha\n%s", p, row, r.stdout)
		}
	}
	r = runMain(t, "", "cluster", "status", "--nats", c.URL(), "--json")
	var st cluster.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Partitions) != 2 || st.Partitions[1].Owner != "alpha" {
		t.Errorf("cluster status --json = %+v, %v\n%s", st, err, r.stdout)
	}
	wantFailure(t, "no such cluster", runMain(t, "", "cluster", "status", "--nats", c.URL(), "--cluster-name", "other"), 1, `cluster "other"`)
}
