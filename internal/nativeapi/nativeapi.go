// Package nativeapi serves Sluice's native JSON API over HTTP: queue
// management, send, long-polling receive, ack, visibility changes and
// redrive, and topics, subscriptions and publish, under /v1; and a
// readiness probe at /readyz. The documents are
// those of internal/wire; docs/openapi.yaml describes every route and error.
//
// The handler is a thin translation layer: it decodes and checks the shape
// of requests, calls the engine with the request's context (so a client that
// goes away cancels its long poll), and maps engine errors to statuses and
// codes through wire's single error table. Errors it does not know are
// logged with their detail and reach clients as a bare internal error.
package nativeapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// Engine is what the handler needs of the queue engine; *engine.Engine
// implements it. Its methods must be safe for concurrent use and must return
// the errors package sluice defines for the failures callers branch on.
type Engine interface {
	Ready() error
	CreateQueue(ctx context.Context, cfg sluice.QueueConfig) (q sluice.QueueConfig, created bool, err error)
	GetQueue(ctx context.Context, name string) (sluice.QueueConfig, error)
	ListQueues(ctx context.Context, prefix, after string, limit int) ([]sluice.QueueConfig, error)
	UpdateQueue(ctx context.Context, name string, u sluice.QueueUpdate) (sluice.QueueConfig, error)
	TagQueue(ctx context.Context, name string, tags map[string]string) error
	UntagQueue(ctx context.Context, name string, keys []string) error
	DeleteQueue(ctx context.Context, name string) error
	PurgeQueue(ctx context.Context, name string) (int, error)
	Send(ctx context.Context, queue string, msgs []sluice.SendInput) ([]sluice.SendResult, error)
	Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error)
	Ack(ctx context.Context, queue string, receipts []string) ([]error, error)
	ChangeVisibility(ctx context.Context, queue string, changes []sluice.VisibilityChange) ([]error, error)
	Stats(ctx context.Context, queue string) (sluice.QueueStats, error)
	Redrive(ctx context.Context, queue string, opts sluice.RedriveOptions) (int, error)

	TaskStatus(ctx context.Context, queue, id string) (sluice.TaskStatus, error)
	ListTasks(ctx context.Context, queue string, f sluice.TaskFilter) (sluice.TaskPage, error)
	CompleteTask(ctx context.Context, queue, receipt string, result []byte) (sluice.TaskStatus, error)
	FailTask(ctx context.Context, queue, receipt string, f sluice.TaskFailure) (sluice.TaskStatus, error)

	CreateTopic(ctx context.Context, cfg sluice.TopicConfig) (t sluice.TopicConfig, created bool, err error)
	GetTopic(ctx context.Context, name string) (sluice.TopicConfig, error)
	UpdateTopic(ctx context.Context, name string, u sluice.TopicUpdate) (sluice.TopicConfig, error)
	ListTopics(ctx context.Context, prefix, after string, limit int) ([]sluice.TopicConfig, error)
	TagTopic(ctx context.Context, name string, tags map[string]string) error
	UntagTopic(ctx context.Context, name string, keys []string) error
	DeleteTopic(ctx context.Context, name string) error
	Publish(ctx context.Context, topic string, msgs []sluice.PublishInput) ([]sluice.PublishResult, error)
	Subscribe(ctx context.Context, s sluice.Subscription) (sluice.Subscription, error)
	ConfirmSubscription(ctx context.Context, topic, token string) (sluice.Subscription, error)
	UpdateSubscription(ctx context.Context, id string, u sluice.SubscriptionUpdate) (sluice.Subscription, error)
	Unsubscribe(ctx context.Context, id string) error
	GetSubscription(ctx context.Context, id string) (sluice.Subscription, error)
	ListSubscriptions(ctx context.Context, topic, after string, limit int) ([]sluice.Subscription, error)

	SetTier(ctx context.Context, t sluice.Tier) (sluice.Tier, error)
	Tiers(ctx context.Context) ([]sluice.Tier, error)
	SetTenant(ctx context.Context, c sluice.TenantConfig) (sluice.TenantConfig, error)
	TenantConfigs(ctx context.Context, queue string) ([]sluice.TenantConfig, error)
	TenantConfig(ctx context.Context, queue, tenant string) (sluice.TenantConfig, error)
	TopTenants(ctx context.Context, queue string, limit int) ([]sluice.TenantStats, error)
	Tenant(ctx context.Context, queue, tenant string) (sluice.TenantStats, error)
}

