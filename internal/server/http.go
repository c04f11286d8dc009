package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
	"github.com/sluicehq/sluice/internal/cluster"
	"github.com/sluicehq/sluice/internal/metrics"
	"github.com/sluicehq/sluice/internal/nativeapi"
)

// routes returns the handler for every interface served on the listener.
//
// Everything shares one port:
//   - the native API under "/v1/";
//   - SQS (AWS JSON 1.0 and Query) on "/" and on queue URLs
//     ("/{account}/{queue}"), routed by X-Amz-Target, the SigV4 credential
//     scope, the Query Version, then the path (awswire.Router), and SNS
//     (Query) on the same router;
//   - the dashboard under "/ui/" (a browser's GET / is redirected there)
//     and Prometheus metrics on "GET /metrics".
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := nativeapi.New(s.api, nativeapi.Options{Logger: s.log, Limits: s.cfg.Limits, Monitor: s.queryMonitor})
	mux.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(cluster.ForwardedHeader) != "" {
			r = r.WithContext(cluster.WithForwarded(r.Context()))
		}
		api.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
	}))
	var aws http.Handler = http.NotFoundHandler()
	if s.sqs != nil {
		services := []awswire.Service{s.sqs.Service()}
		if s.sns != nil {
			services = append(services, s.sns.Service())
		}
		aws = awswire.NewRouter(awswire.RouterOptions{Logger: s.log, MaxRequestBytes: awsMaxRequestBytes(s.cfg.Limits)}, services...)
	}
	toUI := http.NotFoundHandler()
	if s.ui != nil {
		mux.Handle("/ui/", s.ui)
		toUI = http.RedirectHandler("/ui/", http.StatusFound)
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case awswire.IsAWS(r):
			// The SQS and SNS handlers name their service and action;
			// what the router refuses before them stays "aws".
			metrics.SetLabels(r.Context(), "aws", "unrouted")
			aws.ServeHTTP(w, r)
		case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			toUI.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	return s.observe(mux)
}

// awsMaxRequestBytes caps AWS request bodies: a batch of messages of the
// largest size, percent-encoded in a Query form.
func awsMaxRequestBytes(l sluice.Limits) int64 {
	return 3*int64(l.MaxMessageSize) + 256<<10
}

// handleHealthz reports that the process is alive and serving HTTP.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writePlain(w, http.StatusOK, "ok\n")
}

// handleReadyz reports whether the node accepts work: 200 while the engine
// is ready, 503 with the reason while it is not or while shutting down.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writePlain(w, http.StatusServiceUnavailable, "shutting down\n")
		return
	}
	if err := s.core.Ready(); err != nil {
		writePlain(w, http.StatusServiceUnavailable, err.Error()+"\n")
		return
	}
	writePlain(w, http.StatusOK, "ok\n")
}

func writePlain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// requestIDHeader carries a request's id. A client may set it; otherwise
// the server assigns one. Handlers read it from the request and the
// response repeats it.
const requestIDHeader = "X-Request-Id"

// saneRequestID reports whether a client's request id may be kept, echoed
// and logged: 1 to 128 letters, digits and "-_.:/+=" (the native API's rule).
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

// requestIDs assigns request ids: a random per-process prefix and a counter.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	b := make([]byte, 4)
	rand.Read(b)
	return &requestIDs{prefix: hex.EncodeToString(b)}
}

func (ids *requestIDs) next() string {
	return ids.prefix + "-" + strconv.FormatUint(ids.n.Add(1), 36)
}

// observe gives every request an id, counts and times it in the HTTP
// metrics by API, action and status, and, when the logger is enabled at
// DEBUG, logs one line per request with its id, method, path, status and
// duration.
func (s *Server) observe(next http.Handler) http.Handler {
	ids := newRequestIDs()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !saneRequestID(id) {
			id = ids.next()
			r.Header.Set(requestIDHeader, id)
		}
		w.Header().Set(requestIDHeader, id)
		start := time.Now()
		labels := &metrics.Labels{API: apiOf(r.URL.Path)}
		r = r.WithContext(metrics.ContextWithLabels(r.Context(), labels))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		took := time.Since(start)
		if labels.Action == "" {
			// The innermost ServeMux's pattern, such as
			// "POST /v1/queues/{name}/messages": bounded, unlike the path.
			labels.Action = cmp.Or(r.Pattern, "unmatched")
		}
		s.httpm.Observe(labels.API, labels.Action, rec.status(), took)
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelDebug, "request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("action", labels.Action),
				slog.Int("status", rec.status()),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", took),
			)
		}
	})
}

// apiOf names the interface a request path belongs to, for metrics. AWS
// requests, which share "/" and queue URLs, are named later by their
// handlers.
func apiOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/v1/"):
		return "native"
	case strings.HasPrefix(path, "/ui/") || path == "/":
		return "dashboard"
	case path == "/metrics":
		return "metrics"
	case path == "/healthz" || path == "/readyz":
		return "health"
	default:
		return "other"
	}
}

// statusRecorder remembers the status and size of a response. Unwrap lets
// http.ResponseController reach the underlying writer's Flush and deadlines.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if r.code == 0 {
			r.code = http.StatusOK
		}
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// status returns the status sent, or 200 when the handler wrote nothing.
func (r *statusRecorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
