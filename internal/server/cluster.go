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
// metrics), and the Task Monitor (clusterMonitor). The dashboard does not
// run in cluster mode yet.
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
	var eval *monitor.Monitor // the evaluating monitor, made once node is
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
		OnRule: func(name string, r *sluice.AlertRule) {
			// Called from Run only, after eval is set.
			if r == nil {
				eval.DeleteRule(name) // unknown here: nothing to delete
			} else if err := eval.PutRule(*r); err != nil {
				s.log.Warn("ignoring an invalid alert rule", "rule", name, "err", err)
			}
		},
	})
	if err != nil {
		return err
	}
	s.core = clusterCore{node: node, nc: s.nc}
	router := cluster.NewRouter(node)
	s.api = router
	s.sqs = sqsapi.New(router, sqsapi.Options{AWS: s.awsConfig(), Limits: s.cfg.Limits, Logger: s.log})
	s.sns = snsapi.New(router, snsapi.Options{AWS: s.awsConfig(), Logger: s.log})
	query, err := monitor.New(router, monitor.Options{
		Buckets: s.cfg.MonitorBuckets,
		Logger:  s.log.With("component", "monitor"),
	})
	if err != nil {
		return err
	}
	local := node.Local()
	eval, err = monitor.New(evalEngine{Local: local, router: router}, monitor.Options{
		Buckets:  s.cfg.MonitorBuckets,
		Interval: s.cfg.MonitorInterval,
		Logger:   s.log.With("component", "monitor"),
	})
	if err != nil {
		return err
	}
	s.monitor = eval // Run runs its evaluations
	s.queryMonitor = clusterMonitor{query: query, eval: eval, node: node}
	// Each node pushes the HTTP subscriptions of the partitions it serves,
	// and reports the metrics of their queues and topics.
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

// clusterMonitor is the Task Monitor in cluster mode. Its queries run
// over the router, so they cover every queue. Alert rules live in the
// cluster's settings bucket (cluster.Node.PutRule), and every node applies
// them to its own evaluating monitor, which watches the tracked queues of
// the partitions the node serves: each queue's alerts come from the one
// node serving it, and Alerts lists this node's.
type clusterMonitor struct {
	query, eval *monitor.Monitor
	node        *cluster.Node
}

// settingsTimeout bounds the rule calls, which have no context.
const settingsTimeout = 10 * time.Second

func (m clusterMonitor) TrackedQueues(ctx context.Context) ([]string, error) {
	return m.query.TrackedQueues(ctx)
}

func (m clusterMonitor) Ages(ctx context.Context, queue string, perTenant bool) (sluice.TaskAges, error) {
	return m.query.Ages(ctx, queue, perTenant)
}

func (m clusterMonitor) Tasks(ctx context.Context, queue string, q sluice.TaskAgeQuery) ([]sluice.TaskStatus, error) {
	return m.query.Tasks(ctx, queue, q)
}

func (m clusterMonitor) PutRule(r sluice.AlertRule) error {
	if err := monitor.ValidateRule(r); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), settingsTimeout)
	defer cancel()
	return m.node.PutRule(ctx, r)
}

func (m clusterMonitor) DeleteRule(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), settingsTimeout)
	defer cancel()
	return m.node.DeleteRule(ctx, name)
}

// synced brings this node's rules up to date with the bucket.
func (m clusterMonitor) synced() error {
	ctx, cancel := context.WithTimeout(context.Background(), settingsTimeout)
	defer cancel()
	return m.node.SyncSettings(ctx)
}

func (m clusterMonitor) Rule(name string) (sluice.AlertRule, error) {
	if err := m.synced(); err != nil {
		return sluice.AlertRule{}, err
	}
	return m.eval.Rule(name)
}

func (m clusterMonitor) Rules() []sluice.AlertRule {
	m.synced() // on failure, the rules this node knows
	return m.eval.Rules()
}

func (m clusterMonitor) Alerts() []sluice.Alert { return m.eval.Alerts() }

func (m clusterMonitor) Status() (time.Time, bool) { return m.eval.Status() }

// evalEngine is what a node's evaluating monitor sees: the tracked queues
// of the partitions the node serves, and the whole cluster to publish
// alerts to.
type evalEngine struct {
	*cluster.Local
	router *cluster.Router
}

func (e evalEngine) Publish(ctx context.Context, topic string, msgs []sluice.PublishInput) ([]sluice.PublishResult, error) {
	return e.router.Publish(ctx, topic, msgs)
}

// The watch methods reach the whole cluster: a node's evaluating monitor
// keeps no watches (see clusterMonitor), so these are not called today.

func (e evalEngine) GetTopic(ctx context.Context, name string) (sluice.TopicConfig, error) {
	return e.router.GetTopic(ctx, name)
}

func (e evalEngine) CreateQueue(ctx context.Context, cfg sluice.QueueConfig) (sluice.QueueConfig, bool, error) {
	return e.router.CreateQueue(ctx, cfg)
}

func (e evalEngine) DeleteQueue(ctx context.Context, name string) error {
	return e.router.DeleteQueue(ctx, name)
}

func (e evalEngine) Subscribe(ctx context.Context, in sluice.Subscription) (sluice.Subscription, error) {
	return e.router.Subscribe(ctx, in)
}

func (e evalEngine) Unsubscribe(ctx context.Context, id string) error {
	return e.router.Unsubscribe(ctx, id)
}

func (e evalEngine) Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error) {
	return e.router.Receive(ctx, queue, opts)
}

func (e evalEngine) Ack(ctx context.Context, queue string, receipts []string) ([]error, error) {
	return e.router.Ack(ctx, queue, receipts)
}

// External watches keep their state in files of one node's data directory,
// so cluster mode does not offer them yet: creating one is refused with an
// error naming the field, and there are none to list or read.

func (m clusterMonitor) PutWatch(ctx context.Context, w sluice.Watch) (sluice.Watch, error) {
	return sluice.Watch{}, sluice.Invalid("name", "external watches are not available in cluster mode yet")
}

func (m clusterMonitor) DeleteWatch(ctx context.Context, name string) error {
	return fmt.Errorf("%w: %s", sluice.ErrWatchNotFound, name)
}

func (m clusterMonitor) Watch(name string) (sluice.Watch, error) {
	return sluice.Watch{}, fmt.Errorf("%w: %s", sluice.ErrWatchNotFound, name)
}

func (m clusterMonitor) Watches() []sluice.Watch { return nil }

func (m clusterMonitor) WatchTask(name, id string) (sluice.TaskStatus, error) {
	return sluice.TaskStatus{}, fmt.Errorf("%w: %s", sluice.ErrWatchNotFound, name)
}

func (e evalEngine) TaskStatus(ctx context.Context, queue, id string) (sluice.TaskStatus, error) {
	return e.router.TaskStatus(ctx, queue, id)
}
