// Package server assembles a Sluice node: it owns the data directory, opens
// one file journal per partition, runs the engine behind the HTTP interfaces
// on one listener, and shuts all of it down in order.
//
// The server reads no flags, environment or files beyond its data directory;
// package cli turns the command line into a Config.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
	"github.com/sluicehq/sluice/internal/dashboard"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
	"github.com/sluicehq/sluice/internal/metrics"
	"github.com/sluicehq/sluice/internal/monitor"
	"github.com/sluicehq/sluice/internal/nativeapi"
	"github.com/sluicehq/sluice/internal/push"
	"github.com/sluicehq/sluice/internal/snsapi"
	"github.com/sluicehq/sluice/internal/sqsapi"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultListen            = "127.0.0.1:9324"
	DefaultDataDir           = "sluice-data"
	DefaultPartitions        = 1
	DefaultShutdownTimeout   = 10 * time.Second
	defaultReadHeaderTimeout = 10 * time.Second
	defaultReadTimeout       = time.Minute
	defaultIdleTimeout       = 2 * time.Minute
	// pollGrace is how long Run lets in-flight requests finish on their own
	// during shutdown before it cancels their contexts (with the cause
	// sluice.ErrClosed), which ends long polls.
	pollGrace = 500 * time.Millisecond
)

// Config configures a Server. A zero field means the default.
type Config struct {
	// Listen is the TCP address to serve on (default 127.0.0.1:9324).
	Listen string
	// Listener, when set, is used instead of listening on Listen. The
	// server owns it from the call to New: it is closed when Run returns or
	// when New fails.
	Listener net.Listener
	// DataDir holds the META file and the partitions' journals
	// (default "sluice-data"). It is created if missing.
	DataDir string
	// Partitions is the number of engine partitions. Zero means the count
	// recorded in an existing data directory, or 1 for a new one; a non-zero
	// count that disagrees with the data directory makes New fail.
	Partitions int
	// Sync is the journals' fsync policy (the zero value is filejournal's default).
	Sync filejournal.SyncPolicy
	// Limits bounds what clients may send.
	Limits sluice.Limits
	// Logger receives the server's logs (default: discarded).
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Run waits for in-flight requests once
	// its context is cancelled (default 10s).
	ShutdownTimeout time.Duration
	// PublicURL is the base URL at which subscribers reach the server, such
	// as "https://sluice.example.com"; the confirmation requests sent to
	// HTTP subscriptions link there (default "http://" + the listen
	// address, which suits loopback only).
	PublicURL string
	// PushClient sends the deliveries of HTTP(S) subscriptions (default
	// push.NewHTTPClient()).
	PushClient *http.Client
	// Registry receives the server's metrics, served on GET /metrics
	// (default: a new registry holding only the server's own metrics). The
	// caller may register process-wide collectors (Go runtime, build info)
	// on it beforehand.
	Registry *prometheus.Registry
	// Metrics bounds the metrics' cardinality.
	Metrics metrics.Options
	// Dashboard configures the dashboard under /ui/; its Logger and Push
	// are set by the server.
	Dashboard dashboard.Options
	// AWSRegion and AWSAccount appear in the ARNs and queue URLs of the
	// SQS and SNS APIs (default us-east-1 and 000000000000). When
	// PublicURL is set, queue URLs start with it; otherwise with the
	// scheme and host each client used.
	AWSRegion, AWSAccount string
	// MonitorBuckets are the Task Monitor's age buckets (default
	// monitor.DefaultBuckets).
	MonitorBuckets []time.Duration
	// MonitorInterval is how often alert rules are evaluated (default 15s).
	MonitorInterval time.Duration
	// Cluster, when set, makes the node join a cluster whose state lives
	// in NATS JetStream instead of keeping it in DataDir.
	Cluster *ClusterConfig
}

