package engine

import (
	"time"

	"github.com/sluicehq/sluice"
)

// Tracked queues. Each message of a tracked queue is a task. While it lives,
// its status is derived from the message (ready, delayed, in flight) and its
// taskInfo; once finished, a taskDone keeps its status for the queue's task
// retention. Every change is journaled: deliveries as opTaskLease, failed
// attempts as opTaskFail, endings as opTaskFinish. Expiry and purges are
// replayed from the records that already describe them.

// taskState is a finished task's state, as stored in records.
type taskState uint8

const (
	taskSucceeded taskState = iota + 1
	taskDead
	taskExpired
	taskPurged
)

func (s taskState) public() sluice.TaskState {
	switch s {
	case taskSucceeded:
		return sluice.TaskSucceeded
	case taskDead:
		return sluice.TaskDead
	case taskExpired:
		return sluice.TaskExpired
	}
	return sluice.TaskPurged
}

func finishedState(s sluice.TaskState) taskState {
	switch s {
	case sluice.TaskSucceeded:
		return taskSucceeded
	case sluice.TaskDead:
		return taskDead
	case sluice.TaskExpired:
		return taskExpired
	}
	return taskPurged
}

// taskInfo is a live task's attempt details.
type taskInfo struct {
	started int64  // when the current or last attempt began
	worker  string // who received it
	err     string // the last failed attempt's error
	failed  bool   // the last attempt failed and no attempt started since
}

// taskDone is a finished task's status.
type taskDone struct {
	id       [16]byte
	seq      uint64
	state    taskState
	attempts int32
	sentAt   int64
	started  int64
	at       int64 // finished at
	tenant   string
	worker   string
	err      string
	dlq      string
	result   []byte
}

func (d *taskDone) size() int64 {
	return int64(len(d.tenant)+len(d.worker)+len(d.err)+len(d.dlq)+len(d.result)) + 96
}

// taskIndex is a tracked queue's task bookkeeping, owned by its partition's
// goroutine.
type taskIndex struct {
	ids map[[16]byte]uint64 // live task id -> sequence
	// active holds the live tasks for the monitor's scans, in no order;
	// tenants interns their tenants.
	active     []activeRec
	tenants    []string
	tenantIDs  map[string]int32
	lastTenant int32                  // the tenant interned last
	done       map[[16]byte]*taskDone // finished tasks kept for the retention
	log        []*taskDone            // finished tasks in order of finishing
	head       int                    // first live entry of log
}

// track sets up q's task index when its config makes it tracked.
func (q *queue) track() {
	if q.cfg.Tasks == nil || q.tasks != nil {
		return
	}
	q.tasks = &taskIndex{
		ids:       make(map[[16]byte]uint64, len(q.msgs)),
		done:      make(map[[16]byte]*taskDone),
		tenantIDs: make(map[string]int32),
	}
	for seq, m := range q.msgs {
		q.tasks.ids[m.id] = seq
		q.tasks.activate(m)
	}
}

// add indexes the live task m. A task redriven back into its queue is live
// again: its finished status goes.
func (t *taskIndex) add(p *partition, m *message) {
	t.ids[m.id] = m.seq
	t.activate(m)
	if d := t.done[m.id]; d != nil {
		delete(t.done, m.id)
		p.live -= d.size()
	}
}

// dropTasks forgets q's finished statuses, for a deleted queue.
func (q *queue) dropTasks() {
	if q.tasks == nil {
		return
	}
	for _, d := range q.tasks.done {
		q.p.live -= d.size()
	}
	q.tasks = nil
}

// finished records the end of m, already removed from q, when q is tracked.
func (q *queue) finished(m *message, s sluice.TaskState, at int64) {
	if q.tasks == nil {
		return
	}
	d := &taskDone{
		id: m.id, seq: m.seq, state: finishedState(s), attempts: m.receives,
		sentAt: m.sentAt, at: at, tenant: m.tenant,
	}
	if t := m.task; t != nil {
		d.started, d.worker, d.err = t.started, t.worker, t.err
	}
	q.keep(d)
}

// keep adds a finished status. A task finishes once while live, so there
// is no status to replace but in replay (see applyTask).
func (q *queue) keep(d *taskDone) {
	t := q.tasks
	t.done[d.id] = d
	t.log = append(t.log, d)
	q.p.live += d.size()
}

// expireDone drops q's finished statuses older than the task retention.
func (q *queue) expireDone(now int64) {
	t := q.tasks
	ret := int64(q.cfg.Tasks.Retention)
	for t.head < len(t.log) {
		d := t.log[t.head]
		if d.at+ret > now {
			break
		}
		if t.done[d.id] == d {
			delete(t.done, d.id)
			q.p.live -= d.size()
		}
		t.log[t.head] = nil
		t.head++
	}
	if t.head == len(t.log) {
		t.log, t.head = t.log[:0], 0
	} else if t.head > 1024 && t.head*2 > len(t.log) {
		n := copy(t.log, t.log[t.head:])
		clear(t.log[n:])
		t.log, t.head = t.log[:n], 0
	}
}

