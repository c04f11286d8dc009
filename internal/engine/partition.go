package engine

import (
	"container/heap"
	"context"
	"crypto/rand"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/journal"
)

// housekeepingInterval is how often a partition expires messages past their
// retention and dedup entries past their window.
const housekeepingInterval = time.Second

// partition owns a share of the queues. Every field is owned by the
// partition's goroutine (run) except inbox and stopped, which are channels,
// and the batch bookkeeping guarded by batch.mu.
type partition struct {
	e       *Engine
	id      int
	j       journal.Journal
	inbox   chan func()
	mail    mailbox       // work posted by other partitions, in order
	stopped chan struct{} // closed when run returns

	queues  map[string]*queue
	byID    map[uint64]*queue
	nextQID uint64
	topics  map[string]*topic
	topicID map[uint64]*topic
	timers  timerHeap
	waiters waiterHeap
	rng     *mrand.ChaCha8
	timer   *time.Timer
	nextHK  int64
	// Standard queues with parked receives and ready messages held back by
	// tenant limits: tick serves them when a token arrives or a slot frees.
	throttled map[*queue]struct{}

	// The records and callbacks of the current turn, appended together.
	recs    [][]byte
	buf     []byte
	onSync  []func(error)
	last    *batch // the newest batch handed to the journal
	logSize int64  // bytes logged since the last snapshot
	live    int64  // approximate bytes of live state
	snap    bool   // a snapshot is being written
	index   uint64 // index of the last record handed to the journal
}

// batch tracks one Append so that callbacks of later turns without records
// can wait for it.
type batch struct {
	mu    sync.Mutex // guards done, err and extra
	done  bool
	err   error
	extra []func(error)
}

func newPartition(e *Engine, id int, j journal.Journal) *partition {
	var seed [32]byte
	rand.Read(seed[:])
	return &partition{
		e:         e,
		id:        id,
		j:         j,
		inbox:     make(chan func(), 1024),
		stopped:   make(chan struct{}),
		mail:      mailbox{signal: make(chan struct{}, 1)},
		queues:    make(map[string]*queue),
		byID:      make(map[uint64]*queue),
		topics:    make(map[string]*topic),
		topicID:   make(map[uint64]*topic),
		rng:       mrand.NewChaCha8(seed),
		throttled: make(map[*queue]struct{}),
		last:      &batch{done: true},
	}
}

func (p *partition) now() int64 { return p.e.now().UnixNano() }

// run applies requests until ctx is done.
func (p *partition) run(ctx context.Context) {
	defer close(p.stopped)
	p.timer = time.NewTimer(time.Hour)
	defer p.timer.Stop()
	p.nextHK = p.now() + int64(housekeepingInterval)
	for {
		p.resetTimer()
		select {
		case <-ctx.Done():
			p.flush()
			return
		case f := <-p.inbox:
			f()
			// Take whatever else is waiting into the same turn, so that
			// its records share one append.
			for i := 0; i < 256; i++ {
				select {
				case f := <-p.inbox:
					f()
					continue
				default:
				}
				break
			}
		case <-p.mail.signal:
		case <-p.timer.C:
		}
		p.mail.run()
		p.tick()
		p.flush()
		p.maybeSnapshot()
	}
}

// tick delivers what became visible and expires what timed out.
func (p *partition) tick() {
	now := p.now()
	for len(p.timers) > 0 && p.timers[0].visible <= now {
		m := heap.Pop(&p.timers).(*message)
		m.q.becomeVisible(m)
	}
	p.wakeThrottled(now)
	for len(p.waiters) > 0 && p.waiters[0].deadline <= now {
		w := heap.Pop(&p.waiters).(*waiter)
		w.q.unpark(w)
		w.reply(nil, nil)
	}
	if now >= p.nextHK {
		p.nextHK = now + int64(housekeepingInterval)
		for _, q := range p.queues {
			q.housekeep(now)
		}
		for _, t := range p.topics {
			t.housekeep(now)
		}
	}
}

