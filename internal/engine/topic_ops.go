package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// CreateTopic creates a topic. Creating one that exists with the same
// attributes returns it with created false; with other attributes it fails
// with sluice.ErrTopicExists.
func (e *Engine) CreateTopic(ctx context.Context, cfg sluice.TopicConfig) (sluice.TopicConfig, bool, error) {
	if cfg.Type == "" {
		cfg.Type = sluice.Standard
		if strings.HasSuffix(cfg.Name, ".fifo") {
			cfg.Type = sluice.FIFO
		}
	}
	if cfg.Type != sluice.Standard && cfg.Type != sluice.FIFO {
		return sluice.TopicConfig{}, false, sluice.Invalid("type", "%q is not standard or fifo", cfg.Type)
	}
	if err := e.limits.ValidateQueueName(cfg.Name, cfg.Type); err != nil {
		return sluice.TopicConfig{}, false, err
	}
	if err := sluice.ValidateTopicConfig(cfg); err != nil {
		return sluice.TopicConfig{}, false, err
	}
	p := e.partitionFor(cfg.Name)
	type res struct {
		cfg     sluice.TopicConfig
		created bool
	}
	r, err := call(ctx, p, func(reply func(res, error)) {
		if err := e.writable(); err != nil {
			reply(res{}, err)
			return
		}
		if t := p.topics[cfg.Name]; t != nil {
			a, b := t.cfg, cfg
			a.CreatedAt, a.UpdatedAt = time.Time{}, time.Time{}
			if len(a.Tags) == 0 && len(b.Tags) == 0 {
				a.Tags, b.Tags = nil, nil
			}
			js1, _ := json.Marshal(topicToRec(a))
			js2, _ := json.Marshal(topicToRec(b))
			if string(js1) == string(js2) {
				durable(p, reply, res{cfg: cloneTopic(t.cfg)})
				return
			}
			reply(res{}, fmt.Errorf("%w: %s", sluice.ErrTopicExists, cfg.Name))
			return
		}
		now := time.Unix(0, p.now()).UTC()
		cfg.CreatedAt, cfg.UpdatedAt = now, now
		js, _ := json.Marshal(topicToRec(cfg))
		o := &op{typ: opTopicCreate, queue: p.nextQID + 1, js: js}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, res{cfg: cloneTopic(cfg), created: true})
	})
	return r.cfg, r.created, err
}

// GetTopic returns a topic's configuration or sluice.ErrTopicNotFound.
func (e *Engine) GetTopic(ctx context.Context, name string) (sluice.TopicConfig, error) {
	p := e.partitionFor(name)
	return call(ctx, p, func(reply func(sluice.TopicConfig, error)) {
		t, err := p.topic(name)
		if err != nil {
			reply(sluice.TopicConfig{}, err)
			return
		}
		reply(cloneTopic(t.cfg), nil)
	})
}