// Options configures the handler. A zero field means the default.
type Options struct {
	// Logger receives internal errors with their detail (default: discard).
	Logger *slog.Logger
	// Limits are the engine's limits; the handler uses them to size
	// MaxRequestBytes.
	Limits sluice.Limits
	// MaxRequestBytes caps a request body; a larger one is rejected with 413
	// request_too_large. The default leaves room for a send batch of
	// MaxSendBatch messages of MaxMessageSize bytes in base64, bounded to
	// 64 MiB but never less than one such message.
	MaxRequestBytes int64
	// Monitor serves /v1/monitor (default: none; those endpoints answer
	// not_found).
	Monitor Monitor
}

// maxRequestBytes returns the default cap on request bodies for limits l.
func maxRequestBytes(l sluice.Limits) int64 {
	l = l.WithDefaults()
	one := int64(l.MaxMessageSize)/3*4 + 64<<10 // base64 body and attributes, JSON around them
	return max(one, min(one*int64(l.MaxSendBatch), 64<<20))
}

// New returns the native API handler over e. The handler is safe for
// concurrent use. Because receives long-poll for up to Limits.MaxWaitTime,
// the http.Server serving it must not have a shorter WriteTimeout.
func New(e Engine, opts Options) http.Handler {
	h := &handler{
		engine:  e,
		log:     opts.Logger,
		maxBody: opts.MaxRequestBytes,
		mon:     opts.Monitor,
		mux:     http.NewServeMux(),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = maxRequestBytes(opts.Limits)
	}
	h.register()
	return h
}

// handler serves the native API. Its fields are set by New and read-only
// afterwards.
type handler struct {
	engine  Engine
	log     *slog.Logger
	maxBody int64
	mon     Monitor
	mux     *http.ServeMux
	// buffers holds *[]byte response buffers for writeAppended.
	buffers sync.Pool
}

// endpoint is an HTTP handler that returns its error for the handler to
// report, having written nothing.
type endpoint func(w http.ResponseWriter, r *http.Request) error