func (p *partition) resetTimer() {
	next := p.nextHK
	if len(p.timers) > 0 && p.timers[0].visible < next {
		next = p.timers[0].visible
	}
	if len(p.waiters) > 0 && p.waiters[0].deadline < next {
		next = p.waiters[0].deadline
	}
	next = p.nextToken(next)
	p.timer.Reset(time.Duration(max(next-p.now(), 0)))
}

// log records o as part of the current turn.
func (p *partition) log(o *op) {
	start := len(p.buf)
	p.buf = o.encode(p.buf)
	p.recs = append(p.recs, p.buf[start:len(p.buf):len(p.buf)])
	p.logSize += int64(len(p.buf) - start)
}

// whenDurable calls f once every record logged so far is durable, or with
// the error that stopped it. f runs on the journal's goroutine or on the
// partition's and must not block.
func (p *partition) whenDurable(f func(error)) {
	p.onSync = append(p.onSync, f)
}

// flush hands the turn's records to the journal.
func (p *partition) flush() {
	if len(p.recs) == 0 {
		if len(p.onSync) == 0 {
			return
		}
		b := p.last
		b.mu.Lock()
		if !b.done {
			b.extra = append(b.extra, p.onSync...)
			b.mu.Unlock()
		} else {
			err := b.err
			b.mu.Unlock()
			for _, f := range p.onSync {
				f(err)
			}
		}
		p.onSync = nil
		return
	}
	b := &batch{}
	callbacks := p.onSync
	p.onSync = nil
	recs := p.recs
	p.recs = nil
	// The journal may still read the old buffer: start a new one, sized
	// like this turn's so that it rarely grows.
	p.buf = make([]byte, 0, max(256, len(p.buf)+len(p.buf)/4))
	p.index += uint64(len(recs))
	p.last = b
	p.j.Append(recs, func(err error) {
		if err != nil {
			p.e.fail(err)
		}
		b.mu.Lock()
		b.done, b.err = true, err
		extra := b.extra
		b.extra = nil
		b.mu.Unlock()
		for _, f := range callbacks {
			f(err)
		}
		for _, f := range extra {
			f(err)
		}
	})
}

// mailbox carries work from one partition's goroutine to another's without
// ever blocking the sender, and in the order it was posted. Partition
// goroutines never wait on each other, so they cannot deadlock.
type mailbox struct {
	mu     sync.Mutex // guards items
	items  []func()
	signal chan struct{} // capacity 1: something was posted
}

// post queues f to run on the owning partition's goroutine.
func (m *mailbox) post(f func()) {
	m.mu.Lock()
	m.items = append(m.items, f)
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
}

// run runs what was posted; the owning partition's goroutine calls it.
func (m *mailbox) run() {
	m.mu.Lock()
	items := m.items
	m.items = nil
	m.mu.Unlock()
	for _, f := range items {
		f()
	}
}

// call runs f on the partition's goroutine and waits for it to reply.
func call[T any](ctx context.Context, p *partition, f func(reply func(T, error))) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	fn := func() { f(func(v T, err error) { ch <- result{v, err} }) }
	var zero T
	select {
	case p.inbox <- fn:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-p.stopped:
		return zero, sluice.ErrClosed
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-p.stopped:
		select {
		case r := <-ch:
			return r.v, r.err
		default:
			return zero, sluice.ErrClosed
		}
	}
}

// durable returns a reply function that answers once the turn's records are
// durable.
func durable[T any](p *partition, reply func(T, error), v T) {
	p.whenDurable(func(err error) {
		if err != nil {
			reply(v, sluice.ErrUnavailable)
			return
		}
		reply(v, nil)
	})
}

// newID returns a random message id, formatted as a version 4 UUID.
func (p *partition) newID() (id [16]byte) {
	for i := 0; i < 16; i += 8 {
		v := p.rng.Uint64()
		for j := 0; j < 8; j++ {
			id[i+j] = byte(v >> (8 * j))
		}
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// newNonce returns a lease nonce: random, never zero.
func (p *partition) newNonce() uint64 {
	for {
		if n := p.rng.Uint64(); n != 0 {
			return n
		}
	}
}
