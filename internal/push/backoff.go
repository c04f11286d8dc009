package push

import (
	"context"
	"time"

	"github.com/sluicehq/sluice"
)

// backoff returns how long to hide a message after its failed attempt
// number attempt (1 for the first): the delay d = MinBackoff·2^(attempt-1)
// capped at MaxBackoff, with equal jitter — d/2 fixed plus d/2 scaled by
// rnd, a number in [0, 1). p must have its defaults applied.
func backoff(p sluice.DeliveryPolicy, attempt int, rnd float64) time.Duration {
	d := p.MinBackoff
	for i := 1; i < attempt && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	if d <= 0 {
		return 0
	}
	half := d / 2
	return d - half + time.Duration(rnd*float64(half))
}

// limiter starts events at least a fixed spacing apart: a token bucket
// that holds one token. A nil limiter never waits. It is used by one
// goroutine.
type limiter struct {
	every time.Duration
	next  time.Time // when the next event may start
}

// newLimiter returns a limiter of rate events per second, or nil for a
// rate of zero (unlimited).
func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{every: time.Duration(float64(time.Second) / rate)}
}

// spacing returns the time between events, zero when unlimited.
func (l *limiter) spacing() time.Duration {
	if l == nil {
		return 0
	}
	return l.every
}

// wait blocks until the next event may start and reserves it; it returns
// ctx's error if ctx ends first.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	now := time.Now()
	at := now
	if l.next.After(now) {
		at = l.next
	}
	if at.After(now) && !sleep(ctx, at.Sub(now)) {
		return ctx.Err()
	}
	l.next = at.Add(l.every)
	return nil
}
