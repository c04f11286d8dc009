package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/cluster"
	"github.com/sluicehq/sluice/internal/metrics"
	"github.com/sluicehq/sluice/internal/monitor"
	"github.com/sluicehq/sluice/internal/nativeapi"
	"github.com/sluicehq/sluice/internal/push"
	"github.com/sluicehq/sluice/internal/snsapi"
	"github.com/sluicehq/sluice/internal/sqsapi"
)

var (
	_ nativeapi.Engine    = (*cluster.Router)(nil)
	_ sqsapi.Engine       = (*cluster.Router)(nil)
	_ snsapi.Engine       = (*cluster.Router)(nil)
	_ monitor.Engine      = (*cluster.Router)(nil)
	_ metrics.QueueSource = (*cluster.Local)(nil)
	_ metrics.TopicSource = (*cluster.Local)(nil)
	_ push.Engine         = (*cluster.Local)(nil)
)

// clusterCore runs a cluster node; it is ready while connected to NATS.
type clusterCore struct {
	node *cluster.Node
	nc   *nats.Conn
}

func (c clusterCore) Run(ctx context.Context) error { return c.node.Run(ctx) }

func (c clusterCore) Ready() error {
	if !c.nc.IsConnected() {
		return errors.New("not connected to NATS")
	}
	return nil
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// joinCluster connects to NATS, binds the listener (its address is
// published with the node's leases) and prepares the cluster node and the
// router the native, SQS and SNS APIs call, and the push worker over the
// partitions the node serves (which also report their queues' and topics'
// metrics), and the Task Monitor's queries over the router. Alert rules and
// the dashboard do not run in cluster mode yet.
func (s *Server) joinCluster(ctx context.Context) error {
	cc := s.cfg.Cluster
	if cc.NATS == "" {
		return errors.New("cluster: no NATS server URL")
	}
	var err error
	s.nc, err = nats.Connect(cc.NATS,
		nats.Name("sluice"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.Timeout(5*time.Second))
	if err != nil {
		return fmt.Errorf("cluster: connect to NATS at %s: %w", cc.NATS, err)
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if s.ln == nil {
		var lc net.ListenConfig
		if s.ln, err = lc.Listen(ctx, "tcp", s.cfg.Listen); err != nil {
			return err
		}
	}
	addr := cmp.Or(cc.Advertise, s.ln.Addr().String())
	id := cc.NodeID
	if id == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(s.ln.Addr().String())
		id = unsafeID.ReplaceAllString(cmp.Or(host, "node")+"-"+port, "_")
		if len(id) > 32 {
			id = id[len(id)-32:]
		}
	}
	node, err := cluster.New(ctx, cluster.Config{
		JetStream:  js,
		NodeID:     id,
		Addr:       addr,
		Name:       cc.Name,
		Partitions: cc.Partitions,
		Replicas:   cc.Replicas,
		LeaseTTL:   cc.LeaseTTL,
		Limits:     s.cfg.Limits,
		Logger:     s.log,
		TopicARN:   func(name string) string { return s.awsConfig().ARN("sns", name) },
	})
	if err != nil {
		return err
	}
	s.core = clusterCore{node: node, nc: s.nc}
	router := cluster.NewRouter(node)
	s.api = router
	s.sqs = sqsapi.New(router, sqsapi.Options{AWS: s.awsConfig(), Limits: s.cfg.Limits, Logger: s.log})
	s.sns = snsapi.New(router, snsapi.Options{AWS: s.awsConfig(), Logger: s.log})
	mon, err := monitor.New(router, monitor.Options{
		Buckets: s.cfg.MonitorBuckets,
		Logger:  s.log.With("component", "monitor"),
	})
	if err != nil {
		return err
	}
	s.queryMonitor = clusterMonitor{mon}
	// Each node pushes the HTTP subscriptions of the partitions it serves,
	// and reports the metrics of their queues and topics.
	local := node.Local()
	s.push = push.New(local, push.Options{
		HTTPClient: s.cfg.PushClient,
		Logger:     s.log,
		BaseURL:    cmp.Or(s.cfg.PublicURL, "http://"+addr),
	})
	for _, c := range []prometheus.Collector{
		metrics.NewQueueCollector(local, s.cfg.Metrics, s.log),
		metrics.NewTopicCollector(local, s.push, s.cfg.Metrics, s.log),
	} {
		if err := s.registry.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	s.log.Info("joined cluster", "nats", cc.NATS, "node", id, "addr", addr)
	return nil
}

// clusterMonitor answers the Task Monitor's queries in cluster mode: the
// age buckets and oldest tasks of any tracked queue, through the router.
// Alert rules are refused: a node keeps them in a file of its own, and
// every node would evaluate them and publish each alert (they belong in
// the settings bucket, evaluated by one node).
type clusterMonitor struct{ *monitor.Monitor }

func (clusterMonitor) PutRule(sluice.AlertRule) error {
	return sluice.Invalid("name", "alert rules are not available in cluster mode yet")
}
