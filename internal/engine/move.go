package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluicehq/sluice"
)

// Moving a message to another queue (dead-lettering, redrive) crosses
// partitions, so it is done in two steps: the message is inserted into the
// destination and made durable there, then deleted from the source. A crash
// between the two leaves it in both queues, never in neither: moves are
// at-least-once, like deliveries.

// moving is a message on its way out of a queue.
type moving struct {
	seq uint64
	rec msgRec
	dst string
}

func recOf(m *message) msgRec {
	return msgRec{
		id: m.id, sentAt: m.sentAt, tenant: m.tenant, group: m.group, dedup: m.dedup,
		source: m.source, trace: m.trace, attrs: m.attrs, body: m.body,
	}
}

// deadLetter starts moving m, already taken out of q's ready index, to q's
// dead-letter queue. On a tracked queue the task ends as dead, whether or not
// the queue has a dead-letter queue.
func (p *partition) deadLetter(q *queue, m *message) {
	m.state = stateMoving
	q.syncTask(m)
	q.stats.deadLettered++
	if q.tasks != nil && (m.task == nil || !m.task.failed) {
		if m.task == nil {
			m.task = &taskInfo{}
		}
		m.task.err = fmt.Sprintf("lease expired on attempt %d of %d", m.receives, q.maxAttempts())
	}
	rec := recOf(m)
	rec.source = q.cfg.Name
	mv := moving{seq: m.seq, rec: rec}
	if dl := q.cfg.DeadLetter; dl != nil {
		mv.dst = dl.Queue
	}
	qid := q.id
	p.e.wg.Go(func() {
		var err error
		if mv.dst != "" { // a tracked queue without one: the task just dies
			err = p.e.insert(p.e.runCtx, mv.dst, []msgRec{mv.rec})
		}
		if err != nil {
			p.e.log.Warn("dead-lettering a message failed; it stays in its queue",
				"queue", q.cfg.Name, "dead_letter_queue", mv.dst, "err", err)
		}
		p.finishMoves(p.e.runCtx, qid, []moving{mv}, []error{err})
	})
}

// finishMoves deletes moved messages from their source queue, or returns
// them to it where the insert failed.
func (p *partition) finishMoves(ctx context.Context, qid uint64, mvs []moving, errs []error) {
	call(ctx, p, func(reply func(struct{}, error)) {
		defer reply(struct{}{}, nil)
		q := p.byID[qid]
		if q == nil {
			return
		}
		for i, mv := range mvs {
			m := q.msgs[mv.seq]
			if m == nil || m.state != stateMoving {
				continue
			}
			if errs[i] != nil {
				m.stuck = true
				q.setReady(m, false)
				if q.fifo {
					q.groups.update(q.groups.group(m.group))
				}
				p.wake(q)
				continue
			}
			if q.tasks != nil {
				p.finishTask(q, m, sluice.TaskDead, mv.dst, nil)
				continue
			}
			p.log(&op{typ: opDelete, queue: q.id, seq: m.seq})
			q.remove(m)
		}
	})
}

// insert appends moved messages to the named queue and waits until they are
// durable.
func (e *Engine) insert(ctx context.Context, name string, recs []msgRec) error {
	p := e.partitionFor(name)
	_, err := call(ctx, p, func(reply func(struct{}, error)) {
		if err := e.writable(); err != nil {
			reply(struct{}{}, err)
			return
		}
		q := p.queues[name]
		if q == nil {
			reply(struct{}{}, fmt.Errorf("%w: %s", sluice.ErrQueueNotFound, name))
			return
		}
		now := p.now()
		for _, r := range recs {
			r.visible = now
			r.receives, r.first, r.nonce = 0, 0, 0
			p.commitSend(q, r, now)
		}
		durable(p, reply, struct{}{})
	})
	return err
}

// Redrive moves ready messages out of a dead-letter queue, back to the queue
// each came from or to opts.Destination. It returns how many moved; messages
// whose destination no longer exists stay where they are and are reported in
// the error.
func (e *Engine) Redrive(ctx context.Context, queue string, opts sluice.RedriveOptions) (int, error) {
	if opts.Max < 0 {
		return 0, sluice.Invalid("max", "must not be negative")
	}
	if opts.Destination != "" {
		if _, err := e.GetQueue(ctx, opts.Destination); err != nil {
			return 0, fmt.Errorf("destination: %w", err)
		}
	}
	p := e.partitionFor(queue)
	type taken struct {
		qid uint64
		mvs []moving
	}
	t, err := call(ctx, p, func(reply func(taken, error)) {
		q, err := p.queue(queue)
		if err != nil {
			reply(taken{}, err)
			return
		}
		var out []moving
		limit := opts.Max
		if limit == 0 {
			limit = q.visible()
		}
		for len(out) < limit {
			var m *message
			if q.fifo {
				q.groups.take(1, func(x *message) {
					q.groups.group(x.group).inflight--
					m = x
				})
			} else {
				m = q.ready.popAny(p.now())
			}
			if m == nil {
				break
			}
			dst := opts.Destination
			if dst == "" {
				dst = m.source
			}
			if dst == "" {
				// Not dead-lettered: put it back and stop.
				q.setReady(m, false)
				if q.fifo {
					q.groups.update(q.groups.group(m.group))
				}
				if len(out) == 0 {
					reply(taken{}, sluice.ErrNotDeadLetterQueue)
					return
				}
				break
			}
			m.state = stateMoving
			q.syncTask(m)
			rec := recOf(m)
			rec.source = ""
			out = append(out, moving{seq: m.seq, rec: rec, dst: dst})
		}
		if q.fifo {
			for _, mv := range out {
				q.groups.update(q.groups.group(mv.rec.group))
			}
		}
		reply(taken{qid: q.id, mvs: out}, nil)
	})
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(t.mvs))
	moved := 0
	var firstErr error
	for i, mv := range t.mvs {
		errs[i] = e.insert(ctx, mv.dst, []msgRec{mv.rec})
		if errs[i] == nil {
			moved++
		} else if firstErr == nil {
			firstErr = fmt.Errorf("moving to %s: %w", mv.dst, errs[i])
		}
	}
	p.finishMoves(context.WithoutCancel(ctx), t.qid, t.mvs, errs)
	if firstErr != nil && moved == 0 {
		return 0, firstErr
	}
	if firstErr != nil {
		e.log.Warn("redrive left some messages in place", "queue", queue, "err", firstErr)
	}
	return moved, nil
}

var errNoQueue = errors.New("no queue")
