package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/filter"
)

// topic is one topic's state, owned by its partition's goroutine.
type topic struct {
	id       uint64
	cfg      sluice.TopicConfig
	fifo     bool
	subs     []*subscription // in the order they were created
	dedup    map[string]dedupEntry
	dedupLog deque
	nextSeq  uint64
	stats    topicCounters
}

type topicCounters struct {
	published, copies, filtered, failed uint64
}

// subscription is a topic's subscription. queue is where its copies go: the
// endpoint queue, or the hidden push queue of an HTTP subscription.
type subscription struct {
	cfg    sluice.Subscription
	token  string
	queue  string
	policy *filter.Policy
	// copies and filtered count published messages that this subscription
	// received or whose filter policy dropped, since the server started.
	copies, filtered uint64
}

func newTopic(id uint64, cfg sluice.TopicConfig) *topic {
	return &topic{id: id, cfg: cfg, fifo: cfg.Type == sluice.FIFO, nextSeq: 1}
}

func (t *topic) sub(id string) (int, *subscription) {
	for i, s := range t.subs {
		if s.cfg.ID == id {
			return i, s
		}
	}
	return -1, nil
}

// topicRec and subRec are the JSON forms of topics and subscriptions in
// records. Durations are nanoseconds.
type topicRec struct {
	Name         string            `json:"n"`
	Type         sluice.QueueType  `json:"t"`
	ContentDedup bool              `json:"cbd,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	CreatedAt    int64             `json:"ca"`
	UpdatedAt    int64             `json:"ua"`
	DisplayName  string            `json:"dn,omitempty"`
	Policy       string            `json:"pol,omitempty"`
	Delivery     string            `json:"dp,omitempty"`
}

func topicToRec(c sluice.TopicConfig) topicRec {
	return topicRec{Name: c.Name, Type: c.Type, ContentDedup: c.ContentBasedDedup, Tags: c.Tags,
		CreatedAt: c.CreatedAt.UnixNano(), UpdatedAt: c.UpdatedAt.UnixNano(),
		DisplayName: c.DisplayName, Policy: c.Policy, Delivery: c.DeliveryPolicy}
}

func (r topicRec) config() sluice.TopicConfig {
	return sluice.TopicConfig{Name: r.Name, Type: r.Type, ContentBasedDedup: r.ContentDedup, Tags: r.Tags,
		CreatedAt: time.Unix(0, r.CreatedAt).UTC(), UpdatedAt: time.Unix(0, r.UpdatedAt).UTC(),
		DisplayName: r.DisplayName, Policy: r.Policy, DeliveryPolicy: r.Delivery}
}

type subRec struct {
	ID          string          `json:"id"`
	Protocol    sluice.Protocol `json:"p"`
	Endpoint    string          `json:"e"`
	Filter      string          `json:"f,omitempty"`
	Scope       string          `json:"s,omitempty"`
	Raw         bool            `json:"raw,omitempty"`
	MaxAttempts int             `json:"ma,omitempty"`
	MinBackoff  time.Duration   `json:"minb,omitempty"`
	MaxBackoff  time.Duration   `json:"maxb,omitempty"`
	Timeout     time.Duration   `json:"to,omitempty"`
	MaxRate     float64         `json:"rate,omitempty"`
	DLQ         string          `json:"dlq,omitempty"`
	Confirmed   bool            `json:"ok,omitempty"`
	Token       string          `json:"tok,omitempty"`
	Queue       string          `json:"q"`
	CreatedAt   int64           `json:"ca"`
}

func (s *subscription) rec() subRec {
	c := s.cfg
	return subRec{
		ID: c.ID, Protocol: c.Protocol, Endpoint: c.Endpoint, Filter: c.FilterPolicy, Scope: c.FilterScope,
		Raw: c.Raw, MaxAttempts: c.Delivery.MaxAttempts, MinBackoff: c.Delivery.MinBackoff,
		MaxBackoff: c.Delivery.MaxBackoff, Timeout: c.Delivery.Timeout, MaxRate: c.Delivery.MaxRate,
		DLQ: c.DeadLetterQueue, Confirmed: c.Confirmed, Token: s.token, Queue: s.queue,
		CreatedAt: c.CreatedAt.UnixNano(),
	}
}

func (r subRec) subscription(topic string) (*subscription, error) {
	s := &subscription{
		cfg: sluice.Subscription{
			ID: r.ID, Topic: topic, Protocol: r.Protocol, Endpoint: r.Endpoint, FilterPolicy: r.Filter,
			FilterScope: r.Scope, Raw: r.Raw, DeadLetterQueue: r.DLQ, Confirmed: r.Confirmed,
			Delivery: sluice.DeliveryPolicy{MaxAttempts: r.MaxAttempts, MinBackoff: r.MinBackoff,
				MaxBackoff: r.MaxBackoff, Timeout: r.Timeout, MaxRate: r.MaxRate},
			CreatedAt: time.Unix(0, r.CreatedAt).UTC(),
		},
		token: r.Token,
		queue: r.Queue,
	}
	var err error
	s.policy, err = compilePolicy(r.Filter, r.Scope)
	return s, err
}

// compilePolicy compiles a subscription's filter policy; an empty policy
// matches everything and compiles to nil.
func compilePolicy(policy, scope string) (*filter.Policy, error) {
	if policy == "" {
		return nil, nil
	}
	sc := filter.MessageAttributes
	if scope != "" {
		var err error
		if sc, err = filter.ParseScope(scope); err != nil {
			return nil, sluice.Invalid("filter_scope", "%v", err)
		}
	}
	p, err := filter.Compile([]byte(policy), sc)
	if err != nil {
		return nil, sluice.Invalid("filter_policy", "%v", err)
	}
	return p, nil
}

// applyTopic applies a topic record; see apply.
func (p *partition) applyTopic(o *op, now int64) {
	if o.typ == opTopicCreate {
		var r topicRec
		if err := json.Unmarshal(o.js, &r); err != nil {
			p.e.log.Error("skipping unreadable topic record", "err", err)
			return
		}
		t := newTopic(o.queue, r.config())
		p.topics[t.cfg.Name] = t
		p.topicID[t.id] = t
		p.nextQID = max(p.nextQID, o.queue)
		return
	}
	t := p.topicID[o.queue]
	if t == nil {
		return
	}
	switch o.typ {
	case opTopicUpdate:
		var r topicRec
		if err := json.Unmarshal(o.js, &r); err == nil {
			t.cfg = r.config()
		}
	case opTopicDelete:
		delete(p.topics, t.cfg.Name)
		delete(p.topicID, t.id)
	case opSubscribe:
		var r subRec
		if err := json.Unmarshal(o.js, &r); err != nil {
			p.e.log.Error("skipping unreadable subscription record", "err", err)
			return
		}
		s, err := r.subscription(t.cfg.Name)
		if err != nil {
			// Validated before it was logged: only a change of filter
			// semantics can get here. Match nothing rather than everything.
			p.e.log.Error("subscription filter no longer compiles; it matches nothing", "subscription", r.ID, "err", err)
			s.cfg.Confirmed = false
		}
		if i, _ := t.sub(r.ID); i >= 0 {
			t.subs[i] = s
		} else {
			t.subs = append(t.subs, s)
		}
	case opUnsubscribe:
		if i, _ := t.sub(o.name); i >= 0 {
			t.subs = append(t.subs[:i:i], t.subs[i+1:]...)
		}
	case opTopicDedup:
		t.nextSeq = max(t.nextSeq, o.seq+1)
		if o.expires > now {
			t.remember(o.dedup, o.msgID, o.seq, o.expires)
		}
	}
}

func (t *topic) remember(dedup string, id [16]byte, seq uint64, expires int64) {
	if t.dedup == nil {
		t.dedup = make(map[string]dedupEntry)
	}
	t.dedup[dedup] = dedupEntry{id: id, seq: seq, expires: expires}
	t.dedupLog.push(&message{dedup: dedup, visible: expires})
}

func (t *topic) housekeep(now int64) {
	for {
		d := t.dedupLog.front(func(*message) bool { return false })
		if d == nil || d.visible > now {
			return
		}
		t.dedupLog.pop()
		if e, ok := t.dedup[d.dedup]; ok && e.expires <= now {
			delete(t.dedup, d.dedup)
		}
	}
}

// captureTopics returns the records that rebuild the partition's topics.
func (p *partition) captureTopics(now int64) []op {
	var ops []op
	for _, t := range p.topicID {
		js, _ := json.Marshal(topicToRec(cloneTopic(t.cfg)))
		ops = append(ops, op{typ: opTopicCreate, queue: t.id, js: js})
		for _, s := range t.subs {
			js, _ := json.Marshal(s.rec())
			ops = append(ops, op{typ: opSubscribe, queue: t.id, js: js})
		}
		ops = append(ops, op{typ: opTopicDedup, queue: t.id, seq: t.nextSeq - 1})
		for k, d := range t.dedup {
			if d.expires > now {
				ops = append(ops, op{typ: opTopicDedup, queue: t.id, dedup: k, msgID: d.id, seq: d.seq, expires: d.expires})
			}
		}
	}
	return ops
}

func cloneTopic(c sluice.TopicConfig) sluice.TopicConfig {
	if c.Tags != nil {
		tags := make(map[string]string, len(c.Tags))
		for k, v := range c.Tags {
			tags[k] = v
		}
		c.Tags = tags
	}
	return c
}

func (p *partition) topic(name string) (*topic, error) {
	t := p.topics[name]
	if t == nil {
		return nil, fmt.Errorf("%w: %s", sluice.ErrTopicNotFound, name)
	}
	return t, nil
}
