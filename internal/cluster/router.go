package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/wire"
)

// ForwardedHeader marks a request one node forwarded to another. A node
// never forwards such a request again, so that two nodes that disagree
// about an owner for a moment cannot bounce it between them.
const ForwardedHeader = "Sluice-Forwarded"

type forwardedKey struct{}

// WithForwarded returns ctx marked as the context of a request another node
// forwarded; HTTP servers set it for requests carrying ForwardedHeader.
func WithForwarded(ctx context.Context) context.Context {
	return context.WithValue(ctx, forwardedKey{}, true)
}

func forwarded(ctx context.Context) bool {
	v, _ := ctx.Value(forwardedKey{}).(bool)
	return v
}

// Router gives the whole cluster the methods of one engine: a request
// about a queue or topic runs on this node's engine when the node serves
// its partition, and is otherwise forwarded over the native API to the
// node that does. Listings gather every partition. While a partition has no
// owner (during a takeover), requests about it fail with
// sluice.ErrUnavailable, which clients retry. Create it with NewRouter.
type Router struct {
	n    *Node
	http *http.Client

	mu     sync.Mutex // guards owners
	owners map[int]ownerEntry
}

type ownerEntry struct {
	node, addr string
	at         time.Time
}

// NewRouter returns a Router over n.
func NewRouter(n *Node) *Router {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	r := &Router{n: n, owners: make(map[int]ownerEntry)}
	r.http = &http.Client{Transport: forwardingTransport{base: tr, forget: r.forget}}
	return r
}

// forget drops the cached owners at addr, which could not be reached.
func (r *Router) forget(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, o := range r.owners {
		if o.addr == addr {
			delete(r.owners, p)
		}
	}
}

// forwardingTransport adds ForwardedHeader to every request, and turns a
// failure to reach the owner into the API's 503 unavailable answer (which
// clients retry) after forgetting that owner.
type forwardingTransport struct {
	base   http.RoundTripper
	forget func(addr string)
}

