package engine

import (
	"github.com/sluicehq/sluice"
)

// apply changes the partition's state as o says. It is the only way state
// changes that are written to the journal, used both online (before the
// record is logged) and when replaying the journal or a snapshot.
func (p *partition) apply(o *op, now int64) {
	if o.typ == opTier || o.typ == opTenant {
		p.applyTenant(o)
		return
	}
	if o.typ >= opTaskLease {
		p.applyTask(o, now)
		return
	}
	if o.typ >= opTopicCreate {
		p.applyTopic(o, now)
		return
	}
	if o.typ == opQueueCreate {
		cfg := o.config.config()
		q := newQueue(p, o.queue, cfg)
		q.push = o.config.Push
		q.track()
		p.queues[cfg.Name] = q
		p.byID[q.id] = q
		p.nextQID = max(p.nextQID, o.queue)
		return
	}
	q := p.byID[o.queue]
	if q == nil {
		// Records about a deleted queue can follow its delete in a snapshot
		// race; they have nothing left to change.
		return
	}
	switch o.typ {
	case opQueueUpdate:
		q.cfg = o.config.config()
		q.cfg.DisableFairness = q.ready.unfair // fixed at creation
		q.push = o.config.Push
		q.track()
	case opQueueDelete:
		p.dropQueue(q)
	case opPurge:
		for seq, m := range q.msgs {
			if seq <= o.seq {
				q.remove(m)
				q.finished(m, sluice.TaskPurged, now)
			}
		}
	case opSend:
		r := &o.msg
		m := &message{
			seq: o.seq, id: r.id, sentAt: r.sentAt, visible: r.visible, first: r.first,
			receives: int32(r.receives), nonce: r.nonce, tenant: r.tenant, group: r.group,
			dedup: r.dedup, source: r.source, trace: r.trace, attrs: r.attrs, body: r.body,
		}
		if m.sentAt+int64(q.cfg.Retention) <= now {
			q.nextSeq = max(q.nextSeq, m.seq+1)
			q.finished(m, sluice.TaskExpired, m.sentAt+int64(q.cfg.Retention))
			return // expired while the server was down
		}
		q.add(m, now)
		q.stats.sent++
		if q.fifo && m.dedup != "" && m.sentAt+int64(sluice.DedupWindow) > now {
			q.remember(q.dedupKey(m.group, m.dedup), m.id, m.seq, m.sentAt+int64(sluice.DedupWindow))
		}
		if m.state == stateReady {
			p.wake(q)
		}
	case opLease:
		q.applyLease(o, now)
	case opVisibility:
		if m := q.msgs[o.seq]; m != nil {
			q.setVisibility(m, o.visible, now)
		}
	case opDelete:
		if m := q.msgs[o.seq]; m != nil {
			q.remove(m)
		}
	case opDedup:
		if o.expires > now {
			q.remember(o.dedup, o.msgID, o.seq, o.expires)
		}
	case opQueueSeq:
		q.nextSeq = max(q.nextSeq, o.seq)
	}
}

// dropQueue deletes q and its messages, answering its parked receives.
func (p *partition) dropQueue(q *queue) {
	for _, m := range q.msgs {
		q.remove(m)
	}
	for _, w := range q.waiters {
		if w.heapIdx >= 0 {
			removeWaiter(&p.waiters, w)
		}
		w.reply(nil, sluice.ErrQueueNotFound)
	}
	q.waiters = nil
	q.dropTasks()
	delete(p.queues, q.cfg.Name)
	delete(p.byID, q.id)
}

// applyLease applies a lease record (opLease, or the lease of opTaskLease)
// and returns the leased message, or nil if it is gone.
func (q *queue) applyLease(o *op, now int64) *message {
	m := q.msgs[o.seq]
	if m == nil || m.state == stateDeleted {
		return nil
	}
	q.leaveState(m)
	m.receives = int32(o.count) - 1 // lease adds one
	q.lease(m, o.nonce, o.visible, o.first)
	m.first = o.first
	if q.fifo {
		g := q.groups.group(m.group)
		g.inflight++
		q.groups.update(g)
	} else {
		q.ready.leased(m, now)
	}
	return m
}