// ListTopics returns up to limit topics whose names start with prefix and
// sort after after, in name order.
func (e *Engine) ListTopics(ctx context.Context, prefix, after string, limit int) ([]sluice.TopicConfig, error) {
	if limit <= 0 {
		limit = 1000
	}
	var all []sluice.TopicConfig
	for _, p := range e.partitions {
		part, err := call(ctx, p, func(reply func([]sluice.TopicConfig, error)) {
			var out []sluice.TopicConfig
			for name, t := range p.topics {
				if strings.HasPrefix(name, prefix) && name > after {
					out = append(out, cloneTopic(t.cfg))
				}
			}
			reply(out, nil)
		})
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	slices.SortFunc(all, func(a, b sluice.TopicConfig) int { return strings.Compare(a.Name, b.Name) })
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// UpdateTopic changes the attributes u sets and returns the new config.
func (e *Engine) UpdateTopic(ctx context.Context, name string, u sluice.TopicUpdate) (sluice.TopicConfig, error) {
	err := e.modifyTopic(ctx, name, func(c *sluice.TopicConfig) {
		if u.ContentBasedDedup != nil {
			c.ContentBasedDedup = *u.ContentBasedDedup
		}
		for _, f := range []struct{ dst, src *string }{{&c.DisplayName, u.DisplayName}, {&c.Policy, u.Policy}, {&c.DeliveryPolicy, u.DeliveryPolicy}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
	})
	if err != nil {
		return sluice.TopicConfig{}, err
	}
	return e.GetTopic(ctx, name)
}

// TagTopic adds or replaces a topic's tags.
func (e *Engine) TagTopic(ctx context.Context, name string, tags map[string]string) error {
	return e.modifyTopic(ctx, name, func(c *sluice.TopicConfig) {
		if c.Tags == nil {
			c.Tags = map[string]string{}
		}
		for k, v := range tags {
			c.Tags[k] = v
		}
	})
}

// UntagTopic removes tags by key.
func (e *Engine) UntagTopic(ctx context.Context, name string, keys []string) error {
	return e.modifyTopic(ctx, name, func(c *sluice.TopicConfig) {
		for _, k := range keys {
			delete(c.Tags, k)
		}
		if len(c.Tags) == 0 {
			c.Tags = nil
		}
	})
}

func (e *Engine) modifyTopic(ctx context.Context, name string, change func(*sluice.TopicConfig)) error {
	p := e.partitionFor(name)
	_, err := call(ctx, p, func(reply func(struct{}, error)) {
		if err := e.writable(); err != nil {
			reply(struct{}{}, err)
			return
		}
		t, err := p.topic(name)
		if err != nil {
			reply(struct{}{}, err)
			return
		}
		cfg := cloneTopic(t.cfg)
		change(&cfg)
		if err := sluice.ValidateTopicConfig(cfg); err != nil {
			reply(struct{}{}, err)
			return
		}
		cfg.UpdatedAt = time.Unix(0, p.now()).UTC()
		js, _ := json.Marshal(topicToRec(cfg))
		o := &op{typ: opTopicUpdate, queue: t.id, js: js}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, struct{}{})
	})
	return err
}

// DeleteTopic deletes a topic and its subscriptions. Copies already made
// stay in their queues; an HTTP subscription's pending deliveries are still
// pushed before its hidden queue goes.
func (e *Engine) DeleteTopic(ctx context.Context, name string) error {
	p := e.partitionFor(name)
	pushQueues, err := call(ctx, p, func(reply func([]string, error)) {
		if err := e.writable(); err != nil {
			reply(nil, err)
			return
		}
		t, err := p.topic(name)
		if err != nil {
			reply(nil, err)
			return
		}
		var hidden []string
		for _, s := range t.subs {
			if s.cfg.Protocol != sluice.ProtocolQueue {
				hidden = append(hidden, s.queue)
			}
		}
		o := &op{typ: opTopicDelete, queue: t.id}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, hidden)
	})
	if err != nil {
		return err
	}
	for _, q := range pushQueues {
		e.retire(ctx, q)
	}
	return nil
}

// subscriptionTopic returns the topic named in a subscription id.
func subscriptionTopic(id string) (string, error) {
	topic, _, ok := strings.Cut(id, "/")
	if !ok || topic == "" {
		return "", fmt.Errorf("%w: %q", sluice.ErrSubscriptionNotFound, id)
	}
	return topic, nil
}

// Subscribe adds a subscription to a topic and returns it. Queue
// subscriptions are confirmed at once. HTTP subscriptions start
// unconfirmed, unless in.Confirmed is set by an operator: the endpoint is
// sent a confirmation request with a token, and receives messages once it
// confirms with ConfirmSubscription. Subscribing the same protocol and
// endpoint again returns the existing subscription.
func (e *Engine) Subscribe(ctx context.Context, in sluice.Subscription) (sluice.Subscription, error) {
	tc, err := e.GetTopic(ctx, in.Topic)
	if err != nil {
		return sluice.Subscription{}, err
	}
	if err := e.validateSubscription(ctx, tc, &in); err != nil {
		return sluice.Subscription{}, err
	}
	policy, err := compilePolicy(in.FilterPolicy, in.FilterScope)
	if err != nil {
		return sluice.Subscription{}, err
	}
	if existing, err := e.findSubscription(ctx, in.Topic, in.Protocol, in.Endpoint); err != nil || existing != nil {
		if err != nil {
			return sluice.Subscription{}, err
		}
		if !sameSubscription(*existing, in) {
			return sluice.Subscription{}, sluice.Invalid("endpoint", "is already subscribed to %s with different attributes (%s)", in.Topic, existing.ID)
		}
		return *existing, nil
	}
	// The id's hex part starts with the creation time, so that id order is
	// creation order and listings page by id.
	uid := fmt.Sprintf("%016x", uint64(e.nextIDStamp())) + randomHex(8)
	in.ID = in.Topic + "/" + uid
	s := &subscription{cfg: in, queue: in.Endpoint, policy: policy}
	if in.Protocol != sluice.ProtocolQueue {
		s.queue = "~push." + uid
		if !in.Confirmed {
			s.token = randomHex(32)
		}
		if err := e.createPushQueue(ctx, s, tc.Name); err != nil {
			return sluice.Subscription{}, err
		}
	}
	p := e.partitionFor(in.Topic)
	out, err := call(ctx, p, func(reply func(sluice.Subscription, error)) {
		if err := e.writable(); err != nil {
			reply(sluice.Subscription{}, err)
			return
		}
		t, err := p.topic(in.Topic)
		if err != nil {
			reply(sluice.Subscription{}, err)
			return
		}
		s.cfg.CreatedAt = time.Unix(0, p.now()).UTC()
		js, _ := json.Marshal(s.rec())
		o := &op{typ: opSubscribe, queue: t.id, js: js}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, s.cfg)
	})
	if err != nil && s.queue != in.Endpoint {
		e.retire(context.WithoutCancel(ctx), s.queue)
	}
	return out, err
}

