// Package push delivers HTTP and HTTPS subscriptions: it is the transport
// between a subscription's hidden queue in the engine and its endpoint. The
// engine knows nothing of HTTP; it only keeps one queue per HTTP
// subscription (engine.PushTarget), and a Worker drains those queues with
// ordinary leases.
//
// # Delivery
//
// Each message is POSTed to the endpoint as Amazon SNS sends it: the body is
// the SNS JSON envelope (or the published body alone for raw subscriptions),
// with Content-Type "text/plain; charset=UTF-8" and the x-amz-sns-* headers.
// A SubscriptionConfirmation gets a SubscribeURL pointing at the server's
// native API, which confirms the subscription when fetched. Any 2xx
// response acknowledges the message; every other outcome — another status,
// a redirect to another host, a timeout (DeliveryPolicy.Timeout per
// request) or a connection error — is a failed attempt. Delivery is at
// least once: a crash between the response and the ack repeats a message.
//
// # Retries
//
// Attempt n is the message's n-th receive from the hidden queue, so the
// count survives restarts. After failed attempt n < MaxAttempts the message
// is hidden for a backoff with "equal jitter": the exponential delay
// d = MinBackoff·2^(n-1), capped at MaxBackoff, of which half is fixed and
// half random, so the wait lies in [d/2, d]. It never exceeds MaxBackoff and
// retries of many messages that failed together spread out.
//
// After failed attempt MaxAttempts the message has exhausted its attempts.
// If the subscription has a dead-letter queue, the message is made visible
// at once and the hidden queue's dead-letter policy (MaxReceives =
// MaxAttempts) moves it there on the next receive, with its attributes and
// receive count. Without one it is acknowledged and dropped, with a WARN
// log naming the subscription, message, attempts and last error. If the move
// fails (the dead-letter queue was deleted through the SQS API), the
// message is delivered again and, failing, retried every MaxBackoff.
//
// DeliveryPolicy.MaxRate caps deliveries per second per subscription with a
// token bucket holding one token: requests start at least 1/MaxRate apart.
//
// # Lifetimes
//
// Worker.Run lists the targets every PollInterval and runs one goroutine
// per target, started when a target appears and stopped when it goes. A
// retired target (its subscription was deleted) is still drained; once its
// queue is empty Run deletes the queue and stops its goroutine.
package push

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

// Engine is what a Worker needs of the engine.
type Engine interface {
	PushTargets(ctx context.Context) ([]engine.PushTarget, error)
	Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error)
	Ack(ctx context.Context, queue string, receipts []string) ([]error, error)
	ChangeVisibility(ctx context.Context, queue string, changes []sluice.VisibilityChange) ([]error, error)
	RemoveDrainedPushQueue(ctx context.Context, name string) (bool, error)
}

var _ Engine = (*engine.Engine)(nil)

// Defaults applied by New to zero Options fields.
const (
	DefaultPollInterval = time.Second
	// DefaultWaitTime is how long a target's receive long-polls its queue.
	DefaultWaitTime = 5 * time.Second
)

const (
	// leaseMargin is added to DeliveryPolicy.Timeout for a received batch's
	// lease: it covers waiting for the rate limit and the ack after the
	// request, so that a message is never received twice at once.
	leaseMargin = 5 * time.Second
	// maxBatch is the most messages a target receives and sends at once.
	maxBatch = 10
	// errorPause is how long a target waits after the engine failed a
	// receive before trying again.
	errorPause = time.Second
	// settleTimeout bounds the ack or visibility change that follows a
	// request, which runs even while the worker stops so that a delivered
	// message is not delivered again.
	settleTimeout = 5 * time.Second
	// maxRedirects is how many redirects to the same host the default
	// client follows.
	maxRedirects = 3
)

// Options configures a Worker. A zero field means the default.
type Options struct {
	// HTTPClient sends the deliveries (default NewHTTPClient()). Its own
	// Timeout, if any, applies on top of each subscription's Timeout.
	HTTPClient *http.Client
	// Logger receives the worker's logs (default: discarded).
	Logger *slog.Logger
	// BaseURL is the server's public base URL, such as
	// "http://127.0.0.1:9324": confirmation requests point endpoints at
	// BaseURL + "/v1/topics/{topic}/confirm?token=…".
	BaseURL string
	// PollInterval is how often Run looks for new, changed and retired
	// targets (default 1s).
	PollInterval time.Duration
	// WaitTime is how long a target long-polls its queue (default 5s).
	WaitTime time.Duration
	// Rand returns a uniform random number in [0, 1) for backoff jitter
	// (default math/rand/v2.Float64). It must be safe for concurrent use.
	Rand func() float64
}

