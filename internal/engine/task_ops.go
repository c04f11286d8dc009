package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sluicehq/sluice"
)

// finishTask ends the live task m as s, journaling it.
func (p *partition) finishTask(q *queue, m *message, s sluice.TaskState, dlq string, result []byte) {
	o := q.finishOp(m, s, p.now(), "", dlq, result)
	p.apply(&o, p.now())
	p.log(&o)
}

// captureTasks appends a record standing for q's kept finished statuses,
// which writeSnapshot expands. Statuses never change once kept, so the
// snapshot shares them.
func (q *queue) captureTasks(ops []op) []op {
	if q.tasks == nil {
		return ops
	}
	kept := make([]*taskDone, 0, len(q.tasks.done))
	for _, d := range q.tasks.log[q.tasks.head:] {
		if q.tasks.done[d.id] == d {
			kept = append(kept, d)
		}
	}
	return append(ops, op{typ: opTaskFinish, queue: q.id, kept: kept})
}

// finishOp returns the record that restores d in queue qid.
func (d *taskDone) finishOp(qid uint64) op {
	return op{typ: opTaskFinish, queue: qid, seq: d.seq, msgID: d.id, task: taskRec{
		full: true, state: d.state, at: d.at, attempts: int64(d.attempts), sentAt: d.sentAt, started: d.started,
		tenant: d.tenant, worker: d.worker, err: d.err, dlq: d.dlq, result: d.result,
	}}
}

// trackedQueue returns the named queue if it is tracked.
func (p *partition) trackedQueue(name string) (*queue, error) {
	q, err := p.queue(name)
	if err != nil {
		return nil, err
	}
	if q.tasks == nil {
		return nil, fmt.Errorf("%w: %s", sluice.ErrNotTracked, name)
	}
	return q, nil
}

// runningTask resolves a receipt to a running task of q.
func (q *queue) runningTask(receipt string) (*message, error) {
	m, err := q.findLeased(receipt)
	if err != nil {
		return nil, err
	}
	if m == nil || m.state != stateInFlight {
		return nil, fmt.Errorf("%w: the task is not running", sluice.ErrReceiptStale)
	}
	return m, nil
}

// CompleteTask ends a running task of a tracked queue as succeeded with a
// result and returns its status once durable. The receipt is the one its
// delivery carried; a receipt of an earlier attempt is
// sluice.ErrReceiptStale. A result over the queue's MaxResultSize is a
// *sluice.LimitError for "result".
func (e *Engine) CompleteTask(ctx context.Context, queue, receipt string, result []byte) (sluice.TaskStatus, error) {
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func(sluice.TaskStatus, error)) {
		if err := e.writable(); err != nil {
			reply(sluice.TaskStatus{}, err)
			return
		}
		q, err := p.trackedQueue(queue)
		if err != nil {
			reply(sluice.TaskStatus{}, err)
			return
		}
		if n := q.cfg.Tasks.MaxResultSize; len(result) > n {
			reply(sluice.TaskStatus{}, &sluice.LimitError{Field: "result", Limit: int64(n), Got: int64(len(result))})
			return
		}
		m, err := q.runningTask(receipt)
		if err != nil {
			reply(sluice.TaskStatus{}, err)
			return
		}
		o := q.finishOp(m, sluice.TaskSucceeded, p.now(), "", "", bytes.Clone(result))
		p.apply(&o, p.now())
		p.log(&o)
		st := sluice.TaskStatus{ID: formatID(m.id), Queue: q.cfg.Name, State: sluice.TaskSucceeded}
		if d := q.tasks.done[m.id]; d != nil {
			st = d.status(q.cfg.Name)
		}
		durable(p, reply, st)
	})
}

// FailTask ends a running task's attempt with an error. The task is retried
// after the queue's backoff (or f.RetryAfter), unless f.Permanent is set or
// it has used its attempts: then it is dead, and moved to the queue's
// dead-letter queue if it has one. It returns the task's status once the
// failure is durable; a dead task may report its move as still under way.
func (e *Engine) FailTask(ctx context.Context, queue, receipt string, f sluice.TaskFailure) (sluice.TaskStatus, error) {
	if r := f.RetryAfter; r != nil && (*r < 0 || *r > e.limits.MaxRetention) {
		return sluice.TaskStatus{}, sluice.Invalid("retry_after", "%v is outside 0 to %v", *r, e.limits.MaxRetention)
	}
	errText := f.Error
	if len(errText) > sluice.MaxTaskErrorSize {
		errText = errText[:sluice.MaxTaskErrorSize]
	}
	if errText == "" {
		errText = "failed"
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func(sluice.TaskStatus, error)) {
		if err := e.writable(); err != nil {
			reply(sluice.TaskStatus{}, err)
			return
		}
		q, err := p.trackedQueue(queue)
		if err != nil {
			reply(sluice.TaskStatus{}, err)
			return
		}
		m, err := q.runningTask(receipt)
		if err != nil {
			reply(sluice.TaskStatus{}, err)
			return
		}
		now := p.now()
		pol := q.cfg.Tasks
		if f.Permanent || int(m.receives) >= q.maxAttempts() {
			// The attempt's details stay in memory only: the finish record
			// written when the move completes carries them.
			q.leaveState(m)
			if m.task == nil {
				m.task = &taskInfo{}
			}
			m.task.err, m.task.failed = errText, true
			p.deadLetter(q, m)
			if q.fifo {
				q.groups.update(q.groups.group(m.group))
			}
			durable(p, reply, q.status(m))
			return
		}
		wait := pol.Backoff(int(m.receives))
		if f.RetryAfter != nil {
			wait = *f.RetryAfter
		} else {
			wait = wait/2 + time.Duration(p.rng.Uint64()%uint64(wait/2+1))
		}
		o := &op{typ: opTaskFail, queue: q.id, seq: m.seq, visible: now + int64(wait), task: taskRec{at: now, err: errText}}
		p.apply(o, now)
		p.log(o)
		durable(p, reply, q.status(m))
	})
}

