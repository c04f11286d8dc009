package engine

import (
	"context"
	"slices"
	"strings"

	"github.com/sluicehq/sluice"
)

// PushTarget is an HTTP subscription's hidden queue and where its messages
// go. A push worker receives from Queue with ordinary leases, POSTs each
// message to Endpoint, acks it on success and sets its visibility to the
// backoff on failure; the queue's dead-letter policy moves a message to the
// subscription's dead-letter queue after MaxAttempts receives. A Retired
// target's subscription is gone: the worker delivers what is left, then
// deletes the queue.
type PushTarget struct {
	Queue        string
	Subscription string
	Topic        string
	TopicARN     string
	Endpoint     string
	Raw          bool
	// Confirmation is the message id of the subscription's confirmation
	// request, if it was created unconfirmed; every other message in Queue
	// is a notification.
	Confirmation string
	Delivery     sluice.DeliveryPolicy
	DeadLetter   bool
	Retired      bool
	Pending      int // messages in the queue, visible or not
}

// PushTargets returns every HTTP subscription's hidden queue, by name.
func (e *Engine) PushTargets(ctx context.Context) ([]PushTarget, error) {
	var all []PushTarget
	for _, p := range e.partitions {
		part, err := call(ctx, p, func(reply func([]PushTarget, error)) {
			var out []PushTarget
			for name, q := range p.queues {
				if q.push == nil {
					continue
				}
				r := q.push
				out = append(out, PushTarget{
					Queue: name, Subscription: r.Sub, Topic: r.Topic, TopicARN: e.topicARN(r.Topic),
					Endpoint: r.Endpoint, Raw: r.Raw, Confirmation: r.Confirm,
					Delivery: sluice.DeliveryPolicy{MaxAttempts: r.MaxAttempts, MinBackoff: r.MinBackoff,
						MaxBackoff: r.MaxBackoff, Timeout: r.Timeout, MaxRate: r.MaxRate},
					DeadLetter: q.cfg.DeadLetter != nil, Retired: r.Retired, Pending: len(q.msgs),
				})
			}
			reply(out, nil)
		})
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	slices.SortFunc(all, func(a, b PushTarget) int { return strings.Compare(a.Queue, b.Queue) })
	return all, nil
}

// RemoveDrainedPushQueue deletes the hidden queue of a deleted HTTP
// subscription if it holds no messages, checking and deleting in one step
// so that nothing moved into it meanwhile (by a redrive from its
// dead-letter queue, say) is lost. It reports whether it deleted the
// queue; a queue that is gone already counts as deleted.
func (e *Engine) RemoveDrainedPushQueue(ctx context.Context, name string) (bool, error) {
	p := e.partitionFor(name)
	return call(ctx, p, func(reply func(bool, error)) {
		if err := e.writable(); err != nil {
			reply(false, err)
			return
		}
		q := p.queues[name]
		switch {
		case q == nil:
			reply(true, nil)
			return
		case q.push == nil || !q.push.Retired || len(q.msgs) > 0:
			reply(false, nil)
			return
		}
		o := &op{typ: opQueueDelete, queue: q.id}
		p.apply(o, p.now())
		p.log(o)
		durable(p, reply, true)
	})
}
