package engine

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
)

// Run runs the partitions until ctx is done, then stops them and returns
// nil. Records already handed to the journals are flushed by closing them.
func (e *Engine) Run(ctx context.Context) error {
	e.runCtx = ctx
	close(e.started)
	var wg sync.WaitGroup
	for _, p := range e.partitions {
		wg.Go(func() { p.run(ctx) })
	}
	wg.Wait()
	e.wg.Wait()
	return nil
}

// Ready returns nil while the engine accepts writes, and
// sluice.ErrUnavailable after a journal write failed.
func (e *Engine) Ready() error {
	return e.writable()
}

func (e *Engine) writable() error {
	select {
	case <-e.failed:
		return sluice.ErrUnavailable
	default:
		return nil
	}
}

func (e *Engine) fail(err error) {
	e.failOnce.Do(func() {
		e.log.Error("journal write failed; refusing writes until restart", "err", err)
		close(e.failed)
	})
}

// partitionFor returns the partition that owns the named queue.
func (e *Engine) partitionFor(name string) *partition {
	if len(e.partitions) == 1 {
		return e.partitions[0]
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return e.partitions[h.Sum32()%uint32(len(e.partitions))]
}

// internalName reports whether a queue name is one of the engine's own
// (hidden push queues), which user names cannot collide with.
func internalName(name string) bool { return strings.HasPrefix(name, "~") }

// queue returns the named queue or sluice.ErrQueueNotFound.
func (p *partition) queue(name string) (*queue, error) {
	q := p.queues[name]
	if q == nil {
		return nil, fmt.Errorf("%w: %s", sluice.ErrQueueNotFound, name)
	}
	return q, nil
}

// CreateQueue creates a queue. Creating a queue that exists with the same
// attributes returns it with created false; with other attributes it fails
// with sluice.ErrQueueExists.
func (e *Engine) CreateQueue(ctx context.Context, cfg sluice.QueueConfig) (sluice.QueueConfig, bool, error) {
	cfg = e.limits.QueueDefaults(cfg)
	if err := e.limits.ValidateQueueConfig(cfg); err != nil {
		return sluice.QueueConfig{}, false, err
	}
	if err := e.checkDeadLetter(ctx, cfg); err != nil {
		return sluice.QueueConfig{}, false, err
	}
	if n, err := e.queueCount(ctx); err != nil {
		return sluice.QueueConfig{}, false, err
	} else if n >= e.limits.MaxQueues {
		return sluice.QueueConfig{}, false, &sluice.LimitError{Field: "queues", Limit: int64(e.limits.MaxQueues), Got: int64(n + 1)}
	}
	p := e.partitionFor(cfg.Name)
	type res struct {
		cfg     sluice.QueueConfig
		created bool
	}
	r, err := call(ctx, p, func(reply func(res, error)) {
		if err := e.writable(); err != nil {
			reply(res{}, err)
			return
		}
		if q := p.queues[cfg.Name]; q != nil {
			if sameAttributes(q.cfg, cfg) {
				durable(p, reply, res{cfg: q.cfg})
				return
			}
			reply(res{}, fmt.Errorf("%w: %s", sluice.ErrQueueExists, cfg.Name))
			return
		}
		now := time.Unix(0, p.now()).UTC()
		cfg.CreatedAt, cfg.UpdatedAt = now, now
		o := &op{typ: opQueueCreate, queue: p.nextQID + 1, config: configToRec(cfg)}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, res{cfg: p.queues[cfg.Name].cfg, created: true})
	})
	return r.cfg, r.created, err
}

