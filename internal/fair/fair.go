// Package fair chooses which tenant a queue serves next: stride scheduling
// over virtual time, with per-tenant token buckets and in-flight caps.
//
// A Flow is one tenant's claim on a queue. A backlogged flow that may be
// served now sits in a heap ordered by its pass (virtual start time); Next
// returns the flow with the lowest pass and Dispatched advances that pass by
// cost/weight. A flow that becomes backlogged starts at max(its pass, the
// scheduler's virtual time), so no flow banks credit while idle and a new one
// starts level with the others. A flow out of tokens waits in a second heap
// ordered by when its next token arrives; a flow at its in-flight cap waits
// outside both until Released. Every operation is O(log active flows) and a
// flow costs about 120 bytes, held by its owner.
//
// A Scheduler is not safe for concurrent use; its owner serialises calls.
package fair

import (
	"container/heap"
	"math"
)

// Policy is what a flow may use: its weight (share under contention), a
// token-bucket rate limit and a cap on messages in flight.
type Policy struct {
	Weight      float64 // relative share; zero or less means 1
	Rate        float64 // messages per second; zero means unlimited
	Burst       int     // bucket size; zero means max(1, ceil(Rate))
	MaxInFlight int     // zero means unlimited
}

// where says which structure holds a flow.
type where uint8

const (
	idle    where = iota // not backlogged
	ready                // in the ready heap
	limited              // out of tokens, in the timed heap
	capped               // at its in-flight cap
)

// Flow is one tenant's scheduling state. The zero value is a flow of weight
// 1 with no limits; set its policy with Scheduler.SetPolicy.
type Flow struct {
	// Owner is the caller's value for this flow (say, its tenant's queue);
	// the scheduler does not use it.
	Owner any

	pass     float64
	stamp    uint64 // order of entering the ready heap, breaks ties in pass
	idx      int    // index in the heap that holds it
	at       where
	policy   Policy
	bucket   Bucket
	inFlight int
}

// Pass returns the flow's virtual time.
func (f *Flow) Pass() float64 { return f.pass }

// InFlight returns the messages the scheduler counts as in flight.
func (f *Flow) InFlight() int { return f.inFlight }

// Backlogged reports whether the flow is waiting to be served (ready, rate
// limited or capped).
func (f *Flow) Backlogged() bool { return f.at != idle }

// Policy returns the flow's policy.
func (f *Flow) Policy() Policy { return f.policy }

// Settled reports whether forgetting the flow would change nothing: it is
// not backlogged, has nothing in flight and its bucket is full at now.
func (f *Flow) Settled(now int64) bool {
	return f.at == idle && f.inFlight == 0 && f.bucket.Full(now)
}

func (f *Flow) weight() float64 {
	if f.policy.Weight <= 0 {
		return 1
	}
	return f.policy.Weight
}

// Scheduler orders backlogged flows. The zero value is ready to use.
type Scheduler struct {
	vtime   float64
	stamp   uint64
	ready   passHeap
	limited timeHeap
}

// VirtualTime returns the pass of the last flow served.
func (s *Scheduler) VirtualTime() float64 { return s.vtime }

// Len returns the number of flows that can be served now, without
// promoting rate-limited flows whose tokens have arrived.
func (s *Scheduler) Len() int { return len(s.ready) }

// SetPolicy changes f's policy, effective at once. The bucket keeps its
// tokens, clipped to the new burst.
func (s *Scheduler) SetPolicy(f *Flow, p Policy, now int64) {
	f.policy = p
	f.bucket.Configure(p.Rate, p.Burst, now)
	if f.at != idle {
		s.place(f, now)
	}
}

// Backlog tells the scheduler whether f has work waiting. A flow that
// becomes backlogged starts at the current virtual time or its own pass,
// whichever is later.
func (s *Scheduler) Backlog(f *Flow, has bool, now int64) {
	switch {
	case has && f.at == idle:
		f.pass = math.Max(f.pass, s.vtime)
		s.place(f, now)
	case !has && f.at != idle:
		s.detach(f)
	}
}

