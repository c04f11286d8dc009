package fair

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// saturate serves n messages from flows that always have more.
func saturate(s *Scheduler, n int, now int64) map[*Flow]int {
	got := make(map[*Flow]int)
	for range n {
		f := s.Next(now)
		if f == nil {
			break
		}
		got[f]++
		s.Dispatched(f, 1, true, now)
		s.Released(f, now)
	}
	return got
}

func TestSharesMatchWeights(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var s Scheduler
		flows := make([]*Flow, 2+rng.IntN(20))
		total := 0.0
		for i := range flows {
			flows[i] = &Flow{}
			w := float64(1 + rng.IntN(10))
			total += w
			s.SetPolicy(flows[i], Policy{Weight: w}, 0)
			s.Backlog(flows[i], true, 0)
		}
		n := 20000
		got := saturate(&s, n, 0)
		for i, f := range flows {
			want := float64(n) * f.weight() / total
			if d := math.Abs(float64(got[f]) - want); d > 0.05*want {
				t.Errorf("seed %d: flow %d (weight %v) served %d, want %.0f ±5%%", seed, i, f.weight(), got[f], want)
			}
		}
	}
}

func TestThreeToOne(t *testing.T) {
	var s Scheduler
	a, b := &Flow{}, &Flow{}
	s.SetPolicy(a, Policy{Weight: 3}, 0)
	s.Backlog(a, true, 0)
	s.Backlog(b, true, 0)
	got := saturate(&s, 4000, 0)
	if got[a] != 3000 || got[b] != 1000 {
		t.Errorf("served %d:%d, want 3000:1000", got[a], got[b])
	}
}

// A flow that was idle while others were served gets, when it returns, at
// most one quantum more than a twin of the same weight that never left, in
// every prefix of what follows.
func TestIdleFlowBanksNoCredit(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 2))
		var s Scheduler
		busy := make([]*Flow, 1+rng.IntN(10))
		for i := range busy {
			busy[i] = &Flow{}
			s.SetPolicy(busy[i], Policy{Weight: float64(1 + rng.IntN(5))}, 0)
			s.Backlog(busy[i], true, 0)
		}
		quiet, twin := &Flow{}, &Flow{}
		wq := float64(1 + rng.IntN(5))
		s.SetPolicy(quiet, Policy{Weight: wq}, 0)
		s.SetPolicy(twin, Policy{Weight: wq}, 0)
		s.Backlog(twin, true, 0)
		// The quiet flow is served a little, goes idle for a long time,
		// then returns.
		s.Backlog(quiet, true, 0)
		saturate(&s, 50, 0)
		s.Backlog(quiet, false, 0)
		saturate(&s, 10000, 0)
		s.Backlog(quiet, true, 0)
		served := map[*Flow]int{}
		for n := 1; n <= 2000; n++ {
			f := s.Next(0)
			served[f]++
			s.Dispatched(f, 1, true, 0)
			if served[quiet] > served[twin]+1 {
				t.Fatalf("seed %d: after %d messages the returning flow had %d, its never-idle twin %d", seed, n, served[quiet], served[twin])
			}
		}
	}
}

// Every backlogged flow is served within one round of the others' weights.
func TestNoStarvation(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 3))
		var s Scheduler
		flows := make([]*Flow, 2+rng.IntN(50))
		total, minW := 0.0, math.Inf(1)
		last := make(map[*Flow]int)
		for i := range flows {
			flows[i] = &Flow{}
			w := 0.1 + rng.Float64()*10
			total += w
			minW = math.Min(minW, w)
			s.SetPolicy(flows[i], Policy{Weight: w}, 0)
			s.Backlog(flows[i], true, 0)
		}
		bound := int(math.Ceil(total/minW)) + len(flows)
		for n := 1; n <= 20000; n++ {
			if f := s.Next(0); f != nil {
				s.Dispatched(f, 1, true, 0)
				last[f] = n
			}
			// Flows join and leave at random; a leaving flow is not starved.
			if rng.IntN(100) == 0 {
				g := flows[rng.IntN(len(flows))]
				s.Backlog(g, !g.Backlogged(), 0)
				last[g] = n
			}
			for _, g := range flows {
				if g.Backlogged() && n-last[g] > bound {
					t.Fatalf("seed %d: a flow of weight %.2f waited %d dispatches, bound %d", seed, g.weight(), n-last[g], bound)
				}
			}
		}
	}
}

