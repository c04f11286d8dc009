package wire

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// checkAppend fails unless got is what json.Marshal writes for v.
func checkAppend(t *testing.T, what string, got []byte, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%s) = %v", what, err)
	}
	if string(got) != string(want) {
		t.Errorf("Append %s:\n got %s\nwant %s", what, got, want)
	}
}

func receiveResponse(msgs []sluice.Message) ReceiveResponse {
	r := ReceiveResponse{Messages: make([]Message, len(msgs))}
	for i, m := range msgs {
		r.Messages[i] = FromMessage(m)
	}
	return r
}

func sendRequest(ins []sluice.SendInput, batch bool) SendRequest {
	if !batch {
		m := FromSendInput(ins[0])
		return SendRequest{Message: &m}
	}
	r := SendRequest{Messages: make([]SendMessage, len(ins))}
	for i, in := range ins {
		r.Messages[i] = FromSendInput(in)
	}
	return r
}

func TestAppendMatchesMarshal(t *testing.T) {
	now := time.Date(2025, 11, 28, 4, 11, 0, 123456789, time.FixedZone("x", 3600))
	delay := 1500 * time.Microsecond
	msgs := []sluice.Message{
		{ID: "m1", Body: []byte("plain"), SentAt: now, Receipt: "r1"},
		{ID: "m<2>", Body: []byte("<&>\"\\\n\t\x01\u2028é"), Sequence: 1 << 63, SentAt: now, FirstReceivedAt: now.Add(time.Second),
			ReceiveCount: 3, Receipt: "r2", SourceQueue: "src", Tenant: "t", GroupID: "g", DedupID: "d",
			Attributes: map[string]sluice.Attribute{
				"s": {Type: "String", String: "v"}, "n": {Type: "Number.int", String: "1"}, "e": {Type: "String"},
				"b": {Type: "Binary", Binary: []byte{0, 1, 2}}, "eb": {Type: "Binary.x"}, "<": {Type: "String", String: "\xff"},
			}},
		{ID: "m3", Body: []byte{0xff, 0, 0xfe}, SentAt: time.Time{}, Receipt: "r3"},
		{ID: "m4", Receipt: "r4", SentAt: now, Attributes: map[string]sluice.Attribute{"one": {Type: "Binary", Binary: []byte("x")}}},
	}
	for n := range len(msgs) + 1 {
		got, err := AppendReceiveResponse(nil, msgs[:n])
		if err != nil {
			t.Fatalf("AppendReceiveResponse() = %v", err)
		}
		checkAppend(t, "receive response", got, receiveResponse(msgs[:n]))
	}
	if _, err := AppendReceiveResponse(nil, []sluice.Message{{SentAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}); err == nil {
		t.Errorf("AppendReceiveResponse(year 10000) = nil error, want json.Marshal's")
	}

	ins := []sluice.SendInput{
		{Body: []byte("a<b"), Tenant: "t", GroupID: "g", DedupID: "d", Delay: &delay},
		{Body: []byte{0xc3, 0x28}, Attributes: msgs[1].Attributes},
		{Body: []byte{}},
	}
	for i := range ins {
		checkAppend(t, "single send", AppendSendRequest(nil, ins[i:i+1], false), sendRequest(ins[i:i+1], false))
	}
	checkAppend(t, "batch send", AppendSendRequest(nil, ins, true), sendRequest(ins, true))

	results := []sluice.SendResult{{ID: "a", Sequence: 1}, {ID: "b", Sequence: 2, Duplicate: true}}
	checkAppend(t, "send result", AppendSendResponse(nil, results, false), FromSendResult(results[0]))
	checkAppend(t, "send batch response", AppendSendResponse(nil, results, true),
		SendBatchResponse{Messages: []SendResult{FromSendResult(results[0]), FromSendResult(results[1])}})
	checkAppend(t, "empty send batch response", AppendSendResponse(nil, nil, true), SendBatchResponse{Messages: []SendResult{}})

	entries := []EntryResult{
		{Receipt: "ok"},
		{Receipt: "bad", Error: &ErrorBody{Code: CodeReceiptInvalid, Message: "receipt <invalid>"}},
		{Receipt: "lim", Error: &ErrorBody{Code: CodeLimitExceeded, Message: "m", Field: "f", Limit: 10, Got: -1}},
	}
	for _, r := range [][]EntryResult{nil, {}, entries} {
		checkAppend(t, "ack response", AckResponse{Results: r, Acked: 1, Failed: 2}.AppendJSON(nil), AckResponse{Results: r, Acked: 1, Failed: 2})
		checkAppend(t, "visibility response", VisibilityResponse{Results: r, Changed: 1, Failed: 2}.AppendJSON(nil), VisibilityResponse{Results: r, Changed: 1, Failed: 2})
	}
	for _, r := range [][]string{nil, {}, {"a", "<b>"}} {
		checkAppend(t, "ack request", AckRequest{Receipts: r}.AppendJSON(nil), AckRequest{Receipts: r})
	}
}

// FuzzAppendMatchesMarshal checks the Append functions against json.Marshal
// for arbitrary strings, bodies and times.
func FuzzAppendMatchesMarshal(f *testing.F) {
	f.Add("id", []byte("body"), "name", "String", []byte("v"), uint64(1), int64(0), "t")
	f.Add("<>&\u2028", []byte{0xff, 0xfe}, "\xff", "Binary.x", []byte{0, 1}, uint64(1<<63), int64(-1), "\x00\"\\")
	f.Fuzz(func(t *testing.T, id string, body []byte, name, typ string, value []byte, seq uint64, nanos int64, s string) {
		at := sluice.Attribute{Type: typ, String: string(value)}
		if at.BaseType() == "Binary" {
			at = sluice.Attribute{Type: typ, Binary: value}
		}
		attrs := map[string]sluice.Attribute{name: at, s: {Type: "String", String: s}}
		sent := time.Unix(0, nanos)
		msgs := []sluice.Message{{ID: id, Body: body, Attributes: attrs, Tenant: s, Sequence: seq, SentAt: sent, FirstReceivedAt: sent, Receipt: s, SourceQueue: name}}
		got, err := AppendReceiveResponse(nil, msgs)
		if err != nil {
			t.Fatalf("AppendReceiveResponse() = %v", err)
		}
		checkAppend(t, "receive response", got, receiveResponse(msgs))
		delay := time.Duration(nanos)
		ins := []sluice.SendInput{{Body: body, Attributes: attrs, GroupID: s, Delay: &delay}, {Body: value}}
		checkAppend(t, "batch send", AppendSendRequest(nil, ins, true), sendRequest(ins, true))
		checkAppend(t, "ack response", AckResponse{Results: []EntryResult{{Receipt: id, Error: &ErrorBody{Code: typ, Message: s, Field: name}}}}.AppendJSON(nil),
			AckResponse{Results: []EntryResult{{Receipt: id, Error: &ErrorBody{Code: typ, Message: s, Field: name}}}})
	})
}
