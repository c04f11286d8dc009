package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP counts and times the requests the server answers, by API, action
// and status. Create it with NewHTTP and call Observe once per request.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewHTTP returns the HTTP request metrics.
func NewHTTP() *HTTP {
	return &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by API (native, sqs, sns, dashboard, metrics, health, other), action and status code.",
		}, []string{"api", "action", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, long polls included, by API and action.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20},
		}, []string{"api", "action"}),
	}
}

// Observe records one answered request. action must come from a bounded
// set, such as the router's pattern or a protocol's action name, never
// from a raw path.
func (m *HTTP) Observe(api, action string, status int, d time.Duration) {
	m.requests.WithLabelValues(api, action, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(api, action).Observe(d.Seconds())
}

// Describe implements prometheus.Collector.
func (m *HTTP) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.duration.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *HTTP) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
}

// Labels are a request's API and action labels. The server's middleware
// puts a Labels in each request's context; a handler that knows better
// than the route pattern (the SQS and SNS handlers, which route by
// X-Amz-Target or the Action parameter) sets them with SetLabels.
type Labels struct {
	API, Action string
}

type labelsKey struct{}

// ContextWithLabels returns ctx carrying l.
func ContextWithLabels(ctx context.Context, l *Labels) context.Context {
	return context.WithValue(ctx, labelsKey{}, l)
}

// SetLabels sets the API and action of the request whose context is ctx;
// an empty value leaves that label alone. It does nothing outside a
// request served through the middleware.
func SetLabels(ctx context.Context, api, action string) {
	l, _ := ctx.Value(labelsKey{}).(*Labels)
	if l == nil {
		return
	}
	if api != "" {
		l.API = api
	}
	if action != "" {
		l.Action = action
	}
}
