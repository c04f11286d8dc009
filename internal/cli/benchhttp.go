package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// newBenchHTTPClient returns the HTTP client the bench uses for Sluice and
// for the bare baseline alike: keep-alive connections, enough idle ones
// for every goroutine, no overall timeout (contexts bound each call).
func newBenchHTTPClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: 2 * conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// baselineResult is what the bare HTTP baseline measured.
type baselineResult struct {
	Requests int64          `json:"requests"`
	Errors   int64          `json:"errors"`
	Elapsed  time.Duration  `json:"elapsed_ns"`
	Latency  latencySummary `json:"latency"`
}

// rate returns requests per second.
func (b baselineResult) rate() float64 { return perSecond(b.Requests, b.Elapsed) }

// runHTTPBaseline starts a bare net/http server on a loopback port whose
// handler reads a small JSON body and answers a small JSON object, and
// drives it with `clients` goroutines sharing hc for d: the ceiling on
// request rate that any HTTP API on this machine can reach.
func runHTTPBaseline(ctx context.Context, hc *http.Client, clients int, d time.Duration) (baselineResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return baselineResult{}, err
	}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"0","sequence":1}`))
		}),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-served
	}()

	url := "http://" + ln.Addr().String() + "/v1/queues/baseline/messages"
	body := []byte(`{"body":"aGVsbG8="}`)
	var (
		reqs, errs atomic.Int64
		mu         sync.Mutex
		lat        histogram
		wg         sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Go(func() {
			var h histogram
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				if err := postOnce(ctx, hc, url, body); err != nil {
					errs.Add(1)
					if errs.Load() > maxConsecutiveErrors && reqs.Load() == 0 {
						return
					}
					continue
				}
				h.record(time.Since(t0))
				reqs.Add(1)
			}
			mu.Lock()
			lat.merge(&h)
			mu.Unlock()
		})
	}
	wg.Wait()
	res := baselineResult{Requests: reqs.Load(), Errors: errs.Load(), Elapsed: time.Since(start), Latency: lat.summary()}
	if res.Requests == 0 {
		return res, errors.New("http baseline: no request succeeded")
	}
	return res, ctx.Err()
}

// postOnce posts body to url and reads the whole answer, which must be 200.
func postOnce(ctx context.Context, hc *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("baseline answered %s", resp.Status)
	}
	return nil
}

// perSecond returns n per second of d.
func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