func (t forwardingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(ForwardedHeader, "1")
	resp, err := t.base.RoundTrip(r)
	if err == nil || r.Context().Err() != nil {
		return resp, err
	}
	t.forget(r.URL.Host)
	body, _ := json.Marshal(wire.ErrorResponse{Error: wire.ErrorBody{
		Code:    wire.CodeUnavailable,
		Message: fmt.Sprintf("the partition's owner at %s cannot be reached: %v", r.URL.Host, err),
	}})
	return &http.Response{
		Status:        "503 Service Unavailable",
		StatusCode:    http.StatusServiceUnavailable,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// target is where a partition's requests go: a local engine or a client
// of the owner.
type target struct {
	eng    *engine.Engine
	remote *client.Client
}

// route returns the target for partition p.
func (r *Router) route(ctx context.Context, p int) (target, error) {
	if eng, err := r.n.Engine(p); err == nil {
		return target{eng: eng}, nil
	}
	if forwarded(ctx) {
		return target{}, fmt.Errorf("%w: partition %d is moving to another node", sluice.ErrUnavailable, p)
	}
	o, err := r.owner(ctx, p)
	if err != nil {
		return target{}, err
	}
	if o.node == r.n.cfg.NodeID || o.addr == "" {
		// Ours but not serving yet (replaying), or an owner nobody can reach.
		return target{}, fmt.Errorf("%w: partition %d is being taken over", sluice.ErrUnavailable, p)
	}
	return target{remote: client.New("http://"+o.addr, client.WithHTTPClient(r.http))}, nil
}

// owner returns partition p's owner, cached for a renewal period.
func (r *Router) owner(ctx context.Context, p int) (ownerEntry, error) {
	r.mu.Lock()
	o, ok := r.owners[p]
	r.mu.Unlock()
	if ok && time.Since(o.at) < r.n.renew {
		return o, nil
	}
	e, err := r.n.kv.Get(ctx, partitionKey(p))
	if err != nil {
		return ownerEntry{}, fmt.Errorf("%w: partition %d has no owner: %v", sluice.ErrUnavailable, p, err)
	}
	var l lease
	if err := json.Unmarshal(e.Value(), &l); err != nil {
		return ownerEntry{}, fmt.Errorf("partition %d lease: %w", p, err)
	}
	o = ownerEntry{node: l.Node, addr: l.Addr, at: time.Now()}
	r.mu.Lock()
	r.owners[p] = o
	r.mu.Unlock()
	return o, nil
}

// on returns the target for the named queue or topic.
func (r *Router) on(ctx context.Context, name string) (target, error) {
	return r.route(ctx, r.n.Partition(name))
}

// Ready returns nil: a node can always accept requests, and answers
// sluice.ErrUnavailable for partitions that are moving.
func (r *Router) Ready() error { return nil }

func (r *Router) CreateQueue(ctx context.Context, cfg sluice.QueueConfig) (sluice.QueueConfig, bool, error) {
	if err := r.checkQueuePlacement(cfg.Name, cfg.DeadLetter); err != nil {
		return sluice.QueueConfig{}, false, err
	}
	t, err := r.on(ctx, cfg.Name)
	if err != nil {
		return sluice.QueueConfig{}, false, err
	}
	if t.eng != nil {
		return t.eng.CreateQueue(ctx, cfg)
	}
	q, err := t.remote.CreateQueue(ctx, cfg)
	return q, err == nil && q.CreatedAt.Equal(q.UpdatedAt), err
}

func (r *Router) GetQueue(ctx context.Context, name string) (sluice.QueueConfig, error) {
	t, err := r.on(ctx, name)
	if err != nil {
		return sluice.QueueConfig{}, err
	}
	if t.eng != nil {
		return t.eng.GetQueue(ctx, name)
	}
	return t.remote.GetQueue(ctx, name)
}

func (r *Router) UpdateQueue(ctx context.Context, name string, u sluice.QueueUpdate) (sluice.QueueConfig, error) {
	if err := r.checkQueuePlacement(name, u.DeadLetter); err != nil {
		return sluice.QueueConfig{}, err
	}
	t, err := r.on(ctx, name)
	if err != nil {
		return sluice.QueueConfig{}, err
	}
	if t.eng != nil {
		return t.eng.UpdateQueue(ctx, name, u)
	}
	return t.remote.UpdateQueue(ctx, name, u)
}

func (r *Router) TagQueue(ctx context.Context, name string, tags map[string]string) error {
	t, err := r.on(ctx, name)
	if err != nil {
		return err
	}
	if t.eng != nil {
		return t.eng.TagQueue(ctx, name, tags)
	}
	return t.remote.TagQueue(ctx, name, tags)
}

func (r *Router) UntagQueue(ctx context.Context, name string, keys []string) error {
	t, err := r.on(ctx, name)
	if err != nil {
		return err
	}
	if t.eng != nil {
		return t.eng.UntagQueue(ctx, name, keys)
	}
	return t.remote.UntagQueue(ctx, name, keys)
}

func (r *Router) DeleteQueue(ctx context.Context, name string) error {
	t, err := r.on(ctx, name)
	if err != nil {
		return err
	}
	if t.eng != nil {
		return t.eng.DeleteQueue(ctx, name)
	}
	return t.remote.DeleteQueue(ctx, name)
}

func (r *Router) PurgeQueue(ctx context.Context, name string) (int, error) {
	t, err := r.on(ctx, name)
	if err != nil {
		return 0, err
	}
	if t.eng != nil {
		return t.eng.PurgeQueue(ctx, name)
	}
	return t.remote.PurgeQueue(ctx, name)
}

func (r *Router) Send(ctx context.Context, queue string, msgs []sluice.SendInput) ([]sluice.SendResult, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return nil, err
	}
	if t.eng != nil {
		return t.eng.Send(ctx, queue, msgs)
	}
	return t.remote.SendBatch(ctx, queue, msgs)
}

// Receive receives from queue on its owner. A long poll that the owner
// cannot finish because the partition is moving (the engine stopped, the
// owner is unreachable, shuts down or has no successor yet) is retried on the new owner
// until its wait time is up, so that it survives an ownership move; it then
// returns no messages. Receives have no effect when they fail, so retrying
// is safe.
func (r *Router) Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error) {
	var deadline time.Time
	if opts.WaitTime != nil {
		deadline = time.Now().Add(*opts.WaitTime)
	}
	for {
		msgs, err := r.receiveOnce(ctx, queue, opts)
		// A long poll ends empty before its wait time only when its server
		// shuts down: that is a move too.
		endedEarly := err == nil && len(msgs) == 0 && !deadline.IsZero() && time.Until(deadline) > 100*time.Millisecond
		moving := endedEarly || errors.Is(err, sluice.ErrClosed) || errors.Is(err, sluice.ErrUnavailable)
		if !moving || deadline.IsZero() || ctx.Err() != nil {
			return msgs, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		select {
		case <-time.After(min(left, r.n.renew)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if left = time.Until(deadline); left <= 0 {
			return nil, nil
		}
		opts.WaitTime = &left
	}
}

func (r *Router) receiveOnce(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return nil, err
	}
	if t.eng != nil {
		return t.eng.Receive(ctx, queue, opts)
	}
	return t.remote.Receive(ctx, queue, opts)
}

func (r *Router) Ack(ctx context.Context, queue string, receipts []string) ([]error, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return nil, err
	}
	if t.eng != nil {
		return t.eng.Ack(ctx, queue, receipts)
	}
	return t.remote.AckBatch(ctx, queue, receipts)
}

func (r *Router) ChangeVisibility(ctx context.Context, queue string, changes []sluice.VisibilityChange) ([]error, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return nil, err
	}
	if t.eng != nil {
		return t.eng.ChangeVisibility(ctx, queue, changes)
	}
	return t.remote.ChangeVisibilityBatch(ctx, queue, changes)
}

