package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
	"github.com/sluicehq/sluice/internal/metrics"
	"github.com/sluicehq/sluice/internal/server"
)

func runServe(ctx context.Context, st *streams, args []string) error {
	c := newCmd("serve", "[flags]",
		`Run a Sluice server with embedded storage. It serves the native API
under /v1, the Amazon SQS (JSON and Query protocols) and SNS APIs,
Prometheus metrics on /metrics, the dashboard under /ui/, /healthz and
/readyz on one port, keeps its data in --data-dir and
shuts down gracefully on SIGINT or SIGTERM: it stops accepting requests,
finishes those in flight, ends long polls and flushes its journals. With --cluster it joins a cluster instead: its
partitions live in NATS JetStream (docs/cluster.md) and any node answers for
any queue. Every
flag can also be set with the environment variable shown; flags win.`,
		`sluice serve
		sluice serve --listen 0.0.0.0:9324 --data-dir /var/lib/sluice
		sluice serve --cluster nats://n1:4222,nats://n2:4222,nats://n3:4222 --replicas 3 --listen 0.0.0.0:9324 --advertise 10.0.0.5:9324
		SLUICE_FSYNC=interval:10ms SLUICE_LOG_LEVEL=debug sluice serve`)
	listen := c.fs.String("listen", envOr("SLUICE_LISTEN", server.DefaultListen), "`address` to listen on ($SLUICE_LISTEN)")
	dataDir := c.fs.String("data-dir", envOr("SLUICE_DATA_DIR", server.DefaultDataDir), "`directory` for the data ($SLUICE_DATA_DIR)")
	partitions := c.fs.Int("partitions", 0, "number of partitions: fixed when the data dir is created (default 1, or the data dir's) ($SLUICE_PARTITIONS)")
	fsync := c.fs.String("fsync", envOr("SLUICE_FSYNC", "always"), "when writes reach the disk before they are confirmed: always, interval:DURATION or never ($SLUICE_FSYNC)")
	logLevel := c.fs.String("log-level", envOr("SLUICE_LOG_LEVEL", "info"), "log `level`: debug, info, warn or error ($SLUICE_LOG_LEVEL)")
	logFormat := c.fs.String("log-format", envOr("SLUICE_LOG_FORMAT", "text"), "log `format`: text or json ($SLUICE_LOG_FORMAT)")
	maxMessageSize := c.sizeFlag("max-message-size", 0, "largest message body plus attributes the server accepts (default 1MiB) ($SLUICE_MAX_MESSAGE_SIZE)")
	publicURL := c.fs.String("public-url", envOr("SLUICE_PUBLIC_URL", ""), "base `URL` at which clients and subscribers reach the server, such as https://sluice.example.com, for SQS queue URLs and subscription confirmation links (default: queue URLs use the host each client used, confirmation links http:// plus the listen address) ($SLUICE_PUBLIC_URL)")
	awsRegion := c.fs.String("aws-region", envOr("SLUICE_AWS_REGION", "us-east-1"), "`region` in the ARNs of the SQS and SNS APIs ($SLUICE_AWS_REGION)")
	awsAccount := c.fs.String("aws-account", envOr("SLUICE_AWS_ACCOUNT", "000000000000"), "`account` id in the ARNs and queue URLs of the SQS and SNS APIs ($SLUICE_AWS_ACCOUNT)")
	maxQueueSeries := c.fs.Int("metrics-max-queues", metrics.DefaultMaxQueues, "most queues (and topics) with their own series on /metrics; the rest are summed under \"~other\" ($SLUICE_METRICS_MAX_QUEUES)")
	maxTenantSeries := c.fs.Int("metrics-max-tenants", metrics.DefaultMaxTenants, "most tenants per queue with their own series on /metrics, those holding the most messages; the rest are summed under \"~other\" ($SLUICE_METRICS_MAX_TENANTS)")
	shutdownTimeout := c.durationFlag("shutdown-timeout", server.DefaultShutdownTimeout, "how long a graceful shutdown waits for requests in flight ($SLUICE_SHUTDOWN_TIMEOUT)")
	clusterURLs := c.fs.String("cluster", envOr("SLUICE_CLUSTER", ""), "join a cluster whose state lives in NATS JetStream at these `URLs` (comma-separated) instead of --data-dir ($SLUICE_CLUSTER)")
	nodeID := c.fs.String("node-id", envOr("SLUICE_NODE_ID", ""), "cluster: this node's `name` (default: host name and port) ($SLUICE_NODE_ID)")
	advertise := c.fs.String("advertise", envOr("SLUICE_ADVERTISE", ""), "cluster: `host:port` other nodes forward requests to (default: the listen address) ($SLUICE_ADVERTISE)")
	clusterName := c.fs.String("cluster-name", envOr("SLUICE_CLUSTER_NAME", "sluice"), "cluster: the cluster's `name`, prefix of its streams ($SLUICE_CLUSTER_NAME)")
	leaseTTL := c.durationFlag("lease-ttl", 0, "cluster: how long a partition's lease outlives its owner's last renewal; failover takes about this long (default 5s) ($SLUICE_LEASE_TTL)")
	replicas := c.fs.Int("replicas", 0, "cluster: replicas of each partition's stream, 3 for production (default 1) ($SLUICE_REPLICAS)")

	// Environment values become the flags' defaults, so flags override them.
	for _, ev := range []struct{ env, flag string }{
		{"SLUICE_PARTITIONS", "partitions"},
		{"SLUICE_MAX_MESSAGE_SIZE", "max-message-size"},
		{"SLUICE_SHUTDOWN_TIMEOUT", "shutdown-timeout"},
		{"SLUICE_METRICS_MAX_QUEUES", "metrics-max-queues"},
		{"SLUICE_REPLICAS", "replicas"},
		{"SLUICE_LEASE_TTL", "lease-ttl"},
		{"SLUICE_METRICS_MAX_TENANTS", "metrics-max-tenants"},
	} {
		if v := envOr(ev.env, ""); v != "" {
			if err := c.fs.Set(ev.flag, v); err != nil {
				return usageErrorf("serve: $%s: %v", ev.env, err)
			}
		}
	}
	if _, err := c.parse(st, args, 0, 0); err != nil {
		return err
	}
	if *partitions < 0 || *partitions > 1024 {
		return usageErrorf("serve: --partitions %d is outside 1 to 1024", *partitions)
	}
	if *publicURL != "" {
		if err := checkPublicURL(*publicURL); err != nil {
			return usageErrorf("serve: --public-url %q: %v", *publicURL, err)
		}
	}
	if *maxQueueSeries < 1 {
		return usageErrorf("serve: --metrics-max-queues %d: want at least 1", *maxQueueSeries)
	}
	if *maxTenantSeries < 1 {
		return usageErrorf("serve: --metrics-max-tenants %d: want at least 1", *maxTenantSeries)
	}
	sync, err := filejournal.ParseSyncPolicy(*fsync)
	if err != nil {
		return usageErrorf("serve: --fsync %q: want always, never or interval:DURATION such as interval:10ms", *fsync)
	}
	logger, err := newLogger(st.stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.NewBuildInfo(buildVersion()),
	)
	cfg := server.Config{
		Registry:        registry,
		Metrics:         metrics.Options{MaxQueues: *maxQueueSeries, MaxTopics: *maxQueueSeries, MaxTenants: *maxTenantSeries},
		Listen:          *listen,
		DataDir:         *dataDir,
		Partitions:      *partitions,
		Sync:            sync,
		Limits:          sluice.Limits{MaxMessageSize: *maxMessageSize},
		Logger:          logger,
		ShutdownTimeout: *shutdownTimeout,
		PublicURL:       strings.TrimSuffix(*publicURL, "/"),
		AWSRegion:       *awsRegion,
		AWSAccount:      *awsAccount,
	}
	if *clusterURLs != "" {
		if *replicas < 0 || *replicas > 5 {
			return usageErrorf("serve: --replicas %d is outside 1 to 5", *replicas)
		}
		cfg.Cluster = &server.ClusterConfig{
			NATS: *clusterURLs, NodeID: *nodeID, Advertise: *advertise,
			Name: *clusterName, Partitions: *partitions, Replicas: *replicas, LeaseTTL: *leaseTTL,
		}
	}
	if cfg.Cluster != nil {
		logger.Info("starting sluice", "version", buildVersion(), "cluster", cfg.Cluster.NATS)
	} else {
		logger.Info("starting sluice", "version", buildVersion(), "data_dir", cfg.DataDir, "fsync", sync.String())
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

// newLogger returns a logger writing to w at the named level and format,
// or a usage error naming the flag that is wrong.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("serve: --log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usageErrorf("serve: --log-format %q: want text or json", format)
	}
}

// checkPublicURL reports what is wrong with a --public-url: it must be an
// absolute http or https URL with a host and nothing after the path.
func checkPublicURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http:// or https:// URL")
	case u.Host == "":
		return errors.New("no host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return errors.New("want no user, query or fragment")
	}
	return nil
}