// TaskStatus returns the status of a task of a tracked queue, or
// sluice.ErrTaskNotFound. The status is durable: a crash cannot take it back.
func (e *Engine) TaskStatus(ctx context.Context, queue, id string) (sluice.TaskStatus, error) {
	tid, ok := parseID(id)
	if !ok {
		return sluice.TaskStatus{}, fmt.Errorf("%w: %q is not a task id", sluice.ErrTaskNotFound, id)
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func(sluice.TaskStatus, error)) {
		q, err := p.trackedQueue(queue)
		if err != nil {
			reply(sluice.TaskStatus{}, err)
			return
		}
		// Answers wait for the records already logged to be durable, so a
		// status a client sees survives a crash.
		if seq, ok := q.tasks.ids[tid]; ok {
			durable(p, reply, q.status(q.msgs[seq]))
			return
		}
		if d := q.tasks.done[tid]; d != nil {
			durable(p, reply, d.status(q.cfg.Name))
			return
		}
		reply(sluice.TaskStatus{}, fmt.Errorf("%w: %s", sluice.ErrTaskNotFound, id))
	})
}

// ListTasks returns a page of a tracked queue's tasks matching f, live and
// finished, in order of creation.
func (e *Engine) ListTasks(ctx context.Context, queue string, f sluice.TaskFilter) (sluice.TaskPage, error) {
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if limit < 0 || limit > 1000 {
		return sluice.TaskPage{}, sluice.Invalid("limit", "%d is outside 1 to 1000", limit)
	}
	for i, s := range f.States {
		if !s.Valid() {
			return sluice.TaskPage{}, sluice.Invalid(fmt.Sprintf("state[%d]", i), "%q is not a task state", s)
		}
	}
	p := e.partitionFor(queue)
	return call(ctx, p, func(reply func(sluice.TaskPage, error)) {
		q, err := p.trackedQueue(queue)
		if err != nil {
			reply(sluice.TaskPage{}, err)
			return
		}
		durable(p, reply, q.listTasks(f, limit))
	})
}

// listTasks merges q's live tasks (in sequence order in q.order) with its
// finished ones, both after the cursor.
func (q *queue) listTasks(f sluice.TaskFilter, limit int) sluice.TaskPage {
	wants := func(s sluice.TaskState, tenant string) bool {
		return (f.Tenant == "" || tenant == f.Tenant) && (len(f.States) == 0 || slices.Contains(f.States, s))
	}
	type entry struct {
		seq uint64
		st  sluice.TaskStatus
	}
	var done []entry
	for _, d := range q.tasks.done {
		if d.seq > f.After && wants(d.state.public(), d.tenant) {
			done = append(done, entry{d.seq, d.status(q.cfg.Name)})
		}
	}
	slices.SortFunc(done, func(a, b entry) int { return compareSeq(a.seq, b.seq) })
	if len(done) > limit+1 {
		done = done[:limit+1]
	}
	var live []entry
	buf := q.order.buf[q.order.head:]
	start, _ := slices.BinarySearchFunc(buf, f.After+1, func(m *message, seq uint64) int { return compareSeq(m.seq, seq) })
	for _, m := range buf[start:] {
		if len(live) > limit {
			break
		}
		if m.state == stateDeleted || m.q != q {
			continue
		}
		if st := q.status(m); wants(st.State, m.tenant) {
			live = append(live, entry{m.seq, st})
		}
	}
	var page sluice.TaskPage
	i, j := 0, 0
	for len(page.Tasks) < limit && (i < len(done) || j < len(live)) {
		var e entry
		if j == len(live) || i < len(done) && done[i].seq < live[j].seq {
			e, i = done[i], i+1
		} else {
			e, j = live[j], j+1
		}
		page.Tasks = append(page.Tasks, e.st)
		page.Next = e.seq
	}
	if i == len(done) && j == len(live) {
		page.Next = 0
	}
	if page.Tasks == nil {
		page.Tasks = []sluice.TaskStatus{}
	}
	return page
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseID parses a task id in the form formatID writes.
func parseID(s string) (id [16]byte, ok bool) {
	if len(s) != 36 {
		return id, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return id, false
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return id, false
		}
		id[j] = hi<<4 | lo
		j++
		i += 2
	}
	return id, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