// Simulated consumers on a fake clock: dispatches per flow never exceed
// burst + rate·T in any window of length T, and in flight never exceeds
// the cap. Messages are never refused, only delayed: every flow eventually
// drains.
func TestRateAndInFlightLimits(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 4))
		var s Scheduler
		type sim struct {
			f       *Flow
			backlog int
			times   []int64
			leases  []int64 // completion times
		}
		sims := make([]*sim, 1+rng.IntN(8))
		for i := range sims {
			p := Policy{Weight: float64(1 + rng.IntN(4))}
			if rng.IntN(2) == 0 {
				p.Rate = float64(1 + rng.IntN(50))
				p.Burst = rng.IntN(10)
			}
			if rng.IntN(2) == 0 {
				p.MaxInFlight = 1 + rng.IntN(5)
			}
			sims[i] = &sim{f: &Flow{}, backlog: 50 + rng.IntN(200)}
			s.SetPolicy(sims[i].f, p, 0)
			s.Backlog(sims[i].f, true, 0)
		}
		now := int64(0)
		for step := 0; step < 200000; step++ {
			now += int64(rng.IntN(int(5 * time.Millisecond)))
			for _, x := range sims {
				kept := x.leases[:0]
				for _, done := range x.leases {
					if done <= now {
						s.Released(x.f, now)
					} else {
						kept = append(kept, done)
					}
				}
				x.leases = kept
			}
			for range rng.IntN(4) {
				f := s.Next(now)
				if f == nil {
					break
				}
				var x *sim
				for _, y := range sims {
					if y.f == f {
						x = y
					}
				}
				x.backlog--
				x.times = append(x.times, now)
				x.leases = append(x.leases, now+int64(rng.IntN(int(50*time.Millisecond))))
				s.Dispatched(f, 1, x.backlog > 0, now)
				if c := f.policy.MaxInFlight; c > 0 && f.InFlight() > c {
					t.Fatalf("seed %d: %d in flight, cap %d", seed, f.InFlight(), c)
				}
			}
			drained := true
			for _, x := range sims {
				drained = drained && x.backlog == 0
			}
			if drained {
				break
			}
		}
		for i, x := range sims {
			if x.backlog != 0 {
				t.Errorf("seed %d: flow %d still has %d waiting", seed, i, x.backlog)
			}
			p := x.f.policy
			if p.Rate == 0 {
				continue
			}
			burst := float64(p.Burst)
			if p.Burst == 0 {
				burst = math.Max(1, math.Ceil(p.Rate))
			}
			// Every window that starts at a dispatch.
			for a := range x.times {
				for b := a; b < len(x.times); b++ {
					window := float64(x.times[b]-x.times[a]) / 1e9
					if n := float64(b - a + 1); n > burst+p.Rate*window+1e-6 {
						t.Fatalf("seed %d: flow %d sent %v in %.3fs, limit %v/s burst %v", seed, i, n, window, p.Rate, burst)
					}
				}
			}
		}
	}
}

// Long polls need to know when a rate-limited flow can be served.
func TestNextToken(t *testing.T) {
	var s Scheduler
	f := &Flow{}
	s.SetPolicy(f, Policy{Rate: 2, Burst: 1}, 0)
	s.Backlog(f, true, 0)
	if got := s.Next(0); got != f {
		t.Fatalf("Next(0) = %v, want the flow", got)
	}
	s.Dispatched(f, 1, true, 0)
	if got := s.Next(0); got != nil {
		t.Fatalf("Next(0) after the burst = %v, want nil", got)
	}
	at, ok := s.NextToken(0)
	if !ok || at != int64(500*time.Millisecond) {
		t.Fatalf("NextToken(0) = %v, %v, want 500ms, true", at, ok)
	}
	if got := s.Next(at - 1); got != nil {
		t.Fatalf("Next just before the token = %v, want nil", got)
	}
	if got := s.Next(at); got != f {
		t.Fatalf("Next at the token = %v, want the flow", got)
	}
}

func TestPolicyChangeAppliesLive(t *testing.T) {
	var s Scheduler
	a, b := &Flow{}, &Flow{}
	s.Backlog(a, true, 0)
	s.Backlog(b, true, 0)
	saturate(&s, 100, 0)
	s.SetPolicy(a, Policy{Weight: 4}, 0)
	got := saturate(&s, 5000, 0)
	if r := float64(got[a]) / float64(got[b]); math.Abs(r-4) > 0.2 {
		t.Errorf("after the change shares are %d:%d, want 4:1", got[a], got[b])
	}
	s.SetPolicy(a, Policy{MaxInFlight: 1}, 0)
	if f := s.Next(0); f != nil {
		s.Dispatched(f, 1, true, 0)
	}
	for range 10 {
		f := s.Next(0)
		if f == a && a.InFlight() >= 1 {
			t.Fatal("a capped flow was offered")
		}
		s.Dispatched(f, 1, true, 0)
	}
}