// NewHTTPClient returns the default delivery client: it uses no proxy,
// bounds connecting and TLS handshakes to 10 seconds, keeps a few idle
// connections per endpoint, and follows at most 3 redirects, all to the
// host of the original request; a redirect elsewhere is returned as the
// response, which fails the attempt. Request timeouts come from each
// subscription's DeliveryPolicy.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   maxBatch,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects || req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// Worker pushes the messages of every HTTP subscription to its endpoint.
// Create it with New and run it with Run.
type Worker struct {
	e     Engine
	opts  Options
	log   *slog.Logger
	stats stats
}

// New returns a worker delivering the push targets of e.
func New(e Engine, opts Options) *Worker {
	opts.PollInterval = cmp.Or(opts.PollInterval, DefaultPollInterval)
	opts.WaitTime = cmp.Or(opts.WaitTime, DefaultWaitTime)
	if opts.HTTPClient == nil {
		opts.HTTPClient = NewHTTPClient()
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	return &Worker{e: e, opts: opts, log: cmp.Or(opts.Logger, slog.New(slog.DiscardHandler))}
}

// running is a target's goroutine as Run sees it.
type running struct {
	target atomic.Pointer[engine.PushTarget] // the latest listing of the target
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine returns
}

// Run delivers until ctx is done, then stops every target's goroutine,
// waits for them and returns nil. Requests in progress are cancelled;
// their messages are delivered again after their lease. Failures to list
// the targets are logged and retried at the next poll.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	targets := map[string]*running{} // by queue name; owned by this goroutine
	defer func() {
		for _, r := range targets {
			r.cancel()
		}
		wg.Wait()
	}()
	tick := time.NewTicker(w.opts.PollInterval)
	defer tick.Stop()
	for {
		w.refresh(ctx, &wg, targets)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// refresh lists the targets and brings the goroutines in line with them:
// new targets start, vanished ones stop, retired and drained ones have
// their queue deleted.
func (w *Worker) refresh(ctx context.Context, wg *sync.WaitGroup, targets map[string]*running) {
	list, err := w.e.PushTargets(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("push: cannot list subscriptions to deliver; retrying", "err", err)
		}
		return
	}
	seen := make(map[string]bool, len(list))
	for _, t := range list {
		seen[t.Queue] = true
		r := targets[t.Queue]
		if r != nil {
			select {
			case <-r.done: // stopped by itself: its queue went away
				delete(targets, t.Queue)
				r = nil
			default:
			}
		}
		if t.Retired && t.Pending == 0 {
			if r != nil {
				r.cancel()
				delete(targets, t.Queue)
			}
			w.retire(ctx, t)
			continue
		}
		if r != nil {
			r.target.Store(&t)
			continue
		}
		tctx, cancel := context.WithCancel(ctx)
		r = &running{cancel: cancel, done: make(chan struct{})}
		r.target.Store(&t)
		targets[t.Queue] = r
		w.log.Info("push: delivering subscription", "subscription", t.Subscription, "endpoint", redact(t.Endpoint), "queue", t.Queue)
		wg.Go(func() {
			defer close(r.done)
			w.deliverAll(tctx, r)
		})
	}
	for q, r := range targets {
		if !seen[q] {
			r.cancel()
			delete(targets, q)
		}
	}
}

// redact returns endpoint with any password in it masked, for logs.
func redact(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// retire deletes the drained queue of a deleted subscription. If messages
// arrived since the listing, the queue stays and is delivered at the next
// refresh.
func (w *Worker) retire(ctx context.Context, t engine.PushTarget) {
	removed, err := w.e.RemoveDrainedPushQueue(ctx, t.Queue)
	switch {
	case err == nil && !removed:
		w.log.Debug("push: a deleted subscription's queue got messages; delivering them first", "subscription", t.Subscription, "queue", t.Queue)
	case err == nil:
		w.log.Info("push: subscription deleted and drained; removed its queue", "subscription", t.Subscription, "queue", t.Queue)
	case ctx.Err() == nil:
		w.log.Warn("push: cannot remove the queue of a deleted subscription; retrying", "subscription", t.Subscription, "queue", t.Queue, "err", err)
	}
}
