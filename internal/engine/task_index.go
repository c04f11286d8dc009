package engine

// The active-task table: a tracked queue's live tasks as compact records in
// a slice, kept in step with their messages, so that the Task Monitor's
// scans over a million tasks read memory in order instead of chasing a
// pointer per task.

// activeRec mirrors what the monitor reads of one live task.
type activeRec struct {
	sentAt  int64
	started int64 // start of the current or last attempt, 0 before the first
	visible int64 // in flight: the lease deadline
	m       *message
	tenant  int32 // index in taskIndex.tenants
	flags   uint8
}

const (
	recInFlight uint8 = 1 << iota
	recReady
	recMoving
	recReceived // delivered at least once
	recFailed   // the last attempt failed and none started since
)

// tenantID interns a tenant name.
func (t *taskIndex) tenantID(name string) int32 {
	if t.lastTenant < int32(len(t.tenants)) && t.tenants[t.lastTenant] == name {
		return t.lastTenant // runs of one tenant's sends skip the map
	}
	id, ok := t.tenantIDs[name]
	defer func() { t.lastTenant = id }()
	if !ok {
		id = int32(len(t.tenants))
		t.tenants = append(t.tenants, name)
		t.tenantIDs[name] = id
	}
	return id
}

// activate adds m to the table; m.tidx is its position plus one.
func (t *taskIndex) activate(m *message) {
	t.active = append(t.active, activeRec{m: m, sentAt: m.sentAt, tenant: t.tenantID(m.tenant)})
	m.tidx = int32(len(t.active))
	t.sync(m)
}

// deactivate removes m from the table.
func (t *taskIndex) deactivate(m *message) {
	i := int(m.tidx) - 1
	if i < 0 {
		return
	}
	last := len(t.active) - 1
	if i != last {
		t.active[i] = t.active[last]
		t.active[i].m.tidx = int32(i + 1)
	}
	t.active[last] = activeRec{}
	t.active = t.active[:last]
	m.tidx = 0
}

// sync copies m's state into its record.
func (t *taskIndex) sync(m *message) {
	i := int(m.tidx) - 1
	if i < 0 {
		return
	}
	r := &t.active[i]
	r.visible = m.visible
	var f uint8
	switch m.state {
	case stateInFlight:
		f = recInFlight
	case stateReady:
		f = recReady
	case stateMoving:
		f = recMoving
	}
	if m.receives > 0 {
		f |= recReceived
	}
	r.started = 0
	if m.task != nil {
		r.started = m.task.started
		if m.task.failed {
			f |= recFailed
		}
	}
	r.flags = f
}

// syncTask keeps q's active-task table in step with m, when q is tracked.
func (q *queue) syncTask(m *message) {
	if q.tasks != nil && m.tidx > 0 {
		q.tasks.sync(m)
	}
}

// classify is ageOf for a record.
func (r *activeRec) classify(now int64) (skip, running bool, age int64, orphaned, retrying bool) {
	switch {
	case r.flags&recMoving != 0:
		return true, false, 0, false, false
	case r.flags&recInFlight != 0:
		start := r.sentAt
		if r.started != 0 {
			start = r.started
		}
		return false, r.visible > now, now - start, r.visible <= now, false
	}
	failed := r.flags&recFailed != 0
	return false, false, now - r.sentAt, r.flags&recReady != 0 && r.flags&recReceived != 0 && !failed, failed
}