// applyTask applies a task record; see apply.
func (p *partition) applyTask(o *op, now int64) {
	q := p.byID[o.queue]
	if q == nil {
		return
	}
	t := &o.task
	switch o.typ {
	case opTaskLease:
		if m := q.applyLease(o, now); m != nil {
			q.started(m, t.at, t.worker)
		}
	case opTaskFail:
		if m := q.msgs[o.seq]; m != nil && m.state == stateInFlight {
			q.failAttempt(m, t.err, o.visible, now)
		}
	case opTaskFinish:
		d := &taskDone{
			id: o.msgID, seq: o.seq, state: t.state, attempts: int32(t.attempts),
			sentAt: t.sentAt, started: t.started, at: t.at, tenant: t.tenant,
			worker: t.worker, err: t.err, dlq: t.dlq, result: t.result,
		}
		m := q.msgs[o.seq]
		if !t.full {
			// The rest is the live task's; or, when it expired while the
			// server was down, the expired status's.
			if m != nil {
				d.attempts, d.sentAt, d.tenant = m.receives, m.sentAt, m.tenant
				if m.task != nil {
					d.started, d.worker = m.task.started, m.task.worker
					if d.err == "" {
						d.err = m.task.err
					}
				}
			} else if old := q.doneOf(o.msgID); old != nil {
				d.attempts, d.sentAt, d.started, d.tenant, d.worker = old.attempts, old.sentAt, old.started, old.tenant, old.worker
			}
		}
		if m == nil {
			if old := q.doneOf(o.msgID); old != nil {
				p.live -= old.size() // replaced below
			}
		}
		if m != nil {
			q.remove(m)
			if t.state == taskSucceeded {
				q.stats.acked++
			}
		}
		if q.tasks == nil || t.at+int64(q.cfg.Tasks.Retention) <= now {
			return
		}
		q.keep(d)
	case opTaskState:
		if m := q.msgs[o.seq]; m != nil {
			m.task = &taskInfo{started: t.at, worker: t.worker, err: t.err, failed: t.failed}
			q.syncTask(m)
		}
	}
}

// started records the start of an attempt on m.
func (q *queue) started(m *message, at int64, worker string) {
	if m.task == nil {
		m.task = &taskInfo{}
	}
	m.task.started, m.task.worker, m.task.failed = at, worker, false
	q.syncTask(m)
}

// failAttempt ends m's attempt with an error and delays it until next.
func (q *queue) failAttempt(m *message, err string, next, now int64) {
	q.leaveState(m)
	if m.task == nil {
		m.task = &taskInfo{}
	}
	m.task.err, m.task.failed = err, true
	m.nonce = 0 // the attempt's receipt is now stale
	if next > now {
		q.setInvisible(m, stateDelayed, next)
	} else {
		q.setReady(m, false)
		q.p.wake(q)
	}
	if q.fifo {
		q.groups.update(q.groups.group(m.group))
	}
}

// exhausted reports whether m has used up its deliveries and must go to the
// dead-letter queue (or, on a tracked queue without one, die) instead of
// being delivered again.
func (q *queue) exhausted(m *message) bool {
	if m.stuck {
		return false
	}
	if q.cfg.Tasks != nil {
		return int(m.receives) >= q.maxAttempts()
	}
	dl := q.cfg.DeadLetter
	return dl != nil && int(m.receives) >= dl.MaxReceives
}

// maxAttempts returns how many deliveries a task of tracked queue q gets:
// its policy's MaxAttempts, or its dead-letter policy's MaxReceives when
// that is lower, so that both limits hold (an SQS client sets the second
// as the RedrivePolicy's maxReceiveCount).
func (q *queue) maxAttempts() int {
	n := q.cfg.Tasks.MaxAttempts
	if dl := q.cfg.DeadLetter; dl != nil {
		n = min(n, dl.MaxReceives)
	}
	return n
}

// finishOp returns the record that ends m as s. Its other details are m's,
// which apply reads from the live message.
func (q *queue) finishOp(m *message, s sluice.TaskState, at int64, errText, dlq string, result []byte) op {
	if errText == "" && m.task != nil {
		errText = m.task.err
	}
	return op{typ: opTaskFinish, queue: q.id, seq: m.seq, msgID: m.id, task: taskRec{
		state: finishedState(s), at: at, err: errText, dlq: dlq, result: result,
	}}
}

// doneOf returns the kept status of task id, or nil.
func (q *queue) doneOf(id [16]byte) *taskDone {
	if q.tasks == nil {
		return nil
	}
	return q.tasks.done[id]
}

// status returns the status of a live task.
func (q *queue) status(m *message) sluice.TaskStatus {
	s := sluice.TaskStatus{
		ID: formatID(m.id), Queue: q.cfg.Name, Tenant: m.tenant, Attempt: int(m.receives),
		CreatedAt: unixUTC(m.sentAt),
	}
	if t := m.task; t != nil {
		s.StartedAt, s.Worker, s.LastError = unixUTC(t.started), t.worker, t.err
	}
	switch m.state {
	case stateReady:
		s.State = sluice.TaskQueued
	case stateDelayed:
		s.State = sluice.TaskDelayed
		if m.task != nil && m.task.failed {
			s.State = sluice.TaskFailed
		}
		s.NextAttemptAt = unixUTC(m.visible)
	case stateInFlight:
		s.State = sluice.TaskRunning
		s.LeaseDeadline = unixUTC(m.visible)
	default: // being moved to the dead-letter queue
		s.State = sluice.TaskDead
		if dl := q.cfg.DeadLetter; dl != nil {
			s.DeadLetterQueue = dl.Queue
		}
	}
	return s
}

// status returns a finished task's status.
func (d *taskDone) status(queue string) sluice.TaskStatus {
	return sluice.TaskStatus{
		ID: formatID(d.id), Queue: queue, Tenant: d.tenant, State: d.state.public(),
		Attempt: int(d.attempts), CreatedAt: unixUTC(d.sentAt), StartedAt: unixUTC(d.started),
		Worker: d.worker, FinishedAt: unixUTC(d.at), LastError: d.err,
		Result: d.result, DeadLetterQueue: d.dlq,
	}
}

// unixUTC returns the time of a Unix nanosecond stamp, zero for zero.
func unixUTC(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