func (r *Router) Stats(ctx context.Context, queue string) (sluice.QueueStats, error) {
	t, err := r.on(ctx, queue)
	if err != nil {
		return sluice.QueueStats{}, err
	}
	if t.eng != nil {
		return t.eng.Stats(ctx, queue)
	}
	return t.remote.Stats(ctx, queue)
}

func (r *Router) Redrive(ctx context.Context, queue string, opts sluice.RedriveOptions) (int, error) {
	// Without a destination, messages return to their source queues,
	// which share the dead-letter queue's partition (checkQueuePlacement).
	if err := r.colocated("destination", queue, opts.Destination); err != nil {
		return 0, err
	}
	t, err := r.on(ctx, queue)
	if err != nil {
		return 0, err
	}
	if t.eng != nil {
		return t.eng.Redrive(ctx, queue, opts)
	}
	return t.remote.Redrive(ctx, queue, opts)
}

func (r *Router) CreateTopic(ctx context.Context, cfg sluice.TopicConfig) (sluice.TopicConfig, bool, error) {
	t, err := r.on(ctx, cfg.Name)
	if err != nil {
		return sluice.TopicConfig{}, false, err
	}
	if t.eng != nil {
		return t.eng.CreateTopic(ctx, cfg)
	}
	tc, err := t.remote.CreateTopic(ctx, cfg)
	return tc, err == nil && tc.CreatedAt.Equal(tc.UpdatedAt), err
}

func (r *Router) GetTopic(ctx context.Context, name string) (sluice.TopicConfig, error) {
	t, err := r.on(ctx, name)
	if err != nil {
		return sluice.TopicConfig{}, err
	}
	if t.eng != nil {
		return t.eng.GetTopic(ctx, name)
	}
	return t.remote.GetTopic(ctx, name)
}

func (r *Router) UpdateTopic(ctx context.Context, name string, u sluice.TopicUpdate) (sluice.TopicConfig, error) {
	t, err := r.on(ctx, name)
	if err != nil {
		return sluice.TopicConfig{}, err
	}
	if t.eng != nil {
		return t.eng.UpdateTopic(ctx, name, u)
	}
	return t.remote.UpdateTopic(ctx, name, u)
}

