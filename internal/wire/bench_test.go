package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

// sendBatch100 returns a batch send of 100 messages of 256 bytes with one
// attribute each, as the Go client encodes it.
func sendBatch100(tb testing.TB) []byte {
	tb.Helper()
	req := SendRequest{Messages: make([]SendMessage, 100)}
	for i := range req.Messages {
		req.Messages[i] = FromSendInput(sluice.SendInput{
			Body:       []byte(strings.Repeat("sluice-0", 32)),
			Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "bench"}},
		})
	}
	b, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDecodeSend measures what the server does with the body of a
// batch send of 100 messages before calling the engine.
func BenchmarkDecodeSend(b *testing.B) {
	data := sendBatch100(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var r SendRequest
		if err := Decode(data, &r); err != nil {
			b.Fatal(err)
		}
		if _, err := r.SendInputs(); err != nil {
			b.Fatal(err)
		}
	}
}