// routes lists every endpoint of the API; docs/openapi.yaml describes each.
var routes = []struct {
	method, path string
	serve        func(*handler, http.ResponseWriter, *http.Request) error
}{
	{"GET", "/readyz", (*handler).ready},
	{"POST", "/v1/queues", (*handler).createQueue},
	{"GET", "/v1/queues", (*handler).listQueues},
	{"GET", "/v1/queues/{name}", (*handler).getQueue},
	{"PATCH", "/v1/queues/{name}", (*handler).updateQueue},
	{"DELETE", "/v1/queues/{name}", (*handler).deleteQueue},
	{"POST", "/v1/queues/{name}/purge", (*handler).purgeQueue},
	{"PUT", "/v1/queues/{name}/tags", (*handler).tagQueue},
	{"DELETE", "/v1/queues/{name}/tags", (*handler).untagQueue},
	{"GET", "/v1/queues/{name}/stats", (*handler).stats},
	{"POST", "/v1/queues/{name}/messages", (*handler).send},
	{"POST", "/v1/queues/{name}/receive", (*handler).receive},
	{"POST", "/v1/queues/{name}/ack", (*handler).ack},
	{"POST", "/v1/queues/{name}/visibility", (*handler).changeVisibility},
	{"POST", "/v1/queues/{name}/nack", (*handler).nack},
	{"POST", "/v1/queues/{name}/redrive", (*handler).redrive},
	{"POST", "/v1/queues/{name}/complete", (*handler).completeTask},
	{"POST", "/v1/queues/{name}/fail", (*handler).failTask},
	{"GET", "/v1/queues/{name}/tasks", (*handler).listTasks},
	{"GET", "/v1/queues/{name}/tasks/{id}", (*handler).getTask},
	{"POST", "/v1/topics", (*handler).createTopic},
	{"GET", "/v1/topics", (*handler).listTopics},
	{"GET", "/v1/topics/{name}", (*handler).getTopic},
	{"PATCH", "/v1/topics/{name}", (*handler).updateTopic},
	{"DELETE", "/v1/topics/{name}", (*handler).deleteTopic},
	{"PUT", "/v1/topics/{name}/tags", (*handler).tagTopic},
	{"DELETE", "/v1/topics/{name}/tags", (*handler).untagTopic},
	{"POST", "/v1/topics/{name}/publish", (*handler).publish},
	{"POST", "/v1/topics/{name}/subscriptions", (*handler).subscribe},
	{"GET", "/v1/topics/{name}/subscriptions", (*handler).listTopicSubscriptions},
	{"GET", "/v1/topics/{name}/subscriptions/{sub}", (*handler).getSubscription},
	{"PATCH", "/v1/topics/{name}/subscriptions/{sub}", (*handler).updateSubscription},
	{"DELETE", "/v1/topics/{name}/subscriptions/{sub}", (*handler).unsubscribe},
	{"GET", "/v1/topics/{name}/confirm", (*handler).confirmByLink},
	{"POST", "/v1/topics/{name}/confirm", (*handler).confirmByBody},
	{"GET", "/v1/subscriptions", (*handler).listAllSubscriptions},
	{"GET", "/v1/tiers", (*handler).listTiers},
	{"PUT", "/v1/tiers/{name}", (*handler).setTier},
	{"GET", "/v1/tenants", (*handler).listTenantSettings},
	{"GET", "/v1/tenants/{tenant}", (*handler).getTenantSetting},
	{"PUT", "/v1/tenants/{tenant}", (*handler).setTenant},
	{"GET", "/v1/queues/{name}/tenants", (*handler).listQueueTenants},
	{"GET", "/v1/queues/{name}/tenants/{tenant}", (*handler).getQueueTenant},
	{"PUT", "/v1/queues/{name}/tenants/{tenant}", (*handler).setTenant},
	{"GET", "/v1/monitor/buckets", (*handler).monitorBuckets},
	{"GET", "/v1/monitor/tasks", (*handler).monitorTasks},
	{"GET", "/v1/monitor/rules", (*handler).listRules},
	{"PUT", "/v1/monitor/rules/{rule}", (*handler).putRule},
	{"GET", "/v1/monitor/rules/{rule}", (*handler).getRule},
	{"DELETE", "/v1/monitor/rules/{rule}", (*handler).deleteRule},
	{"GET", "/v1/monitor/alerts", (*handler).listAlerts},
	{"GET", "/v1/monitor/watches", (*handler).listWatches},
	{"PUT", "/v1/monitor/watches/{watch}", (*handler).putWatch},
	{"GET", "/v1/monitor/watches/{watch}", (*handler).getWatch},
	{"DELETE", "/v1/monitor/watches/{watch}", (*handler).deleteWatch},
	{"GET", "/v1/monitor/watches/{watch}/tasks/{id}", (*handler).getWatchTask},
	{"GET", "/v1/monitor/status", (*handler).monitorStatus},
}

// register installs routes on h.mux, with a 405 for each path's other
// methods and a 404 for every other path.
func (h *handler) register() {
	allowed := map[string][]string{} // path pattern -> methods
	for _, rt := range routes {
		h.mux.Handle(rt.method+" "+rt.path, h.serve(func(w http.ResponseWriter, r *http.Request) error {
			return rt.serve(h, w, r)
		}))
		allowed[rt.path] = append(allowed[rt.path], rt.method)
		if rt.method == http.MethodGet {
			allowed[rt.path] = append(allowed[rt.path], http.MethodHead)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(allowed)) {
		allow := strings.Join(allowed[path], ", ")
		h.mux.Handle(path, h.serve(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", allow)
			return fmt.Errorf("%w: %s %s; allowed: %s", wire.ErrMethodNotAllowed, r.Method, path, allow)
		}))
	}
	h.mux.Handle("/", h.serve(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%w: %s", wire.ErrNotFound, r.URL.Path)
	}))
}

// ServeHTTP gives every response an X-Request-Id, the request's own when it
// is sane, and routes the request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if !saneRequestID(id) {
		id = rand.Text()
	}
	w.Header().Set("X-Request-Id", id)
	h.mux.ServeHTTP(w, r)
}

// saneRequestID reports whether a client's request id may be echoed and
// logged: 1 to 128 characters of letters, digits and "-_.:/+=".
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:/+=", c) >= 0) {
			return false
		}
	}
	return true
}

// serve adapts e to http.Handler, reporting its error.
func (h *handler) serve(e endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := e(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

// ready reports whether the engine accepts writes: 200 {"status":"ready"},
// or the engine's error (503 unavailable).
func (h *handler) ready(w http.ResponseWriter, r *http.Request) error {
	if err := h.engine.Ready(); err != nil {
		return err
	}
	h.write(w, r, http.StatusOK, struct {
		Status string `json:"status"`
	}{"ready"})
	return nil
}
