package engine

import (
	"container/heap"
	"time"

	"github.com/sluicehq/sluice"
)

// queue is one queue's state, owned by its partition's goroutine.
type queue struct {
	id   uint64
	cfg  sluice.QueueConfig
	p    *partition
	fifo bool

	msgs     map[uint64]*message // live messages by sequence
	order    deque               // live messages in sequence order, for retention
	ready    readyIndex          // standard queues
	groups   fifoIndex           // FIFO queues
	dedup    map[string]dedupEntry
	dedupLog deque // dedup entries in expiry order, as messages carrying only dedup and sentAt
	nextSeq  uint64
	delayed  int
	inflight int
	waiters  []*waiter // parked receives, oldest first
	stats    counters
	push     *pushRec   // set on the hidden queue of an HTTP subscription
	tasks    *taskIndex // set on tracked queues

	tenants   map[string]*tenantStat // per-tenant statistics
	tenantCfg map[string]tenantRec   // tenant settings for this queue
}

type dedupEntry struct {
	id      [16]byte
	seq     uint64
	expires int64
}

type counters struct {
	sent, received, acked, returned, deadLettered, expired uint64
	ackLatency                                             latencyCounts
}

func newQueue(p *partition, id uint64, cfg sluice.QueueConfig) *queue {
	q := &queue{
		id:      id,
		cfg:     cfg,
		p:       p,
		fifo:    cfg.Type == sluice.FIFO,
		msgs:    make(map[uint64]*message),
		nextSeq: 1,
	}
	q.initReady()
	return q
}

func (q *queue) visible() int {
	if q.fifo {
		return q.groups.count
	}
	return q.ready.count
}

// add inserts a new message (from a send, a move, replay or a snapshot).
func (q *queue) add(m *message, now int64) {
	m.q = q
	m.heapIdx = -1
	q.msgs[m.seq] = m
	q.order.push(m)
	if q.tasks != nil {
		q.tasks.add(q.p, m)
	}
	if m.seq >= q.nextSeq {
		q.nextSeq = m.seq + 1
	}
	q.p.live += m.size()
	q.tenantAdded(m)
	if q.fifo {
		q.groups.group(m.group).msgs.push(m)
	}
	switch {
	case m.visible > now && m.nonce != 0 && m.receives > 0:
		q.setInvisible(m, stateInFlight, m.visible)
		if q.fifo {
			q.groups.group(m.group).inflight++
		}
	case m.visible > now:
		q.setInvisible(m, stateDelayed, m.visible)
	default:
		q.setReady(m, true)
	}
	if q.fifo {
		q.groups.update(q.groups.group(m.group))
	}
	q.syncTask(m)
}

// setReady makes m deliverable. fresh says it follows every message already
// in the ready index (a new send).
func (q *queue) setReady(m *message, fresh bool) {
	m.state = stateReady
	m.visible = 0
	q.syncTask(m)
	if q.fifo {
		q.groups.count++
		return
	}
	q.ready.add(m, fresh, q.p.now())
}

func (q *queue) setInvisible(m *message, s msgState, until int64) {
	m.state = s
	m.visible = until
	q.syncTask(m)
	if s == stateDelayed {
		q.delayed++
		q.tenantDelayed(m, 1)
	} else {
		q.inflight++
		q.tenantRestored(m)
	}
	heap.Push(&q.p.timers, m)
}

// leaveState undoes the bookkeeping of m's current state.
func (q *queue) leaveState(m *message) {
	switch m.state {
	case stateReady:
		if q.fifo {
			q.groups.count--
		} else {
			q.ready.removed(m, q.p.now())
		}
	case stateDelayed:
		q.delayed--
		q.tenantDelayed(m, -1)
		heap.Remove(&q.p.timers, int(m.heapIdx))
	case stateInFlight:
		q.inflight--
		q.tenantReleased(m)
		heap.Remove(&q.p.timers, int(m.heapIdx))
		if q.fifo {
			q.groups.group(m.group).inflight--
		}
	}
}

// becomeVisible is called when a delayed or in-flight message's time comes;
// the timer heap has already dropped it.
func (q *queue) becomeVisible(m *message) {
	switch m.state {
	case stateDelayed:
		q.delayed--
		q.tenantDelayed(m, -1)
	case stateInFlight:
		q.inflight--
		q.tenantReleased(m)
		q.stats.returned++
		if q.fifo {
			q.groups.group(m.group).inflight--
		}
	default:
		return
	}
	q.setReady(m, false)
	if q.fifo {
		q.groups.update(q.groups.group(m.group))
	}
	q.p.wake(q)
}

