package engine

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice"
)

// Ack deletes received messages. It returns one error per receipt (nil when
// the message was deleted or already gone) once the deletes are durable; the
// second result reports a failure of the whole call.
func (e *Engine) Ack(ctx context.Context, queue string, receipts []string) ([]error, error) {
	if err := e.checkBatch("receipts", len(receipts)); err != nil {
		return nil, err
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func([]error, error)) {
		if err := e.writable(); err != nil {
			reply(nil, err)
			return
		}
		q, err := p.queue(queue)
		if err != nil {
			reply(nil, err)
			return
		}
		errs := make([]error, len(receipts))
		now := p.now()
		for i, r := range receipts {
			m, err := q.findLeased(r)
			if err != nil {
				errs[i] = err
				continue
			}
			if m == nil {
				continue
			}
			if q.tasks != nil {
				p.finishTask(q, m, sluice.TaskSucceeded, "", nil)
				continue
			}
			p.log(&op{typ: opDelete, queue: q.id, seq: m.seq})
			if m.leased > 0 {
				q.stats.ackLatency.observe(now - m.leased)
			}
			q.remove(m)
			q.stats.acked++
		}
		durable(p, reply, errs)
	})
}

// ChangeVisibility sets the remaining invisibility of received messages: a
// zero timeout returns a message at once, a positive one extends or shortens
// its lease. It returns one error per change.
func (e *Engine) ChangeVisibility(ctx context.Context, queue string, changes []sluice.VisibilityChange) ([]error, error) {
	if err := e.checkBatch("changes", len(changes)); err != nil {
		return nil, err
	}
	for i, c := range changes {
		if c.Timeout < 0 || c.Timeout > e.limits.MaxVisibilityTimeout {
			return nil, sluice.Invalid(fmt.Sprintf("changes[%d].timeout", i), "%v is outside 0 to %v", c.Timeout, e.limits.MaxVisibilityTimeout)
		}
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func([]error, error)) {
		if err := e.writable(); err != nil {
			reply(nil, err)
			return
		}
		q, err := p.queue(queue)
		if err != nil {
			reply(nil, err)
			return
		}
		now := p.now()
		errs := make([]error, len(changes))
		for i, c := range changes {
			m, err := q.findLeased(c.Receipt)
			if err == nil && (m == nil || m.state != stateInFlight) {
				err = fmt.Errorf("%w: the message is not in flight", sluice.ErrReceiptStale)
			}
			if err != nil {
				errs[i] = err
				continue
			}
			until := now + int64(c.Timeout)
			p.log(&op{typ: opVisibility, queue: q.id, seq: m.seq, visible: until})
			q.setVisibility(m, until, now)
		}
		durable(p, reply, errs)
	})
}

func (e *Engine) checkBatch(field string, n int) error {
	if n == 0 {
		return sluice.Invalid(field, "must not be empty")
	}
	if n > e.limits.MaxAckBatch {
		return &sluice.LimitError{Field: field, Limit: int64(e.limits.MaxAckBatch), Got: int64(n)}
	}
	return nil
}
