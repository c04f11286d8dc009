package nativeapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/memjournal"
	"github.com/sluicehq/sluice/internal/nativeapi"
	"github.com/sluicehq/sluice/internal/wire"
)

// benchBody is the body of every benchmark message: 256 bytes of text, the
// size the throughput target is stated for.
var benchBody = []byte(strings.Repeat("sluice-0", 32))

// newBenchServer returns the real client in front of the native API over a
// real engine on a memjournal, and the queue "bench" on it.
func newBenchServer(b *testing.B) *client.Client {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := engine.Open(ctx, engine.Options{Journals: []journal.Journal{memjournal.New()}})
	if err != nil {
		b.Fatalf("engine.Open: %v", err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(ctx) }()
	srv := httptest.NewServer(nativeapi.New(e, nativeapi.Options{}))
	b.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-ran; err != nil {
			b.Errorf("engine.Run: %v", err)
		}
	})
	c := client.New(srv.URL)
	if _, err := c.CreateQueue(b.Context(), sluice.QueueConfig{Name: "bench"}); err != nil {
		b.Fatalf("CreateQueue: %v", err)
	}
	return c
}

// BenchmarkCycle measures the native API end to end: 4 loops, sharing the
// machine with the server, each sending a batch, receiving up to a batch and
// acknowledging what it received. A batch of 1 uses the single-message
// calls. It reports messages acknowledged per second and the 99th
// percentile latency of the sends.
func BenchmarkCycle(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			c := newBenchServer(b)
			ins := make([]sluice.SendInput, n)
			for i := range ins {
				ins[i] = sluice.SendInput{Body: benchBody, Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "bench"}}}
			}
			var (
				acked atomic.Int64
				mu    sync.Mutex // guards sends
				sends []time.Duration
				wait  time.Duration // receive without waiting: another loop may have taken the batch
			)
			b.SetParallelism(max(1, 4/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				var lat []time.Duration
				for pb.Next() {
					start := time.Now()
					var err error
					if n == 1 {
						_, err = c.Send(ctx, "bench", ins[0])
					} else {
						_, err = c.SendBatch(ctx, "bench", ins)
					}
					if err != nil {
						b.Errorf("send: %v", err)
						return
					}
					lat = append(lat, time.Since(start))
					msgs, err := c.Receive(ctx, "bench", sluice.ReceiveOptions{Max: n, WaitTime: &wait})
					if err != nil {
						b.Errorf("Receive: %v", err)
						return
					}
					if len(msgs) == 0 {
						continue
					}
					receipts := make([]string, len(msgs))
					for i, m := range msgs {
						receipts[i] = m.Receipt
					}
					errs, err := c.AckBatch(ctx, "bench", receipts)
					if err != nil {
						b.Errorf("AckBatch: %v", err)
						return
					}
					for _, err := range errs {
						if err != nil {
							b.Errorf("AckBatch entry: %v", err)
							return
						}
					}
					acked.Add(int64(len(msgs)))
				}
				mu.Lock()
				sends = append(sends, lat...)
				mu.Unlock()
			})
			b.StopTimer()
			b.ReportMetric(float64(acked.Load())/b.Elapsed().Seconds(), "msgs/s")
			if len(sends) > 0 {
				slices.Sort(sends)
				b.ReportMetric(float64(sends[len(sends)*99/100])/float64(time.Millisecond), "send-p99-ms")
			}
		})
	}
}

// stubEngine serves a fixed set of messages to every receive and accepts
// every send, so that handler benchmarks measure the handler alone.
type stubEngine struct {
	nativeapi.Engine // nil: the methods the benchmarks do not call panic
	msgs             []sluice.Message
	results          []sluice.SendResult
}

func (s *stubEngine) Receive(context.Context, string, sluice.ReceiveOptions) ([]sluice.Message, error) {
	return s.msgs, nil
}

func (s *stubEngine) Send(_ context.Context, _ string, ins []sluice.SendInput) ([]sluice.SendResult, error) {
	return s.results[:len(ins)], nil
}

func (s *stubEngine) Ack(_ context.Context, _ string, receipts []string) ([]error, error) {
	return make([]error, len(receipts)), nil
}

func newStubEngine(n int) *stubEngine {
	s := &stubEngine{msgs: make([]sluice.Message, n), results: make([]sluice.SendResult, n)}
	sent := time.Date(2025, 11, 28, 4, 11, 0, 123456789, time.UTC)
	for i := range n {
		id := fmt.Sprintf("01JDQ7Z8XK4W5V9%011d", i)
		s.msgs[i] = sluice.Message{
			ID: id, Body: benchBody, Sequence: uint64(i + 1), SentAt: sent, FirstReceivedAt: sent.Add(time.Second),
			ReceiveCount: 1, Receipt: "AQAAAAAAAAEAAAAB" + id,
			Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "bench"}},
		}
		s.results[i] = sluice.SendResult{ID: id, Sequence: uint64(i + 1)}
	}
	return s
}

// benchHandler serves body to the handler over s at path b.N times.
func benchHandler(b *testing.B, s *stubEngine, path string, body []byte) {
	h := nativeapi.New(s, nativeapi.Options{})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 300 {
			b.Fatalf("POST %s = %d %s", path, w.Code, w.Body)
		}
	}
}

// BenchmarkSendHandler measures the server's side of a send of 100
// messages: decoding, checking and encoding the results.
func BenchmarkSendHandler(b *testing.B) {
	s := newStubEngine(100)
	req := wire.SendRequest{Messages: make([]wire.SendMessage, 100)}
	for i := range req.Messages {
		req.Messages[i] = wire.FromSendInput(sluice.SendInput{Body: benchBody, Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "bench"}}})
	}
	body, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	benchHandler(b, s, "/v1/queues/bench/messages", body)
}

// BenchmarkReceiveHandler measures the server's side of a receive of 100
// messages: mostly encoding the response.
func BenchmarkReceiveHandler(b *testing.B) {
	benchHandler(b, newStubEngine(100), "/v1/queues/bench/receive", []byte(`{"max":100,"wait":"0s"}`))
}

// BenchmarkAckHandler measures the server's side of an ack of 100 receipts.
func BenchmarkAckHandler(b *testing.B) {
	s := newStubEngine(100)
	req := wire.AckRequest{}
	for _, m := range s.msgs {
		req.Receipts = append(req.Receipts, m.Receipt)
	}
	body, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	benchHandler(b, s, "/v1/queues/bench/ack", body)
}