// remove deletes m from every index.
func (q *queue) remove(m *message) {
	if m.state == stateDeleted {
		return
	}
	q.leaveState(m)
	m.state = stateDeleted
	delete(q.msgs, m.seq)
	if q.tasks != nil {
		delete(q.tasks.ids, m.id)
		q.tasks.deactivate(m)
	}
	q.p.live -= m.size()
	q.tenantRemoved(m)
	if q.fifo {
		q.groups.update(q.groups.group(m.group))
	}
	if len(q.msgs) == 0 {
		q.order.reset()
	}
}

// lease marks m as delivered until until, with a fresh receipt nonce.
func (q *queue) lease(m *message, nonce uint64, until, now int64) {
	q.tenantLeased(m, now)
	m.nonce = nonce
	m.receives++
	if m.first == 0 {
		m.first = now
	}
	m.leased = now
	q.stats.received++
	// Taken from the ready index by the caller: only the timer is left.
	m.state = stateInFlight
	m.visible = until
	q.inflight++
	heap.Push(&q.p.timers, m)
	q.syncTask(m)
}

// setVisibility moves an in-flight message's deadline; at or before now it
// becomes visible again.
func (q *queue) setVisibility(m *message, until, now int64) {
	if m.state != stateInFlight {
		return
	}
	if until > now {
		m.visible = until
		heap.Fix(&q.p.timers, int(m.heapIdx))
		q.syncTask(m)
		return
	}
	heap.Remove(&q.p.timers, int(m.heapIdx))
	q.becomeVisible(m)
}

// oldest returns the live message with the lowest sequence, or nil.
func (q *queue) oldest() *message {
	return q.order.front(func(m *message) bool { return m.state == stateDeleted || m.q != q })
}

// housekeep drops messages past retention and dedup entries past the window.
func (q *queue) housekeep(now int64) {
	q.sweepTenants(now)
	ret := int64(q.cfg.Retention)
	for {
		m := q.oldest()
		if m == nil || m.sentAt+ret > now {
			break
		}
		if m.state == stateMoving {
			break // its move will delete it
		}
		q.order.pop()
		q.remove(m)
		q.finished(m, sluice.TaskExpired, m.sentAt+ret)
		q.stats.expired++
		// Expiry needs no record: replay drops expired messages the same way.
	}
	for {
		d := q.dedupLog.front(func(*message) bool { return false })
		if d == nil || d.visible > now {
			break
		}
		q.dedupLog.pop()
		if e, ok := q.dedup[d.dedup]; ok && e.expires <= now {
			delete(q.dedup, d.dedup)
		}
	}
	if q.tasks != nil {
		q.expireDone(now)
	}
}

// dedupKey returns the key under which a FIFO message's deduplication id is
// remembered: the id itself, or with the messageGroup scope the group and
// the id, so that equal ids in different groups are distinct.
func (q *queue) dedupKey(group, dedup string) string {
	if q.cfg.DedupScope == sluice.DedupPerGroup {
		return group + "\x00" + dedup
	}
	return dedup
}

// remember records a FIFO deduplication id (a key from dedupKey) until expires.
func (q *queue) remember(dedup string, id [16]byte, seq uint64, expires int64) {
	if q.dedup == nil {
		q.dedup = make(map[string]dedupEntry)
	}
	q.dedup[dedup] = dedupEntry{id: id, seq: seq, expires: expires}
	q.dedupLog.push(&message{dedup: dedup, visible: expires})
}

// stats returns the queue's statistics at now.
func (q *queue) snapshotStats(now int64) sluice.QueueStats {
	s := sluice.QueueStats{
		Name:         q.cfg.Name,
		Visible:      q.visible(),
		InFlight:     q.inflight,
		Delayed:      q.delayed,
		Waiting:      len(q.waiters),
		Sent:         q.stats.sent,
		Received:     q.stats.received,
		Acked:        q.stats.acked,
		Returned:     q.stats.returned,
		DeadLettered: q.stats.deadLettered,
		Expired:      q.stats.expired,
		Tenants:      len(q.tenants),
	}
	if m := q.oldest(); m != nil {
		s.OldestAge = time.Duration(max(now-m.sentAt, 0))
	}
	return s
}