func (r *Router) TagTopic(ctx context.Context, name string, tags map[string]string) error {
	t, err := r.on(ctx, name)
	if err != nil {
		return err
	}
	if t.eng != nil {
		return t.eng.TagTopic(ctx, name, tags)
	}
	return t.remote.TagTopic(ctx, name, tags)
}

func (r *Router) UntagTopic(ctx context.Context, name string, keys []string) error {
	t, err := r.on(ctx, name)
	if err != nil {
		return err
	}
	if t.eng != nil {
		return t.eng.UntagTopic(ctx, name, keys)
	}
	return t.remote.UntagTopic(ctx, name, keys)
}

func (r *Router) DeleteTopic(ctx context.Context, name string) error {
	t, err := r.on(ctx, name)
	if err != nil {
		return err
	}
	if t.eng != nil {
		return t.eng.DeleteTopic(ctx, name)
	}
	return t.remote.DeleteTopic(ctx, name)
}

func (r *Router) Publish(ctx context.Context, topic string, msgs []sluice.PublishInput) ([]sluice.PublishResult, error) {
	t, err := r.on(ctx, topic)
	if err != nil {
		return nil, err
	}
	if t.eng != nil {
		return t.eng.Publish(ctx, topic, msgs)
	}
	return t.remote.PublishBatch(ctx, topic, msgs)
}

func (r *Router) Subscribe(ctx context.Context, s sluice.Subscription) (sluice.Subscription, error) {
	if err := r.checkSubscriptionPlacement(s); err != nil {
		return sluice.Subscription{}, err
	}
	t, err := r.on(ctx, s.Topic)
	if err != nil {
		return sluice.Subscription{}, err
	}
	if t.eng != nil {
		return t.eng.Subscribe(ctx, s)
	}
	return t.remote.Subscribe(ctx, s)
}

func (r *Router) ConfirmSubscription(ctx context.Context, topic, token string) (sluice.Subscription, error) {
	t, err := r.on(ctx, topic)
	if err != nil {
		return sluice.Subscription{}, err
	}
	if t.eng != nil {
		return t.eng.ConfirmSubscription(ctx, topic, token)
	}
	return t.remote.ConfirmSubscription(ctx, topic, token)
}

// onSubscription returns the target for a subscription id, which starts
// with its topic's name.
func (r *Router) onSubscription(ctx context.Context, id string) (target, error) {
	topic, _, ok := strings.Cut(id, "/")
	if !ok || topic == "" {
		return target{}, fmt.Errorf("%w: %q", sluice.ErrSubscriptionNotFound, id)
	}
	return r.on(ctx, topic)
}

func (r *Router) UpdateSubscription(ctx context.Context, id string, u sluice.SubscriptionUpdate) (sluice.Subscription, error) {
	if topic, _, _ := strings.Cut(id, "/"); u.DeadLetterQueue != nil {
		if err := r.colocated("dead_letter_queue", topic, *u.DeadLetterQueue); err != nil {
			return sluice.Subscription{}, err
		}
	}
	t, err := r.onSubscription(ctx, id)
	if err != nil {
		return sluice.Subscription{}, err
	}
	if t.eng != nil {
		return t.eng.UpdateSubscription(ctx, id, u)
	}
	return t.remote.UpdateSubscription(ctx, id, u)
}

func (r *Router) Unsubscribe(ctx context.Context, id string) error {
	t, err := r.onSubscription(ctx, id)
	if err != nil {
		return err
	}
	if t.eng != nil {
		return t.eng.Unsubscribe(ctx, id)
	}
	return t.remote.Unsubscribe(ctx, id)
}

func (r *Router) GetSubscription(ctx context.Context, id string) (sluice.Subscription, error) {
	t, err := r.onSubscription(ctx, id)
	if err != nil {
		return sluice.Subscription{}, err
	}
	if t.eng != nil {
		return t.eng.GetSubscription(ctx, id)
	}
	return t.remote.GetSubscription(ctx, id)
}