func sameAttributes(a, b sluice.QueueConfig) bool {
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(a.Tags) == 0 && len(b.Tags) == 0 {
		a.Tags, b.Tags = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func (e *Engine) checkDeadLetter(ctx context.Context, cfg sluice.QueueConfig) error {
	if cfg.DeadLetter == nil {
		return nil
	}
	dl, err := e.GetQueue(ctx, cfg.DeadLetter.Queue)
	if err != nil {
		return sluice.Invalid("dead_letter.queue", "%v", err)
	}
	if dl.Type != cfg.Type {
		return sluice.Invalid("dead_letter.queue", "a %s queue needs a %s dead-letter queue, not %s", cfg.Type, cfg.Type, dl.Type)
	}
	return nil
}

func (e *Engine) queueCount(ctx context.Context) (int, error) {
	n := 0
	for _, p := range e.partitions {
		c, err := call(ctx, p, func(reply func(int, error)) { reply(len(p.queues), nil) })
		if err != nil {
			return 0, err
		}
		n += c
	}
	return n, nil
}

// GetQueue returns a queue's configuration or sluice.ErrQueueNotFound.
func (e *Engine) GetQueue(ctx context.Context, name string) (sluice.QueueConfig, error) {
	p := e.partitionFor(name)
	return call(ctx, p, func(reply func(sluice.QueueConfig, error)) {
		q, err := p.queue(name)
		if err != nil {
			reply(sluice.QueueConfig{}, err)
			return
		}
		reply(cloneConfig(q.cfg), nil)
	})
}

func cloneConfig(c sluice.QueueConfig) sluice.QueueConfig {
	c.Tags = maps.Clone(c.Tags)
	if c.DeadLetter != nil {
		dl := *c.DeadLetter
		c.DeadLetter = &dl
	}
	if c.Tasks != nil {
		t := *c.Tasks
		c.Tasks = &t
	}
	return c
}

// ListQueues returns up to limit queues whose names start with prefix and
// sort after after, in name order.
func (e *Engine) ListQueues(ctx context.Context, prefix, after string, limit int) ([]sluice.QueueConfig, error) {
	if limit <= 0 {
		limit = 1000
	}
	var all []sluice.QueueConfig
	for _, p := range e.partitions {
		part, err := call(ctx, p, func(reply func([]sluice.QueueConfig, error)) {
			var out []sluice.QueueConfig
			for name, q := range p.queues {
				if strings.HasPrefix(name, prefix) && name > after && !internalName(name) {
					out = append(out, q.cfg)
				}
			}
			slices.SortFunc(out, func(a, b sluice.QueueConfig) int { return strings.Compare(a.Name, b.Name) })
			if len(out) > limit {
				out = out[:limit]
			}
			for i := range out {
				out[i] = cloneConfig(out[i])
			}
			reply(out, nil)
		})
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	slices.SortFunc(all, func(a, b sluice.QueueConfig) int { return strings.Compare(a.Name, b.Name) })
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// UpdateQueue changes the attributes u sets and returns the new config.
func (e *Engine) UpdateQueue(ctx context.Context, name string, u sluice.QueueUpdate) (sluice.QueueConfig, error) {
	if u.DeadLetter != nil && u.DeadLetter.Queue != "" {
		cur, err := e.GetQueue(ctx, name)
		if err != nil {
			return sluice.QueueConfig{}, err
		}
		cur.DeadLetter = u.DeadLetter
		if err := e.checkDeadLetter(ctx, cur); err != nil {
			return sluice.QueueConfig{}, err
		}
	}
	return e.modify(ctx, name, func(c *sluice.QueueConfig) {
		set := func(dst *time.Duration, src *time.Duration) {
			if src != nil {
				*dst = *src
			}
		}
		set(&c.VisibilityTimeout, u.VisibilityTimeout)
		set(&c.Delay, u.Delay)
		set(&c.Retention, u.Retention)
		set(&c.ReceiveWait, u.ReceiveWait)
		if u.MaxMessageSize != nil {
			c.MaxMessageSize = *u.MaxMessageSize
		}
		if u.DeadLetter != nil {
			if u.DeadLetter.Queue == "" {
				c.DeadLetter = nil
			} else {
				dl := *u.DeadLetter
				c.DeadLetter = &dl
			}
		}
		if u.ContentBasedDedup != nil {
			c.ContentBasedDedup = *u.ContentBasedDedup
		}
		setString := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		setString(&c.DedupScope, u.DedupScope)
		setString(&c.ThroughputLimit, u.ThroughputLimit)
		setString(&c.Policy, u.Policy)
		setString(&c.RedriveAllowPolicy, u.RedriveAllowPolicy)
		setString(&c.KMSKeyID, u.KMSKeyID)
		set(&c.KMSDataKeyReuse, u.KMSDataKeyReuse)
		if u.ManagedSSE != nil {
			c.ManagedSSE = *u.ManagedSSE
		}
		if u.Tasks != nil {
			t := u.Tasks.WithDefaults()
			c.Tasks = &t
		}
	})
}

// TagQueue adds or replaces tags.
func (e *Engine) TagQueue(ctx context.Context, name string, tags map[string]string) error {
	_, err := e.modify(ctx, name, func(c *sluice.QueueConfig) {
		if c.Tags == nil {
			c.Tags = make(map[string]string, len(tags))
		}
		maps.Copy(c.Tags, tags)
	})
	return err
}

// UntagQueue removes tags by key; absent keys are ignored.
func (e *Engine) UntagQueue(ctx context.Context, name string, keys []string) error {
	_, err := e.modify(ctx, name, func(c *sluice.QueueConfig) {
		for _, k := range keys {
			delete(c.Tags, k)
		}
		if len(c.Tags) == 0 {
			c.Tags = nil
		}
	})
	return err
}

// modify applies change to a copy of the queue's config, validates it and
// makes it durable.
func (e *Engine) modify(ctx context.Context, name string, change func(*sluice.QueueConfig)) (sluice.QueueConfig, error) {
	p := e.partitionFor(name)
	return call(ctx, p, func(reply func(sluice.QueueConfig, error)) {
		if err := e.writable(); err != nil {
			reply(sluice.QueueConfig{}, err)
			return
		}
		q, err := p.queue(name)
		if err != nil {
			reply(sluice.QueueConfig{}, err)
			return
		}
		cfg := cloneConfig(q.cfg)
		change(&cfg)
		if err := e.limits.ValidateQueueConfig(cfg); err != nil {
			reply(sluice.QueueConfig{}, err)
			return
		}
		cfg.UpdatedAt = time.Unix(0, p.now()).UTC()
		o := &op{typ: opQueueUpdate, queue: q.id, config: configToRec(cfg)}
		o.config.Push = q.push
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, cloneConfig(q.cfg))
	})
}

// DeleteQueue deletes a queue and every message in it. A queue that another
// queue names as its dead-letter queue cannot be deleted: the error is
// sluice.ErrQueueInUse, naming the first such queue.
func (e *Engine) DeleteQueue(ctx context.Context, name string) error {
	if user, err := e.deadLetterUser(ctx, name); err != nil {
		return err
	} else if user != "" {
		return fmt.Errorf("%w: %s is the dead-letter queue of %s", sluice.ErrQueueInUse, name, user)
	}
	return e.DeleteQueueInUse(ctx, name)
}

// DeleteQueueInUse deletes a queue and every message in it even while other
// queues name it as their dead-letter queue, as Amazon SQS's DeleteQueue
// does. Their policies keep naming it; a message that would move there stays
// in its queue instead and is delivered again (see deadLetter), until the
// queue exists again or the policy changes.
func (e *Engine) DeleteQueueInUse(ctx context.Context, name string) error {
	p := e.partitionFor(name)
	_, err := call(ctx, p, func(reply func(struct{}, error)) {
		if err := e.writable(); err != nil {
			reply(struct{}{}, err)
			return
		}
		q, err := p.queue(name)
		if err != nil {
			reply(struct{}{}, err)
			return
		}
		o := &op{typ: opQueueDelete, queue: q.id}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, struct{}{})
	})
	return err
}

// deadLetterUser returns the name of a queue whose dead-letter queue is
// name, or "".
func (e *Engine) deadLetterUser(ctx context.Context, name string) (string, error) {
	for _, p := range e.partitions {
		user, err := call(ctx, p, func(reply func(string, error)) {
			for _, q := range p.queues {
				if dl := q.cfg.DeadLetter; dl != nil && dl.Queue == name && q.cfg.Name != name {
					if q.push != nil {
						// Users know HTTP subscriptions, not their queues.
						reply("subscription "+q.push.Sub, nil)
						return
					}
					reply(q.cfg.Name, nil)
					return
				}
			}
			reply("", nil)
		})
		if err != nil || user != "" {
			return user, err
		}
	}
	return "", nil
}

// PurgeQueue deletes every message in a queue, in flight or not, and returns
// how many it deleted.
func (e *Engine) PurgeQueue(ctx context.Context, name string) (int, error) {
	p := e.partitionFor(name)
	return call(ctx, p, func(reply func(int, error)) {
		if err := e.writable(); err != nil {
			reply(0, err)
			return
		}
		q, err := p.queue(name)
		if err != nil {
			reply(0, err)
			return
		}
		n := len(q.msgs)
		o := &op{typ: opPurge, queue: q.id, seq: q.nextSeq - 1}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, n)
	})
}

// Stats returns a queue's statistics.
func (e *Engine) Stats(ctx context.Context, name string) (sluice.QueueStats, error) {
	p := e.partitionFor(name)
	return call(ctx, p, func(reply func(sluice.QueueStats, error)) {
		q, err := p.queue(name)
		if err != nil {
			reply(sluice.QueueStats{}, err)
			return
		}
		reply(q.snapshotStats(p.now()), nil)
	})
}

// Send adds messages to a queue and returns once they are durable. The batch
// is all or nothing: if any entry is invalid nothing is written and the
// error names the entry ("messages[3].body").
func (e *Engine) Send(ctx context.Context, queue string, msgs []sluice.SendInput) ([]sluice.SendResult, error) {
	if len(msgs) == 0 {
		return nil, sluice.Invalid("messages", "must not be empty")
	}
	if len(msgs) > e.limits.MaxSendBatch {
		return nil, &sluice.LimitError{Field: "messages", Limit: int64(e.limits.MaxSendBatch), Got: int64(len(msgs))}
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func([]sluice.SendResult, error)) {
		if err := e.writable(); err != nil {
			reply(nil, err)
			return
		}
		q, err := p.queue(queue)
		if err != nil {
			reply(nil, err)
			return
		}
		dedups := make([]string, len(msgs))
		for i := range msgs {
			d, err := e.validateSend(q, &msgs[i])
			if err != nil {
				reply(nil, sluice.WithField(fmt.Sprintf("messages[%d]", i), err))
				return
			}
			dedups[i] = d
		}
		now := p.now()
		out := make([]sluice.SendResult, len(msgs))
		for i, in := range msgs {
			if q.fifo {
				if d, ok := q.dedup[q.dedupKey(in.GroupID, dedups[i])]; ok && d.expires > now {
					out[i] = sluice.SendResult{ID: formatID(d.id), Sequence: d.seq, Duplicate: true}
					continue
				}
			}
			delay := q.cfg.Delay
			if in.Delay != nil {
				delay = *in.Delay
			}
			r := msgRec{
				id: p.newID(), sentAt: now, visible: now + int64(delay),
				tenant: in.Tenant, group: in.GroupID, dedup: dedups[i],
				attrs: encodeAttrs(in.Attributes), body: in.Body, trace: in.TraceHeader,
			}
			seq := p.commitSend(q, r, now)
			out[i] = sluice.SendResult{ID: formatID(r.id), Sequence: seq, Tracked: q.tasks != nil}
		}
		durable(p, reply, out)
	})
}

