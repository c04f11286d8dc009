package engine

import (
	"container/heap"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sluicehq/sluice"
)

// waiter is a parked long-poll receive.
type waiter struct {
	q        *queue
	max      int
	vis      time.Duration
	worker   string // for tracked queues' task status
	deadline int64
	heapIdx  int
	reply    func([]sluice.Message, error)
	served   []sluice.Message // what it was given, in case its caller is gone
}

type waiterHeap []*waiter

func (h waiterHeap) Len() int           { return len(h) }
func (h waiterHeap) Less(i, j int) bool { return h[i].deadline < h[j].deadline }
func (h waiterHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}
func (h *waiterHeap) Push(x any) {
	w := x.(*waiter)
	w.heapIdx = len(*h)
	*h = append(*h, w)
}
func (h *waiterHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.heapIdx = -1
	return w
}

// park queues w until messages arrive or its deadline passes.
func (q *queue) park(w *waiter) {
	w.q = q
	q.waiters = append(q.waiters, w)
	heap.Push(&q.p.waiters, w)
	if q.visible() > 0 {
		q.p.throttled[q] = struct{}{} // held back by tenant limits
	}
}

// unpark removes w from its queue's list (not from the heap).
func (q *queue) unpark(w *waiter) {
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			return
		}
	}
}

// wake serves parked receives of q while it has visible messages.
func (p *partition) wake(q *queue) {
	for len(q.waiters) > 0 && q.visible() > 0 {
		if !q.fifo && !q.ready.servable(p.now()) {
			// Held back by tenant limits: tick retries when a token
			// arrives or a slot frees.
			p.throttled[q] = struct{}{}
			return
		}
		w := q.waiters[0]
		q.waiters = q.waiters[1:]
		heap.Remove(&p.waiters, w.heapIdx)
		w.served = p.take(q, w.max, w.vis, w.worker)
		w.reply(w.served, nil)
	}
}

// take leases up to max visible messages of q, moving those over their
// queue's receive limit to its dead-letter queue instead. worker is recorded
// in the status of a tracked queue's tasks.
func (p *partition) take(q *queue, max int, vis time.Duration, worker string) []sluice.Message {
	now := p.now()
	until := now + int64(vis)
	out := make([]sluice.Message, 0, min(max, q.visible()))
	lease := func(m *message) {
		nonce := p.newNonce()
		q.lease(m, nonce, until, now)
		o := &op{typ: opLease, queue: q.id, seq: m.seq, nonce: nonce, visible: until, count: int64(m.receives), first: m.first}
		if q.tasks != nil {
			o.typ, o.task.at, o.task.worker = opTaskLease, now, worker
			q.started(m, now, worker)
		}
		p.log(o)
		out = append(out, q.deliver(m))
	}
	if q.fifo {
		for len(out) < max && q.groups.cursor != nil {
			before := len(out)
			q.groups.take(max-len(out), func(m *message) {
				if q.exhausted(m) {
					q.groups.group(m.group).inflight--
					p.deadLetter(q, m)
					return
				}
				lease(m)
			})
			if len(out) == before && q.visible() == 0 {
				break
			}
		}
		return out
	}
	for len(out) < max {
		m := q.ready.pop(now)
		if m == nil {
			break
		}
		if q.exhausted(m) {
			q.ready.released(m, now) // popped, but not delivered
			p.deadLetter(q, m)
			continue
		}
		lease(m)
	}
	return out
}

// deliver returns the client's view of a just-leased message.
func (q *queue) deliver(m *message) sluice.Message {
	return sluice.Message{
		ID:              formatID(m.id),
		Body:            m.body,
		Attributes:      decodeAttrs(m.attrs),
		Tenant:          m.tenant,
		GroupID:         m.group,
		DedupID:         m.dedup,
		Sequence:        m.seq,
		SentAt:          time.Unix(0, m.sentAt).UTC(),
		FirstReceivedAt: time.Unix(0, m.first).UTC(),
		ReceiveCount:    int(m.receives),
		Receipt:         encodeReceipt(q.id, m.seq, m.nonce),
		SourceQueue:     m.source,
		TraceHeader:     m.trace,
	}
}

func formatID(id [16]byte) string {
	const hex = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hex[c>>4], hex[c&0xf]
		j += 2
	}
	return string(b[:])
}

// A receipt is the queue id, the message sequence and the lease nonce, 24
// bytes in unpadded URL-safe base64. The 64-bit random nonce makes receipts
// unguessable; a new delivery changes it, which makes older receipts stale.
func encodeReceipt(qid, seq, nonce uint64) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], qid)
	binary.BigEndian.PutUint64(b[8:], seq)
	binary.BigEndian.PutUint64(b[16:], nonce)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeReceipt(s string) (qid, seq, nonce uint64, err error) {
	var b [24]byte
	if len(s) != 32 {
		return 0, 0, 0, fmt.Errorf("%w: wrong length", sluice.ErrReceiptInvalid)
	}
	n, err := base64.RawURLEncoding.Decode(b[:], []byte(s))
	if err != nil || n != 24 {
		return 0, 0, 0, fmt.Errorf("%w: not a receipt", sluice.ErrReceiptInvalid)
	}
	return binary.BigEndian.Uint64(b[0:]), binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:]), nil
}

// findLeased resolves a receipt to its message. A receipt for a message that
// no longer exists but did (a lower sequence than any not yet sent) returns
// nil with no error: acking it again is harmless.
func (q *queue) findLeased(receipt string) (*message, error) {
	qid, seq, nonce, err := decodeReceipt(receipt)
	if err != nil {
		return nil, err
	}
	if qid != q.id || seq == 0 || seq >= q.nextSeq || nonce == 0 {
		return nil, fmt.Errorf("%w: it belongs to no message of this queue", sluice.ErrReceiptInvalid)
	}
	m := q.msgs[seq]
	if m == nil || m.state == stateMoving {
		return nil, nil
	}
	if m.nonce != nonce {
		return nil, sluice.ErrReceiptStale
	}
	return m, nil
}

func removeWaiter(h *waiterHeap, w *waiter) {
	heap.Remove(h, w.heapIdx)
}