// gather runs list on every partition this node serves and, unless the
// request was itself forwarded, once on each other owner (which answers
// for the partitions it serves), then merges the results in key order,
// keeping at most limit. A partition without an owner fails the listing
// with sluice.ErrUnavailable rather than leave it out silently.
func gather[T any](ctx context.Context, r *Router, limit int, key func(T) string,
	local func(*engine.Engine) ([]T, error), remote func(*client.Client) ([]T, error)) ([]T, error) {
	var all []T
	asked := make(map[string]bool) // owners' addresses already asked
	for p := range r.n.cfg.Partitions {
		var items []T
		if eng, err := r.n.Engine(p); err == nil {
			if items, err = local(eng); err != nil {
				return nil, err
			}
		} else if !forwarded(ctx) {
			o, err := r.owner(ctx, p)
			if err == nil && asked[o.addr] {
				continue
			}
			t, err := r.route(ctx, p)
			if err != nil {
				return nil, err
			}
			asked[o.addr] = true
			if items, err = remote(t.remote); err != nil {
				return nil, err
			}
		}
		all = append(all, items...)
	}
	slices.SortFunc(all, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// maxPage is the largest page the native API lists.
const maxPage = 1000

// pages lists an owner's items page by page, as the native API caps a page
// at maxPage: until it has limit items (1000, as the engine, when limit is
// not positive) or the owner has no more. list returns a page and the
// cursor of the next.
func pages[T any](limit int, after string, list func(after string, limit int) ([]T, string, error)) ([]T, error) {
	if limit <= 0 {
		limit = maxPage
	}
	var out []T
	for {
		items, next, err := list(after, min(limit-len(out), maxPage))
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" || len(out) >= limit {
			return out, nil
		}
		after = next
	}
}

func (r *Router) ListQueues(ctx context.Context, prefix, after string, limit int) ([]sluice.QueueConfig, error) {
	return gather(ctx, r, limit, func(q sluice.QueueConfig) string { return q.Name },
		func(e *engine.Engine) ([]sluice.QueueConfig, error) { return e.ListQueues(ctx, prefix, after, limit) },
		func(c *client.Client) ([]sluice.QueueConfig, error) {
			return pages(limit, after, func(after string, limit int) ([]sluice.QueueConfig, string, error) {
				page, err := c.ListQueues(ctx, client.ListOptions{Prefix: prefix, After: after, Limit: limit})
				return page.Queues, page.Next, err
			})
		})
}

func (r *Router) ListTopics(ctx context.Context, prefix, after string, limit int) ([]sluice.TopicConfig, error) {
	return gather(ctx, r, limit, func(t sluice.TopicConfig) string { return t.Name },
		func(e *engine.Engine) ([]sluice.TopicConfig, error) { return e.ListTopics(ctx, prefix, after, limit) },
		func(c *client.Client) ([]sluice.TopicConfig, error) {
			return pages(limit, after, func(after string, limit int) ([]sluice.TopicConfig, string, error) {
				page, err := c.ListTopics(ctx, client.ListOptions{Prefix: prefix, After: after, Limit: limit})
				return page.Topics, page.Next, err
			})
		})
}

func (r *Router) ListSubscriptions(ctx context.Context, topic, after string, limit int) ([]sluice.Subscription, error) {
	if topic != "" {
		t, err := r.on(ctx, topic)
		if err != nil {
			return nil, err
		}
		if t.eng != nil {
			return t.eng.ListSubscriptions(ctx, topic, after, limit)
		}
		return pages(limit, after, func(after string, limit int) ([]sluice.Subscription, string, error) {
			page, err := t.remote.ListSubscriptions(ctx, topic, client.ListOptions{After: after, Limit: limit})
			return page.Subscriptions, page.Next, err
		})
	}
	return gather(ctx, r, limit, func(s sluice.Subscription) string { return s.ID },
		func(e *engine.Engine) ([]sluice.Subscription, error) {
			return e.ListSubscriptions(ctx, "", after, limit)
		},
		func(c *client.Client) ([]sluice.Subscription, error) {
			return pages(limit, after, func(after string, limit int) ([]sluice.Subscription, string, error) {
				page, err := c.ListSubscriptions(ctx, "", client.ListOptions{After: after, Limit: limit})
				return page.Subscriptions, page.Next, err
			})
		})
}
