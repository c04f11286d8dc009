package client_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/wire"
)

// cannedServer returns a client for a loopback server that answers every
// request with body, having read the request's.
func cannedServer(b *testing.B, body any) *client.Client {
	b.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	}))
	b.Cleanup(srv.Close)
	return client.New(srv.URL)
}

var benchBody = []byte(strings.Repeat("sluice-0", 32))

// BenchmarkReceive measures the client's side of a receive of 100 messages
// of 256 bytes against a server that answers at once.
func BenchmarkReceive(b *testing.B) {
	sent := time.Date(2025, 11, 28, 4, 11, 0, 123456789, time.UTC)
	resp := wire.ReceiveResponse{Messages: make([]wire.Message, 100)}
	for i := range resp.Messages {
		id := fmt.Sprintf("01JDQ7Z8XK4W5V9%011d", i)
		resp.Messages[i] = wire.FromMessage(sluice.Message{
			ID: id, Body: benchBody, Sequence: uint64(i + 1), SentAt: sent, FirstReceivedAt: sent,
			ReceiveCount: 1, Receipt: "AQAAAAAAAAEAAAAB" + id,
			Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "bench"}},
		})
	}
	c := cannedServer(b, resp)
	b.ReportAllocs()
	for b.Loop() {
		msgs, err := c.Receive(b.Context(), "bench", sluice.ReceiveOptions{Max: 100})
		if err != nil || len(msgs) != 100 {
			b.Fatalf("Receive() = %d messages, %v", len(msgs), err)
		}
	}
}

// BenchmarkSendBatch measures the client's side of a send of 100 messages
// of 256 bytes against a server that answers at once.
func BenchmarkSendBatch(b *testing.B) {
	resp := wire.SendBatchResponse{Messages: make([]wire.SendResult, 100)}
	ins := make([]sluice.SendInput, 100)
	for i := range resp.Messages {
		resp.Messages[i] = wire.SendResult{ID: fmt.Sprintf("01JDQ7Z8XK4W5V9%011d", i), Sequence: uint64(i + 1)}
		ins[i] = sluice.SendInput{Body: benchBody, Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "bench"}}}
	}
	c := cannedServer(b, resp)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SendBatch(b.Context(), "bench", ins); err != nil {
			b.Fatalf("SendBatch() = %v", err)
		}
	}
}
