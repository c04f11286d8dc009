package engine

// msgState is where a live message is.
type msgState uint8

const (
	stateReady    msgState = iota // in its queue's ready index
	stateDelayed                  // waiting for its first visibility
	stateInFlight                 // leased to a consumer
	stateMoving                   // being moved to another queue
	stateDeleted                  // gone; lazily dropped from indexes
)

// message is a live message. It is owned by its partition's goroutine.
type message struct {
	seq      uint64
	id       [16]byte
	sentAt   int64 // Unix nanoseconds
	visible  int64 // when delayed or in flight: when it becomes visible
	first    int64 // first received at, 0 if never
	leased   int64 // last received at, 0 if not since the server started; not journaled
	receives int32
	state    msgState
	stuck    bool  // a move to the dead-letter queue failed: deliver it instead
	heapIdx  int32 // index in the partition's timer heap, -1 when absent
	tidx     int32 // position in a tracked queue's active-task table plus one, 0 when absent
	nonce    uint64
	tenant   string
	group    string
	dedup    string
	source   string
	trace    string
	attrs    []byte // encoded by encodeAttrs
	body     []byte
	q        *queue
	task     *taskInfo // attempt details of a tracked queue's task; nil before its first delivery
}

// size approximates the bytes the message takes in a snapshot.
func (m *message) size() int64 {
	return int64(len(m.body) + len(m.attrs) + len(m.tenant) + len(m.group) + len(m.dedup) + len(m.source) + len(m.trace) + 64)
}

// deque is a FIFO of messages with lazy removal of deleted entries.
type deque struct {
	buf  []*message
	head int
}

func (d *deque) push(m *message) { d.buf = append(d.buf, m) }

func (d *deque) len() int { return len(d.buf) - d.head }

// front returns the first message not dropped by skip, dropping the others.
func (d *deque) front(skip func(*message) bool) *message {
	for d.head < len(d.buf) {
		m := d.buf[d.head]
		if !skip(m) {
			return m
		}
		d.buf[d.head] = nil
		d.head++
	}
	d.reset()
	return nil
}

func (d *deque) pop() {
	d.buf[d.head] = nil
	d.head++
	if d.head == len(d.buf) {
		d.reset()
	} else if d.head > 1024 && d.head*2 > len(d.buf) {
		n := copy(d.buf, d.buf[d.head:])
		clear(d.buf[n:])
		d.buf = d.buf[:n]
		d.head = 0
	}
}

func (d *deque) reset() {
	d.buf = d.buf[:0]
	d.head = 0
}

// seqHeap orders messages by sequence.
type seqHeap []*message

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(*message)) }
func (h *seqHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return m
}

// group is a FIFO message group: its live messages in order. Messages in
// flight are at the front; the group is blocked while any is.
type group struct {
	name       string
	msgs       deque
	inflight   int
	prev, next *group
}

func gone(m *message) bool { return m.state == stateDeleted || m.state == stateMoving }

// fifoIndex holds a FIFO queue's groups, with the available ones (nothing in
// flight, head visible) in a ring served round-robin.
type fifoIndex struct {
	groups map[string]*group
	cursor *group
	count  int // ready messages
}

func (f *fifoIndex) group(name string) *group {
	g := f.groups[name]
	if g == nil {
		if f.groups == nil {
			f.groups = make(map[string]*group)
		}
		g = &group{name: name}
		f.groups[name] = g
	}
	return g
}

// update links or unlinks g according to whether it can deliver now, and
// forgets it when empty.
func (f *fifoIndex) update(g *group) {
	// A message being moved out still holds its place: the group waits for
	// the move, and keeps the message if the move fails.
	head := g.msgs.front(func(m *message) bool { return m.state == stateDeleted })
	avail := g.inflight == 0 && head != nil && head.state == stateReady
	switch {
	case avail && g.next == nil:
		if f.cursor == nil {
			g.prev, g.next = g, g
			f.cursor = g
		} else {
			g.prev, g.next = f.cursor.prev, f.cursor
			f.cursor.prev.next = g
			f.cursor.prev = g
		}
	case !avail && g.next != nil:
		if g.next == g {
			f.cursor = nil
		} else {
			g.prev.next, g.next.prev = g.next, g.prev
			if f.cursor == g {
				f.cursor = g.next
			}
		}
		g.prev, g.next = nil, nil
	}
	if head == nil && g.inflight == 0 {
		delete(f.groups, g.name)
	}
}

// take removes up to max deliverable messages: from the next available
// group, consecutive visible messages from its head, then from the next
// group, and so on. It returns them in delivery order; the caller leases them.
func (f *fifoIndex) take(max int, lease func(*message)) int {
	n := 0
	for n < max && f.cursor != nil {
		g := f.cursor
		f.cursor = g.next
		for i := g.msgs.head; i < len(g.msgs.buf) && n < max; i++ {
			m := g.msgs.buf[i]
			if gone(m) {
				continue
			}
			if m.state != stateReady {
				break
			}
			f.count--
			g.inflight++
			lease(m)
			n++
		}
		f.update(g)
	}
	return n
}

// timerHeap orders delayed and in-flight messages by when they turn visible.
type timerHeap []*message

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].visible != h[j].visible {
		return h[i].visible < h[j].visible
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = int32(i)
	h[j].heapIdx = int32(j)
}
func (h *timerHeap) Push(x any) {
	m := x.(*message)
	m.heapIdx = int32(len(*h))
	*h = append(*h, m)
}
func (h *timerHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.heapIdx = -1
	return m
}