// ClusterConfig configures cluster mode (see package cluster).
type ClusterConfig struct {
	// NATS lists the NATS servers' URLs, comma-separated. Required.
	NATS string
	// NodeID names this node in the cluster (default: the host name and
	// the listening port).
	NodeID string
	// Advertise is the host:port other nodes forward requests to (default:
	// the listening address).
	Advertise string
	// Name, Partitions, Replicas and LeaseTTL are cluster.Config's.
	Name       string
	Partitions int
	Replicas   int
	LeaseTTL   time.Duration
}

// core is what runs behind the API: the engine, or a cluster node.
type core interface {
	Run(ctx context.Context) error
	Ready() error
}

// Server is one Sluice node. Create it with New and start it with Run.
type Server struct {
	cfg      Config
	log      *slog.Logger
	lock     *dirLock
	journals []*filejournal.Journal
	engine   *engine.Engine   // nil in cluster mode
	core     core             // runs the engine or the cluster node
	api      nativeapi.Engine // what the native API calls: the engine or a cluster router
	nc       *nats.Conn       // cluster mode's connection

	// In cluster mode sqs and sns run over the cluster's router and push
	// over the partitions the node serves; monitor and ui, which need the
	// whole engine in this process, are nil.
	push    *push.Worker
	sqs     *sqsapi.Handler
	sns     *snsapi.Handler
	monitor *monitor.Monitor
	// queryMonitor serves /v1/monitor: the monitor, or in cluster mode
	// its queries only.
	queryMonitor nativeapi.Monitor
	ui           *dashboard.Dashboard

	ln       net.Listener
	http     *http.Server
	registry *prometheus.Registry
	httpm    *metrics.HTTP

	// draining is set once shutdown begins; /readyz then reports 503.
	draining atomic.Bool
	// cancelRequests cancels the base context of every request, with the
	// cause sluice.ErrClosed.
	cancelRequests func()
	ran            atomic.Bool
}

