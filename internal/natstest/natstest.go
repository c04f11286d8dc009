// Package natstest starts NATS JetStream servers inside the test process,
// on loopback ports, for the tests of cluster mode: one node, or a
// three-node cluster whose routes run over 127.0.0.1.
package natstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options configures Start. A zero field means the default.
type Options struct {
	// Nodes is the number of servers: 1 (default) or 3 to form a
	// JetStream cluster.
	Nodes int
	// SyncAlways makes the servers fsync every write before acknowledging
	// it, as production clusters should; tests run faster without it.
	SyncAlways bool
}

// Cluster is a set of running in-process NATS servers with JetStream.
type Cluster struct {
	Servers []*server.Server
}

// Start starts the servers opts asks for, each with its store in a
// temporary directory, and waits until JetStream is ready. They are shut
// down when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	n := max(opts.Nodes, 1)
	var routePorts []int
	if n > 1 {
		routePorts = freePorts(t, n)
	}
	c := &Cluster{}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			SyncAlways: opts.SyncAlways,
			MaxPayload: 1 << 20,
		}
		if n > 1 {
			o.Cluster = server.ClusterOpts{Name: "sluice-test", Host: "127.0.0.1", Port: routePorts[i]}
			for _, p := range routePorts {
				if p != routePorts[i] {
					o.Routes = append(o.Routes, server.RoutesFromStr(fmt.Sprintf("nats://127.0.0.1:%d", p))...)
				}
			}
		}
		s, err := server.NewServer(o)
		if err != nil {
			t.Fatalf("natstest: new server %d: %v", i+1, err)
		}
		go s.Start()
		t.Cleanup(func() {
			s.Shutdown()
			s.WaitForShutdown()
		})
		// Generous: under -race on a loaded 2-core machine a server has
		// been seen to take over 10 s to start listening.
		if !s.ReadyForConnections(30 * time.Second) {
			t.Fatalf("natstest: server %d not ready within 30s", i+1)
		}
		c.Servers = append(c.Servers, s)
	}
	c.waitJetStream(t)
	return c
}

// waitPlacement waits until a stream with a replica on every server can be
// created: the meta leader then knows every peer is online.
func (c *Cluster) waitPlacement(t testing.TB, deadline time.Time) {
	t.Helper()
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatalf("natstest: connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "NATSTEST_READY", Replicas: len(c.Servers), Storage: jetstream.MemoryStorage})
		if err == nil {
			err = js.DeleteStream(ctx, "NATSTEST_READY")
		}
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: cannot place a replicated stream: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePorts returns n TCP ports on 127.0.0.1 that were free a moment ago.
// Routes must know each other's ports before the servers start.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: reserve port: %v", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// waitJetStream waits until the servers elected a JetStream meta leader
// and every running server is current with it.
func (c *Cluster) waitJetStream(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c.jetStreamReady() {
			if len(c.Servers) > 1 {
				c.waitPlacement(t, deadline)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("natstest: JetStream not ready after 20s")
}

func (c *Cluster) jetStreamReady() bool {
	if len(c.Servers) == 1 {
		return c.Servers[0].JetStreamEnabled()
	}
	leader := false
	for _, s := range c.Servers {
		if !s.Running() {
			continue
		}
		if !s.JetStreamIsCurrent() {
			return false
		}
		leader = leader || s.JetStreamIsLeader()
	}
	return leader
}

// URL returns the client URLs of the running servers, comma-separated, as
// nats.Connect and `sluice serve --cluster` accept them.
func (c *Cluster) URL() string {
	var urls []string
	for _, s := range c.Servers {
		if s.Running() {
			urls = append(urls, s.ClientURL())
		}
	}
	return strings.Join(urls, ",")
}

// Connect returns a client connection to the cluster, closed when the
// test ends. It reconnects quickly to another server if one stops.
func (c *Cluster) Connect(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(c.URL(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond),
		nats.Timeout(2*time.Second),
	)
	if err != nil {
		t.Fatalf("natstest: connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Stop shuts server i down abruptly, as a crash would (its store stays on
// disk but it is never restarted).
func (c *Cluster) Stop(i int) {
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
}