// sameSubscription reports whether a new subscription asks for what an
// existing one of the same endpoint already has, as SNS checks before
// returning the existing one.
func sameSubscription(a, b sluice.Subscription) bool {
	scope := func(s string) string {
		if s == "" {
			return sluice.ScopeAttributes
		}
		return s
	}
	return a.FilterPolicy == b.FilterPolicy && scope(a.FilterScope) == scope(b.FilterScope) && a.Raw == b.Raw &&
		a.Delivery == b.Delivery && a.DeadLetterQueue == b.DeadLetterQueue
}

// nextIDStamp returns the current time in nanoseconds, or one more than the
// last stamp it returned if the clock has not moved past it, so that ids made
// in one process sort in creation order even under a coarse or fixed clock.
func (e *Engine) nextIDStamp() int64 {
	for {
		last := e.idStamp.Load()
		next := max(e.now().UnixNano(), last+1)
		if e.idStamp.CompareAndSwap(last, next) {
			return next
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (e *Engine) findSubscription(ctx context.Context, topicName string, proto sluice.Protocol, endpoint string) (*sluice.Subscription, error) {
	p := e.partitionFor(topicName)
	return call(ctx, p, func(reply func(*sluice.Subscription, error)) {
		t, err := p.topic(topicName)
		if err != nil {
			reply(nil, err)
			return
		}
		for _, s := range t.subs {
			if s.cfg.Protocol == proto && s.cfg.Endpoint == endpoint {
				c := s.cfg
				reply(&c, nil)
				return
			}
		}
		reply(nil, nil)
	})
}

// validateSubscription checks a new subscription and fills in defaults.
func (e *Engine) validateSubscription(ctx context.Context, tc sluice.TopicConfig, in *sluice.Subscription) error {
	switch in.Protocol {
	case sluice.ProtocolQueue:
		q, err := e.GetQueue(ctx, in.Endpoint)
		if err != nil || internalName(in.Endpoint) {
			return sluice.Invalid("endpoint", "queue %q does not exist", in.Endpoint)
		}
		if q.Type != tc.Type {
			return sluice.Invalid("endpoint", "a %s topic delivers to %s queues, and %s is %s", tc.Type, tc.Type, q.Name, q.Type)
		}
		if in.DeadLetterQueue != "" || in.Delivery != (sluice.DeliveryPolicy{}) {
			return sluice.Invalid("delivery", "delivery policies and dead-letter queues apply to HTTP subscriptions only")
		}
		in.Confirmed = true
	case sluice.ProtocolHTTP, sluice.ProtocolHTTPS:
		if tc.Type == sluice.FIFO {
			return sluice.Invalid("protocol", "FIFO topics deliver to FIFO queues only")
		}
		u, err := url.Parse(in.Endpoint)
		if err != nil || u.Scheme != string(in.Protocol) || u.Host == "" {
			return sluice.Invalid("endpoint", "must be an absolute %s URL", in.Protocol)
		}
		in.Delivery = in.Delivery.WithDefaults()
		d := in.Delivery
		switch {
		case d.MaxAttempts < 1 || d.MaxAttempts > 100:
			return sluice.Invalid("delivery.max_attempts", "%d is outside 1 to 100", d.MaxAttempts)
		case d.MinBackoff < 0:
			return sluice.Invalid("delivery.min_backoff", "must not be negative")
		case d.MaxBackoff < d.MinBackoff || d.MaxBackoff > time.Hour:
			return sluice.Invalid("delivery.max_backoff", "%v is outside min_backoff (%v) to 1h", d.MaxBackoff, d.MinBackoff)
		case d.Timeout < 0 || d.Timeout > 5*time.Minute:
			return sluice.Invalid("delivery.timeout", "%v is outside 0 to 5m", d.Timeout)
		case d.MaxRate < 0:
			return sluice.Invalid("delivery.max_rate", "must not be negative")
		}
		if in.DeadLetterQueue != "" {
			q, err := e.GetQueue(ctx, in.DeadLetterQueue)
			if err != nil || internalName(q.Name) || q.Type != sluice.Standard {
				return sluice.Invalid("dead_letter_queue", "must name an existing standard queue")
			}
		}
	default:
		return sluice.Invalid("protocol", "%q is not queue, http or https", in.Protocol)
	}
	if in.FilterScope != "" && in.FilterScope != sluice.ScopeAttributes && in.FilterScope != sluice.ScopeBody {
		return sluice.Invalid("filter_scope", "%q is not %s or %s", in.FilterScope, sluice.ScopeAttributes, sluice.ScopeBody)
	}
	return nil
}

// compareIDs orders subscription ids by topic, then by their hex part.
func compareIDs(a, b string) int {
	at, ar, _ := strings.Cut(a, "/")
	bt, br, _ := strings.Cut(b, "/")
	if c := strings.Compare(at, bt); c != 0 {
		return c
	}
	return strings.Compare(ar, br)
}

// createPushQueue creates the hidden queue of an HTTP subscription and, if
// it is unconfirmed, puts the confirmation request first in it.
func (e *Engine) createPushQueue(ctx context.Context, s *subscription, topicName string) error {
	d := s.cfg.Delivery
	cfg := e.limits.QueueDefaults(sluice.QueueConfig{Name: s.queue, VisibilityTimeout: d.Timeout + 5*time.Second})
	if s.cfg.DeadLetterQueue != "" {
		cfg.DeadLetter = &sluice.DeadLetterPolicy{Queue: s.cfg.DeadLetterQueue, MaxReceives: d.MaxAttempts}
	}
	push := &pushRec{
		Sub: s.cfg.ID, Topic: topicName, Endpoint: s.cfg.Endpoint, Raw: s.cfg.Raw, MaxAttempts: d.MaxAttempts,
		MinBackoff: d.MinBackoff, MaxBackoff: d.MaxBackoff, Timeout: d.Timeout, MaxRate: d.MaxRate,
	}
	p := e.partitionFor(s.queue)
	_, err := call(ctx, p, func(reply func(struct{}, error)) {
		if err := e.writable(); err != nil {
			reply(struct{}{}, err)
			return
		}
		now := p.now()
		cfg.CreatedAt, cfg.UpdatedAt = time.Unix(0, now).UTC(), time.Unix(0, now).UTC()
		var confirmID [16]byte
		if s.token != "" {
			confirmID = p.newID()
			push.Confirm = formatID(confirmID)
		}
		o := &op{typ: opQueueCreate, queue: p.nextQID + 1, config: configToRec(cfg)}
		o.config.Push = push
		p.apply(o, now)
		p.log(o)
		if s.token != "" {
			doc := notificationDoc{
				Type: "SubscriptionConfirmation", MessageID: push.Confirm, Token: s.token,
				TopicArn: e.topicARN(topicName),
				Message: fmt.Sprintf("You have chosen to subscribe to the topic %s. To confirm the subscription, visit the SubscribeURL included in this message.",
					e.topicARN(topicName)),
				Timestamp: time.Unix(0, now).UTC().Format("2006-01-02T15:04:05.000Z"), SignatureVersion: "1",
			}
			body, _ := json.Marshal(doc)
			p.commitSend(p.queues[s.queue], msgRec{id: confirmID, sentAt: now, visible: now, body: body}, now)
		}
		durable(p, reply, struct{}{})
	})
	return err
}

// retire marks a push queue whose subscription is gone: the push worker
// delivers what it holds and then deletes it.
func (e *Engine) retire(ctx context.Context, queue string) {
	e.updatePush(ctx, queue, func(r *pushRec) { r.Retired = true })
}

// updatePush changes the push settings of a hidden queue durably.
func (e *Engine) updatePush(ctx context.Context, queue string, change func(*pushRec)) {
	p := e.partitionFor(queue)
	call(ctx, p, func(reply func(struct{}, error)) {
		q := p.queues[queue]
		if q == nil || q.push == nil {
			reply(struct{}{}, nil)
			return
		}
		push := *q.push
		change(&push)
		o := &op{typ: opQueueUpdate, queue: q.id, config: configToRec(q.cfg)}
		o.config.Push = &push
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, struct{}{})
	})
}

// ConfirmSubscription confirms a pending HTTP subscription of a topic with
// the token sent to its endpoint. Confirming twice is harmless.
func (e *Engine) ConfirmSubscription(ctx context.Context, topicName, token string) (sluice.Subscription, error) {
	// The confirmation request is queued before the subscription that
	// holds its token is recorded, so an endpoint that answers at once can
	// arrive first: an unknown token is looked for again for a moment
	// before it is refused.
	deadline := time.Now().Add(confirmGrace)
	for {
		sub, err := e.changeSubscription(ctx, topicName, func(t *topic) (*subscription, error) {
			for _, s := range t.subs {
				if token != "" && s.token == token {
					return s, nil
				}
			}
			return nil, sluice.ErrTokenInvalid
		}, func(s *subscription) error {
			s.cfg.Confirmed = true
			return nil
		})
		if !errors.Is(err, sluice.ErrTokenInvalid) || token == "" || time.Now().After(deadline) {
			return sub, err
		}
		select {
		case <-ctx.Done():
			return sub, err
		case <-time.After(20 * time.Millisecond): // polling interval, bounded by confirmGrace
		}
	}
}

// confirmGrace is how long ConfirmSubscription looks again for a token it
// does not know yet.
const confirmGrace = time.Second

// UpdateSubscription changes a subscription's filter, delivery format or
// dead-letter queue.
func (e *Engine) UpdateSubscription(ctx context.Context, id string, u sluice.SubscriptionUpdate) (sluice.Subscription, error) {
	topicName, err := subscriptionTopic(id)
	if err != nil {
		return sluice.Subscription{}, err
	}
	if u.Delivery != nil || u.DeadLetterQueue != nil {
		return sluice.Subscription{}, sluice.Invalid("delivery", "delivery policies and dead-letter queues are set when subscribing")
	}
	var pushQueue string
	out, err := e.changeSubscription(ctx, topicName, func(t *topic) (*subscription, error) {
		_, s := t.sub(id)
		if s == nil {
			return nil, fmt.Errorf("%w: %s", sluice.ErrSubscriptionNotFound, id)
		}
		return s, nil
	}, func(s *subscription) error {
		if u.FilterPolicy != nil {
			s.cfg.FilterPolicy = *u.FilterPolicy
		}
		if u.FilterScope != nil {
			if *u.FilterScope != "" && *u.FilterScope != sluice.ScopeAttributes && *u.FilterScope != sluice.ScopeBody {
				return sluice.Invalid("filter_scope", "%q is not %s or %s", *u.FilterScope, sluice.ScopeAttributes, sluice.ScopeBody)
			}
			s.cfg.FilterScope = *u.FilterScope
		}
		if u.Raw != nil {
			s.cfg.Raw = *u.Raw
			if s.cfg.Protocol != sluice.ProtocolQueue {
				pushQueue = s.queue
			}
		}
		var err error
		s.policy, err = compilePolicy(s.cfg.FilterPolicy, s.cfg.FilterScope)
		return err
	})
	if errors.Is(err, sluice.ErrTopicNotFound) {
		return sluice.Subscription{}, fmt.Errorf("%w: %s", sluice.ErrSubscriptionNotFound, id)
	}
	if err == nil && pushQueue != "" {
		// The push worker reads the delivery format from the hidden queue.
		e.updatePush(ctx, pushQueue, func(r *pushRec) { r.Raw = out.Raw })
	}
	return out, err
}

// changeSubscription finds a subscription with find, applies change to a
// copy of it and makes the result durable.
func (e *Engine) changeSubscription(ctx context.Context, topicName string, find func(*topic) (*subscription, error), change func(*subscription) error) (sluice.Subscription, error) {
	p := e.partitionFor(topicName)
	return call(ctx, p, func(reply func(sluice.Subscription, error)) {
		if err := e.writable(); err != nil {
			reply(sluice.Subscription{}, err)
			return
		}
		t, err := p.topic(topicName)
		if err != nil {
			reply(sluice.Subscription{}, err)
			return
		}
		s, err := find(t)
		if err != nil {
			reply(sluice.Subscription{}, err)
			return
		}
		c := *s
		if err := change(&c); err != nil {
			reply(sluice.Subscription{}, err)
			return
		}
		js, _ := json.Marshal(c.rec())
		o := &op{typ: opSubscribe, queue: t.id, js: js}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, c.cfg)
	})
}

// Unsubscribe deletes a subscription. Copies already made stay where they
// are; an HTTP subscription's pending deliveries are still pushed.
func (e *Engine) Unsubscribe(ctx context.Context, id string) error {
	topicName, err := subscriptionTopic(id)
	if err != nil {
		return err
	}
	p := e.partitionFor(topicName)
	hidden, err := call(ctx, p, func(reply func(string, error)) {
		if err := e.writable(); err != nil {
			reply("", err)
			return
		}
		t := p.topics[topicName]
		if t == nil {
			reply("", fmt.Errorf("%w: %s", sluice.ErrSubscriptionNotFound, id))
			return
		}
		_, s := t.sub(id)
		if s == nil {
			reply("", fmt.Errorf("%w: %s", sluice.ErrSubscriptionNotFound, id))
			return
		}
		o := &op{typ: opUnsubscribe, queue: t.id, name: id}
		p.apply(o, p.now())
		p.log(o)
		hidden := ""
		if s.cfg.Protocol != sluice.ProtocolQueue {
			hidden = s.queue
		}
		durable(p, reply, hidden)
	})
	if err == nil && hidden != "" {
		e.retire(ctx, hidden)
	}
	return err
}

// GetSubscription returns a subscription or sluice.ErrSubscriptionNotFound.
func (e *Engine) GetSubscription(ctx context.Context, id string) (sluice.Subscription, error) {
	topicName, err := subscriptionTopic(id)
	if err != nil {
		return sluice.Subscription{}, err
	}
	p := e.partitionFor(topicName)
	return call(ctx, p, func(reply func(sluice.Subscription, error)) {
		t := p.topics[topicName]
		if t == nil {
			reply(sluice.Subscription{}, fmt.Errorf("%w: %s", sluice.ErrSubscriptionNotFound, id))
			return
		}
		_, s := t.sub(id)
		if s == nil {
			reply(sluice.Subscription{}, fmt.Errorf("%w: %s", sluice.ErrSubscriptionNotFound, id))
			return
		}
		reply(s.cfg, nil)
	})
}

// ListSubscriptions returns a topic's subscriptions, or every topic's when
// topic is empty, in id order — by topic, then in creation order — after the
// id after, which need not exist any more.
func (e *Engine) ListSubscriptions(ctx context.Context, topicName, after string, limit int) ([]sluice.Subscription, error) {
	if limit <= 0 {
		limit = 1000
	}
	var all []sluice.Subscription
	for _, p := range e.partitions {
		if topicName != "" && p != e.partitionFor(topicName) {
			continue
		}
		part, err := call(ctx, p, func(reply func([]sluice.Subscription, error)) {
			if topicName != "" && p.topics[topicName] == nil {
				reply(nil, fmt.Errorf("%w: %s", sluice.ErrTopicNotFound, topicName))
				return
			}
			var out []sluice.Subscription
			for name, t := range p.topics {
				if topicName == "" || name == topicName {
					for _, s := range t.subs {
						out = append(out, s.cfg)
					}
				}
			}
			reply(out, nil)
		})
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	// Subscription ids are "topic/hex" with the hex part starting with the
	// creation time: in id order they sort by topic, then by creation, and
	// paging after an id works even if that subscription is gone.
	slices.SortFunc(all, func(a, b sluice.Subscription) int { return compareIDs(a.ID, b.ID) })
	if after != "" {
		i, _ := slices.BinarySearchFunc(all, after, func(s sluice.Subscription, id string) int { return compareIDs(s.ID, id) })
		for i < len(all) && all[i].ID == after {
			i++
		}
		all = all[i:]
	}
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}
