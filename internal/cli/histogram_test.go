package cli

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	var samples []time.Duration
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		d := time.Duration(r.ExpFloat64() * float64(time.Millisecond))
		samples = append(samples, d)
		h.record(d)
	}
	slices.Sort(samples)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := samples[int(q*float64(len(samples)))-1]
		got := h.quantile(q)
		if diff := float64(got-want) / float64(want); diff > 0.02 || diff < -0.02 {
			t.Errorf("quantile(%v) = %v, want %v within 2%%", q, got, want)
		}
	}
	if got, want := h.quantile(1), samples[len(samples)-1]; got != want {
		t.Errorf("quantile(1) = %v, want the exact max %v", got, want)
	}
	if h.count() != uint64(len(samples)) {
		t.Errorf("count() = %d, want %d", h.count(), len(samples))
	}
}

func TestHistogramBuckets(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1} {
		i := bucketOf(v)
		lo, mid := bucketValue(i), bucketValue(i)
		if i >= 1<<histSubBits {
			shift := i>>histSubBits - 1
			lo = mid - (uint64(1)<<shift)/2
			if v < lo || v >= lo+uint64(1)<<shift {
				t.Errorf("bucketOf(%d) = %d covering [%d, %d), which misses it", v, i, lo, lo+uint64(1)<<shift)
			}
		} else if lo != v {
			t.Errorf("bucketValue(bucketOf(%d)) = %d, want exact", v, lo)
		}
		if i >= len(histogram{}.counts) {
			t.Errorf("bucketOf(%d) = %d, out of range", v, i)
		}
	}
	var empty histogram
	if empty.quantile(0.5) != 0 {
		t.Errorf("quantile of an empty histogram = %v, want 0", empty.quantile(0.5))
	}
}

func TestBenchBodyRoundTrip(t *testing.T) {
	sent := time.Unix(1700000000, 123456789)
	for _, size := range []int{1, 64, 256, 4096} {
		body := encodeBody("abcd1234", msgKey{producer: 7, seq: 123456}, sent, size)
		if len(body) < size {
			t.Errorf("encodeBody(size %d) is %d bytes, want at least %d", size, len(body), size)
		}
		k, at, ok := decodeBody("abcd1234", body)
		if !ok || k != (msgKey{7, 123456}) || !at.Equal(sent) {
			t.Errorf("decodeBody(encodeBody(...)) = %v %v %v, want {7 123456} %v true", k, at, ok, sent)
		}
		if _, _, ok := decodeBody("other", body); ok {
			t.Errorf("decodeBody accepted a body of another run")
		}
	}
	if _, _, ok := decodeBody("abcd1234", []byte("hello")); ok {
		t.Errorf("decodeBody accepted a foreign body")
	}
}

func TestParseDurationAndSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{"1m30s", 90 * time.Second, true},
		{"4d", 96 * time.Hour, true},
		{"0", 0, true},
		{"-1s", 0, false},
		{"soon", 0, false},
	} {
		got, err := parseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"256", 256, true},
		{"64KiB", 64 << 10, true},
		{"1MiB", 1 << 20, true},
		{"2KB", 2000, true},
		{"10B", 10, true},
		{"big", 0, false},
		{"-1", 0, false},
	} {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {30 * time.Second, "30s"}, {5 * time.Minute, "5m"}, {90 * time.Minute, "1h30m"},
		{96 * time.Hour, "4d"}, {1500 * time.Millisecond, "1.5s"}, {2 * time.Hour, "2h"}, {61 * time.Second, "1m1s"},
	} {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
