package fair

import "math"

// Bucket is a token bucket over a nanosecond clock: it holds up to burst
// tokens and gains rate tokens per second. A zero rate means unlimited. The
// zero value is unlimited.
type Bucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64 // at last
	last   int64   // Unix nanoseconds
}

// Configure sets the rate and burst (zero burst: max(1, ceil(rate))). A
// bucket that was unlimited starts full; otherwise it keeps its tokens,
// clipped to the new burst.
func (b *Bucket) Configure(rate float64, burst int, now int64) {
	if rate <= 0 {
		*b = Bucket{}
		return
	}
	bu := float64(burst)
	if burst <= 0 {
		bu = math.Max(1, math.Ceil(rate))
	}
	if b.rate <= 0 {
		*b = Bucket{rate: rate, burst: bu, tokens: bu, last: now}
		return
	}
	b.refill(now)
	b.rate, b.burst = rate, bu
	b.tokens = math.Min(b.tokens, bu)
}

// Rate returns the tokens per second, zero when unlimited.
func (b *Bucket) Rate() float64 { return b.rate }

func (b *Bucket) refill(now int64) {
	if now > b.last {
		b.tokens = math.Min(b.burst, b.tokens+float64(now-b.last)*b.rate/1e9)
		b.last = now
	}
}

// Has reports whether a token is available at now.
func (b *Bucket) Has(now int64) bool {
	return b.rate <= 0 || b.tokens+float64(max(now-b.last, 0))*b.rate/1e9 >= 1-1e-9
}

// Full reports whether the bucket is full at now, so that forgetting it and
// starting a new full one changes nothing.
func (b *Bucket) Full(now int64) bool {
	return b.rate <= 0 || b.tokens+float64(max(now-b.last, 0))*b.rate/1e9 >= b.burst
}

// Take removes one token; the caller checked Has.
func (b *Bucket) Take(now int64) {
	if b.rate <= 0 {
		return
	}
	b.refill(now)
	b.tokens--
}

// ReadyAt returns when the next token is available: a time at or before now
// when one already is.
func (b *Bucket) ReadyAt(now int64) int64 {
	if b.rate <= 0 || b.tokens >= 1 {
		return min(b.last, now)
	}
	return b.last + int64(math.Ceil((1-b.tokens)*1e9/b.rate))
}