// commitSend applies and logs one send and returns its sequence.
func (p *partition) commitSend(q *queue, r msgRec, now int64) uint64 {
	o := &op{typ: opSend, queue: q.id, seq: q.nextSeq, msg: r}
	p.apply(o, now)
	p.log(o)
	return o.seq
}

// validateSend checks one message against the queue and the limits and
// returns its deduplication id.
func (e *Engine) validateSend(q *queue, in *sluice.SendInput) (string, error) {
	attrSize, err := e.limits.ValidateAttributes(in.Attributes)
	if err != nil {
		return "", err
	}
	if size := len(in.Body) + attrSize + len(in.TraceHeader); size > q.cfg.MaxMessageSize {
		return "", &sluice.LimitError{Field: "body", Limit: int64(q.cfg.MaxMessageSize), Got: int64(size)}
	}
	if err := e.limits.ValidateTenant("tenant", in.Tenant); err != nil {
		return "", err
	}
	if !utf8.ValidString(in.TraceHeader) {
		return "", sluice.Invalid("trace_header", "must be valid UTF-8")
	}
	if in.Delay != nil {
		if q.fifo {
			return "", sluice.Invalid("delay", "per-message delay is not supported on FIFO queues; set the queue's delay")
		}
		if *in.Delay < 0 || *in.Delay > q.cfg.Retention {
			return "", sluice.Invalid("delay", "%v is outside 0 to the queue's retention (%v)", *in.Delay, q.cfg.Retention)
		}
	}
	if !q.fifo {
		if in.DedupID != "" {
			return "", sluice.Invalid("dedup_id", "applies to FIFO queues only")
		}
		if len(in.GroupID) > 128 {
			return "", &sluice.LimitError{Field: "group_id", Limit: 128, Got: int64(len(in.GroupID))}
		}
		return "", nil
	}
	if in.GroupID == "" {
		return "", sluice.Invalid("group_id", "is required on FIFO queues")
	}
	if err := validToken("group_id", in.GroupID); err != nil {
		return "", err
	}
	dedup := in.DedupID
	if dedup == "" {
		if !q.cfg.ContentBasedDedup {
			return "", sluice.Invalid("dedup_id", "is required unless the queue has content-based deduplication")
		}
		sum := sha256.Sum256(in.Body)
		dedup = hex.EncodeToString(sum[:])
	}
	return dedup, validToken("dedup_id", dedup)
}

