package engine

import (
	"fmt"
	"slices"
)

// checkInvariants verifies that a partition's indexes agree with its
// messages. It is run by the randomized tests after every step.
func (p *partition) checkInvariants() error {
	timers := 0
	for _, q := range p.queues {
		var ready, delayed, inflight int
		for seq, m := range q.msgs {
			if m.seq != seq || m.q != q {
				return fmt.Errorf("queue %s: message %d misfiled", q.cfg.Name, seq)
			}
			switch m.state {
			case stateReady:
				ready++
			case stateDelayed:
				delayed++
			case stateInFlight:
				inflight++
			case stateDeleted:
				return fmt.Errorf("queue %s: deleted message %d still live", q.cfg.Name, seq)
			}
			if (m.state == stateDelayed || m.state == stateInFlight) != (m.heapIdx >= 0) {
				return fmt.Errorf("queue %s: message %d in state %d has timer index %d", q.cfg.Name, seq, m.state, m.heapIdx)
			}
			if m.heapIdx >= 0 {
				timers++
				if p.timers[m.heapIdx] != m {
					return fmt.Errorf("queue %s: message %d timer index wrong", q.cfg.Name, seq)
				}
			}
		}
		if q.visible() != ready || q.delayed != delayed || q.inflight != inflight {
			return fmt.Errorf("queue %s: counts visible=%d delayed=%d inflight=%d, messages say %d/%d/%d",
				q.cfg.Name, q.visible(), q.delayed, q.inflight, ready, delayed, inflight)
		}
		if err := q.checkTenants(); err != nil {
			return fmt.Errorf("queue %s: %w", q.cfg.Name, err)
		}
		if err := q.checkTasks(); err != nil {
			return fmt.Errorf("queue %s: %w", q.cfg.Name, err)
		}
		if q.fifo {
			if err := q.checkGroups(); err != nil {
				return fmt.Errorf("queue %s: %w", q.cfg.Name, err)
			}
		} else if err := q.checkReady(ready); err != nil {
			return fmt.Errorf("queue %s: %w", q.cfg.Name, err)
		}
	}
	if timers != len(p.timers) {
		return fmt.Errorf("timer heap has %d entries, messages account for %d", len(p.timers), timers)
	}
	return nil
}

func (q *queue) checkReady(ready int) error {
	seen := map[*message]bool{}
	inflight := map[string]int{}
	for _, m := range q.msgs {
		if m.state == stateInFlight {
			inflight[q.ready.key(m)]++
		}
	}
	total := 0
	for name, t := range q.ready.tenants {
		n := 0
		for _, m := range t.fresh.buf[t.fresh.head:] {
			if m.state == stateReady && !seen[m] {
				seen[m] = true
				n++
			}
		}
		for _, m := range t.returned {
			if m.state == stateReady && !seen[m] {
				seen[m] = true
				n++
			}
		}
		if n != t.ready {
			return fmt.Errorf("tenant %q counts %d ready, holds %d", name, t.ready, n)
		}
		if (n > 0) != t.flow.Backlogged() {
			return fmt.Errorf("tenant %q with %d ready is scheduled: %v", name, n, t.flow.Backlogged())
		}
		if t.flow.InFlight() != inflight[name] {
			return fmt.Errorf("tenant %q flow counts %d in flight, messages say %d", name, t.flow.InFlight(), inflight[name])
		}
		delete(inflight, name)
		total += n
	}
	for name, n := range inflight {
		return fmt.Errorf("tenant %q has %d in flight and no flow", name, n)
	}
	if total != ready || q.ready.count != ready {
		return fmt.Errorf("ready index holds %d (count %d), queue has %d ready", total, q.ready.count, ready)
	}
	return nil
}

