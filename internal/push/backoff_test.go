package push

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

func TestBackoffIsExponentialWithEqualJitter(t *testing.T) {
	p := sluice.DeliveryPolicy{MinBackoff: time.Second, MaxBackoff: 10 * time.Second}
	for _, tc := range []struct {
		attempt  int
		rnd      float64
		min, max time.Duration // the range of the result
	}{
		{1, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		{1, 0.999999, 999 * time.Millisecond, time.Second},
		{2, 0, time.Second, time.Second},
		{2, 0.5, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{3, 0.999999, 3999 * time.Millisecond, 4 * time.Second},
		{4, 0, 4 * time.Second, 4 * time.Second},
		{5, 0, 5 * time.Second, 5 * time.Second}, // 16s capped at 10s
		{5, 0.999999, 9999 * time.Millisecond, 10 * time.Second},
		{100, 0.5, 7500 * time.Millisecond, 7500 * time.Millisecond}, // no overflow
	} {
		if got := backoff(p, tc.attempt, tc.rnd); got < tc.min || got > tc.max {
			t.Errorf("backoff(attempt %d, rnd %v) = %v, want %v to %v", tc.attempt, tc.rnd, got, tc.min, tc.max)
		}
	}
	if got := backoff(sluice.DeliveryPolicy{}, 3, 0.5); got != 0 {
		t.Errorf("backoff(zero policy) = %v, want 0", got)
	}
}

func TestHTTPClientFollowsRedirectsOnlyOnTheSameHost(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect to another host was followed: %s %s", r.Method, r.URL)
	}))
	defer other.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusPermanentRedirect)
		case "/here":
			w.WriteHeader(http.StatusNoContent)
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		}
	}))
	defer target.Close()
	c := NewHTTPClient()
	for path, want := range map[string]int{"/moved": http.StatusNoContent, "/away": http.StatusTemporaryRedirect} {
		resp, err := c.Post(target.URL+path, "text/plain", nil)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}