// validToken checks a group or deduplication id: 1 to 128 printable ASCII
// characters, as SQS requires.
func validToken(field, s string) error {
	if len(s) == 0 || len(s) > 128 {
		return sluice.Invalid(field, "must be 1 to 128 characters")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return sluice.Invalid(field, "character %q is not printable ASCII", s[i])
		}
	}
	return nil
}

// Receive leases up to opts.Max visible messages. When none is visible it
// waits up to opts.WaitTime (default the queue's ReceiveWait) for one, and
// returns an empty slice if none arrives. Leases are not waited for: losing
// one in a crash only makes its message visible early.
func (e *Engine) Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error) {
	max := opts.Max
	if max == 0 {
		max = 1
	}
	if max < 0 || max > e.limits.MaxReceiveBatch {
		return nil, sluice.Invalid("max", "%d is outside 1 to %d", max, e.limits.MaxReceiveBatch)
	}
	if v := opts.VisibilityTimeout; v != nil && (*v < 0 || *v > e.limits.MaxVisibilityTimeout) {
		return nil, sluice.Invalid("visibility_timeout", "%v is outside 0 to %v", *v, e.limits.MaxVisibilityTimeout)
	}
	if w := opts.WaitTime; w != nil && (*w < 0 || *w > e.limits.MaxWaitTime) {
		return nil, sluice.Invalid("wait", "%v is outside 0 to %v", *w, e.limits.MaxWaitTime)
	}
	if len(opts.Worker) > sluice.MaxTaskWorkerIDLength {
		return nil, &sluice.LimitError{Field: "worker", Limit: sluice.MaxTaskWorkerIDLength, Got: int64(len(opts.Worker))}
	}
	p := e.partitionFor(queue)
	w := &waiter{heapIdx: -1}
	msgs, err := call(ctx, p, func(reply func([]sluice.Message, error)) {
		if ctx.Err() != nil {
			reply(nil, ctx.Err())
			return
		}
		q, err := p.queue(queue)
		if err != nil {
			reply(nil, err)
			return
		}
		if err := e.writable(); err != nil {
			reply(nil, err)
			return
		}
		vis := q.cfg.VisibilityTimeout
		if opts.VisibilityTimeout != nil {
			vis = *opts.VisibilityTimeout
		}
		w.q, w.max, w.vis, w.worker, w.reply = q, max, vis, opts.Worker, reply
		if q.visible() > 0 {
			// take may dead-letter everything it finds; then wait as if
			// the queue had been empty.
			if w.served = p.take(q, max, vis, opts.Worker); len(w.served) > 0 {
				reply(w.served, nil)
				return
			}
			w.served = nil
		}
		wait := q.cfg.ReceiveWait
		if opts.WaitTime != nil {
			wait = *opts.WaitTime
		}
		if wait <= 0 {
			reply([]sluice.Message{}, nil)
			return
		}
		w.deadline = p.now() + int64(wait)
		q.park(w)
	})
	if ctx.Err() != nil {
		// The caller went away: unpark, or give back what was delivered.
		p.cancelWait(w)
	}
	if msgs == nil && err == nil {
		msgs = []sluice.Message{}
	}
	return msgs, err
}

// cancelWait removes a parked receive whose caller is gone. If it was served
// in the meantime, its messages are made visible again.
func (p *partition) cancelWait(w *waiter) {
	ctx := context.WithoutCancel(p.e.runCtx)
	call(ctx, p, func(reply func(struct{}, error)) {
		defer reply(struct{}{}, nil)
		if w.heapIdx >= 0 {
			w.q.unpark(w)
			heap.Remove(&p.waiters, w.heapIdx)
			return
		}
		q := w.q
		if q == nil || p.byID[q.id] != q {
			return
		}
		now := p.now()
		for _, msg := range w.served {
			_, seq, nonce, _ := decodeReceipt(msg.Receipt)
			if m := q.msgs[seq]; m != nil && m.nonce == nonce && m.state == stateInFlight {
				p.log(&op{typ: opVisibility, queue: q.id, seq: seq, visible: now})
				q.setVisibility(m, now, now)
			}
		}
		w.served = nil
	})
}