// Next returns the backlogged flow to serve now, or nil when every
// backlogged flow is rate limited or capped. It does not charge the flow:
// call Dispatched for what it served.
func (s *Scheduler) Next(now int64) *Flow {
	for len(s.limited) > 0 && s.limited[0].bucket.ReadyAt(now) <= now {
		f := s.limited[0]
		s.detach(f)
		f.pass = math.Max(f.pass, s.vtime)
		s.place(f, now)
	}
	if len(s.ready) == 0 {
		return nil
	}
	return s.ready[0]
}

// Dispatched charges f for one message of the given cost (1 for a plain
// message): it advances f's pass by cost/weight, takes a token and counts
// the message in flight. more says whether f still has work waiting.
func (s *Scheduler) Dispatched(f *Flow, cost float64, more bool, now int64) {
	s.vtime = math.Max(s.vtime, f.pass)
	f.pass += cost / f.weight()
	f.bucket.Take(now)
	f.inFlight++
	if !more {
		s.detach(f)
		return
	}
	s.place(f, now)
}

// Leased counts one more of f's messages in flight without a dispatch (a
// lease restored from the journal).
func (s *Scheduler) Leased(f *Flow, now int64) {
	f.inFlight++
	if f.at != idle {
		s.place(f, now)
	}
}

// Charge advances f's pass by cost/weight without a dispatch: the extra cost
// of a message found to be expensive (a long processing time) after it was
// served.
func (s *Scheduler) Charge(f *Flow, cost float64) {
	if cost <= 0 {
		return
	}
	f.pass += cost / f.weight()
	if f.at == ready {
		heap.Fix(&s.ready, f.idx)
	}
}

// Released counts one of f's messages as no longer in flight, which may let
// a capped flow be served again.
func (s *Scheduler) Released(f *Flow, now int64) {
	if f.inFlight > 0 {
		f.inFlight--
	}
	if f.at == capped {
		f.pass = math.Max(f.pass, s.vtime)
		s.place(f, now)
	}
}

// NextToken returns when the earliest rate-limited flow gets a token, and
// false when no flow waits for one.
func (s *Scheduler) NextToken(now int64) (int64, bool) {
	if len(s.limited) == 0 {
		return 0, false
	}
	return s.limited[0].bucket.ReadyAt(now), true
}

// place puts a backlogged f where its limits say it belongs.
func (s *Scheduler) place(f *Flow, now int64) {
	want := ready
	switch {
	case f.policy.MaxInFlight > 0 && f.inFlight >= f.policy.MaxInFlight:
		want = capped
	case !f.bucket.Has(now):
		want = limited
	}
	if f.at == want {
		switch want {
		case ready:
			heap.Fix(&s.ready, f.idx)
		case limited:
			heap.Fix(&s.limited, f.idx)
		}
		return
	}
	s.detach(f)
	f.at = want
	switch want {
	case ready:
		s.stamp++
		f.stamp = s.stamp
		heap.Push(&s.ready, f)
	case limited:
		heap.Push(&s.limited, f)
	}
}

// detach removes f from whatever holds it and marks it idle.
func (s *Scheduler) detach(f *Flow) {
	switch f.at {
	case ready:
		heap.Remove(&s.ready, f.idx)
	case limited:
		heap.Remove(&s.limited, f.idx)
	}
	f.at = idle
	f.idx = -1
}

type passHeap []*Flow

func (h passHeap) Len() int { return len(h) }
func (h passHeap) Less(i, j int) bool {
	if h[i].pass != h[j].pass {
		return h[i].pass < h[j].pass
	}
	return h[i].stamp < h[j].stamp
}
func (h passHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *passHeap) Push(x any) {
	f := x.(*Flow)
	f.idx = len(*h)
	*h = append(*h, f)
}
func (h *passHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return f
}

// timeHeap orders rate-limited flows by when their next token arrives.
// Their buckets only fill while they wait, so that order is stable.
type timeHeap []*Flow

func (h timeHeap) Len() int           { return len(h) }
func (h timeHeap) Less(i, j int) bool { return h[i].bucket.ReadyAt(0) < h[j].bucket.ReadyAt(0) }
func (h timeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *timeHeap) Push(x any) {
	f := x.(*Flow)
	f.idx = len(*h)
	*h = append(*h, f)
}
func (h *timeHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return f
}