// checkTenants verifies the per-tenant statistics' counts.
func (q *queue) checkTenants() error {
	type counts struct{ live, delayed, inflight int }
	want := map[string]counts{}
	for _, m := range q.msgs {
		c := want[m.tenant]
		c.live++
		switch m.state {
		case stateDelayed:
			c.delayed++
		case stateInFlight:
			c.inflight++
		}
		want[m.tenant] = c
	}
	for name, s := range q.tenants {
		got := counts{s.live, s.delayed, s.inflight}
		if got != want[name] {
			return fmt.Errorf("tenant %q statistics count %+v, messages say %+v", name, got, want[name])
		}
		delete(want, name)
	}
	for name, c := range want {
		return fmt.Errorf("tenant %q has %+v and no statistics", name, c)
	}
	return nil
}

func (q *queue) checkGroups() error {
	inRing := map[*group]bool{}
	if c := q.groups.cursor; c != nil {
		for g := c; ; g = g.next {
			inRing[g] = true
			if q.groups.groups[g.name] != g {
				return fmt.Errorf("ring holds group %q that is not in the map", g.name)
			}
			if g.next == c {
				break
			}
		}
	}
	placed := map[*message]bool{}
	for name, g := range q.groups.groups {
		inflight := 0
		var head *message
		prev := uint64(0)
		for _, m := range g.msgs.buf[g.msgs.head:] {
			if m.state == stateDeleted {
				continue
			}
			if m.seq <= prev {
				return fmt.Errorf("group %q out of order at %d", name, m.seq)
			}
			prev = m.seq
			if head == nil {
				head = m
			}
			if m.group != name || q.msgs[m.seq] != m {
				return fmt.Errorf("group %q holds foreign or dead message %d", name, m.seq)
			}
			placed[m] = true
			if m.state == stateInFlight {
				inflight++
			}
		}
		if inflight != g.inflight {
			return fmt.Errorf("group %q counts %d in flight, holds %d", name, g.inflight, inflight)
		}
		avail := inflight == 0 && head != nil && head.state == stateReady
		if avail != inRing[g] {
			return fmt.Errorf("group %q available=%v but in ring=%v", name, avail, inRing[g])
		}
	}
	for _, m := range q.msgs {
		if !placed[m] {
			return fmt.Errorf("message %d of group %q is in no group", m.seq, m.group)
		}
	}
	return nil
}

// checkTasks verifies a tracked queue's task index: every live message is
// indexed by id, nothing else is, and no finished status names a live task.
func (q *queue) checkTasks() error {
	t := q.tasks
	if t == nil {
		return nil
	}
	if len(t.ids) != len(q.msgs) {
		return fmt.Errorf("task index holds %d ids for %d messages", len(t.ids), len(q.msgs))
	}
	for id, seq := range t.ids {
		m := q.msgs[seq]
		if m == nil || m.id != id {
			return fmt.Errorf("task %s indexed at %d, which holds another message", formatID(id), seq)
		}
		if m.receives > 0 && m.task == nil {
			return fmt.Errorf("task %s delivered %d times has no attempt details", formatID(id), m.receives)
		}
		if t.done[id] != nil {
			return fmt.Errorf("task %s is both live and finished", formatID(id))
		}
	}
	if len(t.active) != len(q.msgs) {
		return fmt.Errorf("active-task table holds %d records for %d messages", len(t.active), len(q.msgs))
	}
	for i := range t.active {
		r := t.active[i]
		m := r.m
		if q.msgs[m.seq] != m || int(m.tidx) != i+1 {
			return fmt.Errorf("active-task record %d names message %d at %d", i, m.seq, m.tidx)
		}
		want := r
		t.sync(m)
		if t.active[i] != want {
			return fmt.Errorf("active-task record of %d is stale: %+v, message says %+v", m.seq, want, t.active[i])
		}
		if t.tenants[r.tenant] != m.tenant {
			return fmt.Errorf("active-task record of %d has tenant %q, message %q", m.seq, t.tenants[r.tenant], m.tenant)
		}
	}
	for id, d := range t.done {
		if d.id != id || !slices.Contains(t.log[t.head:], d) {
			return fmt.Errorf("finished task %s misfiled", formatID(id))
		}
	}
	return nil
}