// New prepares a server: it creates and locks the data directory, checks or
// writes its META file, opens one journal per partition, recovers the
// engine from them and binds the listener. Nothing is served until Run.
// On error everything New opened is released.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	cfg.Listen = cmp.Or(cfg.Listen, DefaultListen)
	cfg.DataDir = cmp.Or(cfg.DataDir, DefaultDataDir)
	cfg.ShutdownTimeout = cmp.Or(cfg.ShutdownTimeout, DefaultShutdownTimeout)
	cfg.Limits = cfg.Limits.WithDefaults()
	if cfg.Partitions < 0 {
		return nil, fmt.Errorf("partition count %d is negative", cfg.Partitions)
	}
	s := &Server{cfg: cfg, log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)), ln: cfg.Listener,
		registry: cfg.Registry, httpm: metrics.NewHTTP()}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	journalMetrics := metrics.NewJournals()
	defer func() {
		if err != nil {
			s.release()
		}
	}()

	if cfg.Cluster != nil {
		if err := s.joinCluster(ctx); err != nil {
			return nil, err
		}
		if err := s.registry.Register(s.httpm); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
		s.newHTTP()
		return s, nil
	}

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if s.lock, err = lockDir(cfg.DataDir); err != nil {
		return nil, err
	}
	meta, err := loadOrCreateMeta(cfg.DataDir, cfg.Partitions)
	if err != nil {
		return nil, err
	}
	s.cfg.Partitions = meta.Partitions

	journals := make([]journal.Journal, 0, meta.Partitions)
	for i := range meta.Partitions {
		dir := partitionDir(cfg.DataDir, i)
		j, err := filejournal.Open(dir, filejournal.Options{Sync: cfg.Sync, Logger: s.log.With("partition", i), Observer: journalMetrics.Observer(i)})
		if err != nil {
			return nil, fmt.Errorf("open journal of partition %d: %w", i, err)
		}
		s.journals = append(s.journals, j)
		journals = append(journals, j)
	}
	start := time.Now()
	aws := s.awsConfig()
	s.engine, err = engine.Open(ctx, engine.Options{Journals: journals, Limits: cfg.Limits, Logger: s.log,
		TopicARN: func(name string) string { return aws.ARN("sns", name) }})
	if err != nil {
		return nil, fmt.Errorf("recover engine: %w", err)
	}
	s.log.Info("recovered", "data_dir", cfg.DataDir, "partitions", meta.Partitions, "duration", time.Since(start).Round(time.Millisecond))
	s.core, s.api = s.engine, s.engine

	if s.ln == nil {
		var lc net.ListenConfig
		if s.ln, err = lc.Listen(ctx, "tcp", cfg.Listen); err != nil {
			return nil, err
		}
	}
	s.push = push.New(s.engine, push.Options{
		HTTPClient: cfg.PushClient,
		Logger:     s.log,
		BaseURL:    cmp.Or(cfg.PublicURL, "http://"+s.ln.Addr().String()),
	})
	if err := s.registerMetrics(journalMetrics); err != nil {
		return nil, err
	}
	s.sqs = sqsapi.New(s.engine, sqsapi.Options{AWS: aws, Limits: cfg.Limits, Logger: s.log})
	s.sns = snsapi.New(s.engine, snsapi.Options{AWS: aws, Logger: s.log})
	s.monitor, err = monitor.New(s.engine, monitor.Options{
		Buckets:     cfg.MonitorBuckets,
		Interval:    cfg.MonitorInterval,
		RulesFile:   filepath.Join(cfg.DataDir, "monitor-rules.json"),
		WatchesFile: filepath.Join(cfg.DataDir, "monitor-watches.json"),
		AlertsFile:  filepath.Join(cfg.DataDir, "monitor-alerts.json"),
		Logger:      s.log.With("component", "monitor"),
	})
	if err != nil {
		return nil, err
	}
	s.queryMonitor = s.monitor
	if err := s.registry.Register(metrics.NewMonitorCollector(s.monitor, s.cfg.Metrics, s.log)); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	uiOpts := cfg.Dashboard
	uiOpts.Logger, uiOpts.Push = s.log, s.push
	monitorPage := dashboard.NewMonitorPage(s.monitor)
	uiOpts.Pages = append(slices.Clip(uiOpts.Pages), monitorPage.Page())
	s.ui = dashboard.New(s.engine, uiOpts)
	monitorPage.Attach(s.ui)
	s.newHTTP()
	return s, nil
}

