package cli

import (
	"math"
	"math/bits"
	"time"
)

// histSubBits sets the histogram's precision: each power of two is split
// into 2^histSubBits buckets, so a recorded value is off by under 1/64.
const histSubBits = 6

// histogram counts durations in log-linear buckets, so that percentiles of
// millions of samples take constant memory. The zero value is empty and
// ready; it is not safe for concurrent use.
type histogram struct {
	counts [(64 - histSubBits + 1) << histSubBits]uint64
	n      uint64
	max    time.Duration
}

// bucketOf returns the bucket of v: exact below 2^histSubBits, then
// 2^histSubBits buckets per power of two.
func bucketOf(v uint64) int {
	if v < 1<<histSubBits {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1
	return (shift+1)<<histSubBits | int(v>>shift)&(1<<histSubBits-1)
}

// bucketValue returns a representative value of bucket i: its midpoint.
func bucketValue(i int) uint64 {
	if i < 1<<histSubBits {
		return uint64(i)
	}
	shift := i>>histSubBits - 1
	lo := uint64(i&(1<<histSubBits-1)|1<<histSubBits) << shift
	return lo + (uint64(1)<<shift)/2
}

// record adds one sample; negative durations count as zero.
func (h *histogram) record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.max = max(h.max, d)
}

// merge adds o's samples to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// count returns the number of samples.
func (h *histogram) count() uint64 { return h.n }

// quantile returns the q-quantile (0 < q ≤ 1) of the samples, or zero when
// there are none. The maximum is exact.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank && c > 0 {
			return min(time.Duration(bucketValue(i)), h.max)
		}
	}
	return h.max
}

// latencySummary holds the percentiles the bench prints.
type latencySummary struct {
	Count uint64        `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

func (h *histogram) summary() latencySummary {
	return latencySummary{Count: h.n, P50: h.quantile(0.5), P90: h.quantile(0.9), P99: h.quantile(0.99), Max: h.quantile(1)}
}