// newHTTP prepares the HTTP server.
func (s *Server) newHTTP() {
	cfg := s.cfg
	// Requests still running when shutdown cancels them see the cause
	// sluice.ErrClosed, which tells them from a client that went away.
	baseCtx, cancel := context.WithCancelCause(context.Background())
	s.cancelRequests = func() { cancel(sluice.ErrClosed) }
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: defaultReadHeaderTimeout,
		ReadTimeout:       defaultReadTimeout,
		// A response may be a long poll; the write deadline must outlast it.
		WriteTimeout:   cfg.Limits.MaxWaitTime + time.Minute,
		IdleTimeout:    defaultIdleTimeout,
		MaxHeaderBytes: 64 << 10,
		BaseContext:    func(net.Listener) context.Context { return baseCtx },
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// registerMetrics registers one collector per area on the registry. The
// Task Monitor's collector registers here too.
func (s *Server) registerMetrics(journals *metrics.Journals) error {
	reporters := make([]journal.StatsReporter, len(s.journals))
	for i, j := range s.journals {
		reporters[i] = j
	}
	journals.Watch(reporters)
	for _, c := range []prometheus.Collector{
		metrics.NewQueueCollector(s.engine, s.cfg.Metrics, s.log),
		metrics.NewTopicCollector(s.engine, s.push, s.cfg.Metrics, s.log),
		metrics.NewTenantCollector(s.engine, s.cfg.Metrics, s.log),
		journals,
		s.httpm,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_engine_writable",
			Help: "1 while the engine accepts writes; 0 after a journal write failed (restart the server).",
		}, func() float64 {
			if s.engine.Ready() != nil {
				return 0
			}
			return 1
		}),
	} {
		if err := s.registry.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// awsConfig returns the identity the AWS APIs present.
func (s *Server) awsConfig() awswire.Config {
	return awswire.Config{Region: s.cfg.AWSRegion, Account: s.cfg.AWSAccount, PublicURL: s.cfg.PublicURL}.WithDefaults()
}

// partitionDir returns the directory of partition i's journal.
func partitionDir(dataDir string, i int) string {
	return filepath.Join(dataDir, "partitions", fmt.Sprintf("%02d", i))
}

// Addr returns the address the server listens on, which tells the port
// chosen for ":0".
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Partitions returns the number of partitions the server runs.
func (s *Server) Partitions() int { return s.cfg.Partitions }

// Run serves HTTP, runs the engine, pushes HTTP subscriptions' messages and
// samples the queues for the dashboard until ctx is cancelled or the engine or server fails. It then shuts down
// in order: it stops accepting connections and pushing, lets in-flight
// requests finish (cancelling long polls), stops the engine and closes the
// journals, which flushes them. It returns nil after a clean
// shutdown. Run must be called once; it releases everything New opened.
func (s *Server) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return errors.New("server: Run called twice")
	}

	// The engine outlives the HTTP server: requests still draining need it.
	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEngine()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		err := s.core.Run(engineCtx)
		if engineCtx.Err() == nil {
			return fmt.Errorf("engine stopped: %w", cmp.Or(err, errors.New("without error")))
		}
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	})
	g.Go(func() error {
		s.log.Info("listening", "addr", s.ln.Addr().String())
		if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
	pushDone := make(chan struct{})
	g.Go(func() error {
		defer close(pushDone)
		if s.push == nil {
			return nil
		}
		return s.push.Run(gctx)
	})
	if s.ui != nil {
		g.Go(func() error { return s.ui.Run(gctx) })
	}
	if s.monitor != nil {
		g.Go(func() error { return s.monitor.Run(gctx) })
	}
	g.Go(func() error {
		<-gctx.Done()
		defer stopEngine()
		err := s.shutdownHTTP()
		if s.sqs != nil {
			s.sqs.Close() // message move tasks
		}
		<-pushDone // the worker's last acks need the engine
		return err
	})
	err := g.Wait()
	err = errors.Join(err, s.release())
	s.log.Info("stopped")
	return err
}

// shutdownHTTP stops the HTTP server: new connections are refused, idle
// ones closed, and in-flight requests get ShutdownTimeout to finish. After
// pollGrace their contexts are cancelled so long polls answer at once.
func (s *Server) shutdownHTTP() error {
	s.draining.Store(true)
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	grace := time.AfterFunc(pollGrace, s.cancelRequests)
	defer grace.Stop()
	if err := s.http.Shutdown(ctx); err != nil {
		s.log.Warn("requests still running at the shutdown timeout; closing their connections", "err", err)
		s.cancelRequests()
		return s.http.Close()
	}
	return nil
}

// release closes the listener, the journals (flushing them) and the data
// directory lock, whichever are open, and returns the journals' close
// errors. It is called once, by Run or by a failing New.
func (s *Server) release() error {
	if s.cancelRequests != nil {
		s.cancelRequests()
	}
	if s.ln != nil {
		s.ln.Close() // already closed after a shutdown
	}
	var errs []error
	for i, j := range s.journals {
		if err := j.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close journal of partition %d: %w", i, err))
		}
	}
	s.journals = nil
	if s.nc != nil {
		s.nc.Close()
	}
	if s.lock != nil {
		s.lock.release()
		s.lock = nil
	}
	return errors.Join(errs...)
}
