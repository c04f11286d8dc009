package wire

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// receiveSeeds are receive responses for FuzzReceiveResponseMatchesUnmarshal,
// among them ones the fast decoder must decline.
var receiveSeeds = []string{
	`{"messages":[]}`, `{"messages":null}`, `{}`, `null`, `[]`, `{"messages":[null]}`, `{"messages":{}}`,
	`{"messages":[{"id":"a","body":"hi","sequence":1,"sent_at":"2025-11-28T04:11:00.123456789Z","receive_count":1,"receipt":"r"}]}`,
	`{"messages":[{"id":"a","body_base64":"AP8=","attributes":{"b":{"type":"Binary","binary":"AQ=="},"n":{"type":"Number.int","value":"1"}},` +
		`"tenant":"t","group_id":"g","dedup_id":"d","sequence":18446744073709551615,"sent_at":"2024-02-29T23:59:59Z",` +
		`"first_received_at":"2024-03-01T00:00:00.5Z","receive_count":-9223372036854775808,"receipt":"r","source_queue":"q"}]}`,
	// Unknown members, at every level, and case variants of known ones.
	`{"next":{"a":[1,2,{"b":null}]},"messages":[{"ID":"a","Body":"x","extra":[true,false,-1.5e3],"Attributes":{"k":{"TYPE":"String","Value":"v","more":{}}}}],"z":"\u00e9"}`,
	`{"MESSAGES":[{"body":"x"}]}`, `{"m\u0065ssages":[{"body":"x"}]}`, `{"messages":[{"b\u006fdy":"x"}]}`, `{"messages":[{"bod\u0079":"x","\u00e9":1}]}`,
	// Repeated members.
	`{"messages":[{"body":"a"}],"messages":[{"body":"b"}]}`, `{"messages":[{"body":"a","BODY":"b"}]}`,
	`{"messages":[{"attributes":{"k":{"type":"String","value":"1"},"k":{"type":"String","value":"2"}}}]}`,
	`{"messages":[{"attributes":{"k":{"type":"String","value":"1","value":"2"}}}]}`,
	// Strings: escapes, surrogates, invalid UTF-8.
	`{"messages":[{"id":"\"\\\/\b\f\n\r\t\u0000","body":"\ud83d\ude00 \ud83d \ude00 \ud83d\u0041 \udfff\ud800 \ud800\ud800\udc00"}]}`,
	"{\"messages\":[{\"body\":\"\xff\xfe a \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82\",\"attributes\":{\"\xff\":{\"type\":\"String\"},\"\xfe\":null}}]}",
	`{"messages":[{"body":"\x"}]}`, `{"messages":[{"body":"\u12"}]}`, "{\"messages\":[{\"body\":\"a\tb\"}]}",
	`{"messages":[{"body":"","body_base64":"!!"}]}`, `{"messages":[{"body":null,"body_base64":"!!"}]}`, `{"messages":[{"body_base64":"YQ==\r\n"}]}`,
	`{"messages":[{"body_base64":"Y\u0051=="}]}`, `{"messages":[{"attributes":{"k":{"type":"Binary","binary":"%"}}}]}`,
	`{"messages":[{"attributes":{"k":{"type":"String","binary":"AA=="}}}]}`, `{"messages":[{"attributes":{"k":{"type":"Binary","value":"x"}}}]}`,
	`{"messages":[{"attributes":{}}]}`, `{"messages":[{"attributes":null}]}`, `{"messages":[{"attributes":{"k":null}}]}`,
	`{"messages":[{"attributes":{"k":{"type":"Str\u0069ng","value":"v"}}}]}`, `{"messages":[{"attributes":{"k":"v"}}]}`,
	// Numbers.
	`{"messages":[{"sequence":18446744073709551616}]}`, `{"messages":[{"sequence":-1}]}`, `{"messages":[{"sequence":-0}]}`,
	`{"messages":[{"sequence":1.0}]}`, `{"messages":[{"sequence":1e2}]}`, `{"messages":[{"sequence":"1"}]}`, `{"messages":[{"sequence":01}]}`,
	`{"messages":[{"sequence":0,"receive_count":9223372036854775807}]}`, `{"messages":[{"receive_count":9223372036854775808}]}`,
	`{"messages":[{"receive_count":-0,"sequence":null}]}`, `{"messages":[{"receive_count":999999999999999999}]}`,
	`{"messages":[{"receive_count":-1000000000000000000}]}`,
	// Times.
	`{"messages":[{"sent_at":"2025-11-28T04:11:00+01:00"}]}`, `{"messages":[{"sent_at":"2025-11-28T04:11:00.1234567891Z"}]}`,
	`{"messages":[{"sent_at":"2025-02-29T00:00:00Z"}]}`, `{"messages":[{"sent_at":"2025-11-28t04:11:00z"}]}`,
	`{"messages":[{"sent_at":"2025-11-28T24:00:00Z"}]}`, `{"messages":[{"sent_at":"2025-11-28T04:11:60Z"}]}`,
	`{"messages":[{"sent_at":"2025-11-28T04:11:00.Z"}]}`, `{"messages":[{"sent_at":"2025-11-28T4:11:00Z"}]}`,
	`{"messages":[{"sent_at":"2025-11-28T04:11:00\u005a"}]}`, `{"messages":[{"sent_at":null,"first_received_at":1}]}`,
	`{"messages":[{"sent_at":"0000-01-01T00:00:00Z","first_received_at":"9999-12-31T23:59:59.999999999Z"}]}`,
	`{"messages":[{"sent_at":"2025-11-28T04:11:00.000000000Z"}]}`, `{"messages":[{"sent_at":"2025-11-28T04:11:00-00:00"}]}`,
	// Syntax.
	" \t\r\n{ \"messages\" : [ { \"body\" : \"a\" } , null ] } \n", `{"messages":[{"body":"a"},]}`, `{"messages":[{"body":"a"}]} x`,
	`{"messages":[{"body":"a"}]`, `{"messages":[{"body":"a"`, `{"x":[[[[[[[[[[]]]]]]]]]]}`, `{"x":nul}`, `{"x":-}`, `{"x":1.}`,
	"\xef\xbb\xbf{}",
}

// FuzzReceiveResponseMatchesUnmarshal checks DecodeReceiveMessages against
// json.Unmarshal into a ReceiveResponse and Message on each entry: whatever
// the fast decoder decodes, the slow path decodes to the same messages, and
// the messages do not change when data does.
func FuzzReceiveResponseMatchesUnmarshal(f *testing.F) {
	for _, s := range receiveSeeds {
		f.Add([]byte(s))
	}
	f.Add(serverReceiveResponse(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		want, slowErr := unmarshalMessages(data)
		own := append([]byte(nil), data...)
		got, ok := DecodeReceiveMessages(own)
		if !ok {
			if got != nil {
				t.Fatalf("DecodeReceiveMessages(%q) declined but returned %#v", data, got)
			}
			return
		}
		if slowErr != nil {
			t.Fatalf("DecodeReceiveMessages(%q) succeeded, slow path: %v", data, slowErr)
		}
		clear(own)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeReceiveMessages(%q) = %#v, slow path %#v", data, got, want)
		}
	})
}

// unmarshalMessages is the slow path of the client's receive.
func unmarshalMessages(data []byte) ([]sluice.Message, error) {
	var resp ReceiveResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, err
	}
	msgs := make([]sluice.Message, len(resp.Messages))
	for i, m := range resp.Messages {
		var err error
		if msgs[i], err = m.Message(); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// serverReceiveResponse returns a response as the server writes it, with every
// member used.
func serverReceiveResponse(tb testing.TB) []byte {
	tb.Helper()
	sent := time.Date(2025, 11, 28, 4, 11, 0, 123456789, time.UTC)
	msgs := []sluice.Message{
		{ID: "m1", Body: []byte("text \u00e9 \"quoted\" <html> \u2028"), Sequence: 1, SentAt: sent, ReceiveCount: 1, Receipt: "r1"},
		{ID: "m2", Body: []byte{0, 0xff, 'a'}, Sequence: 2, SentAt: sent.Add(time.Second), FirstReceivedAt: sent.Add(time.Minute),
			ReceiveCount: 3, Receipt: "r2", Tenant: "t", GroupID: "g", DedupID: "d", SourceQueue: "q",
			Attributes: map[string]sluice.Attribute{
				"s": {Type: "String", String: "v"}, "n": {Type: "Number.int", String: "42"},
				"b": {Type: "Binary", Binary: []byte{1, 2}}, "e": {Type: "Binary.custom"},
			}},
		{ID: "m3", Body: []byte{}, Sequence: 3, SentAt: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), Receipt: "r3"},
	}
	b, err := AppendReceiveResponse(nil, msgs)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestReceiveFastPathTaken checks that the fast decoder handles what the
// server writes, so that the client and its benchmarks use it.
func TestReceiveFastPathTaken(t *testing.T) {
	data := serverReceiveResponse(t)
	got, ok := DecodeReceiveMessages(data)
	if !ok {
		t.Fatalf("DecodeReceiveMessages(%s) declined", data)
	}
	want, err := unmarshalMessages(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeReceiveMessages() = %#v, want %#v", got, want)
	}
}

// TestParseUTC checks the allocation-free time parser against
// time.Time's UnmarshalJSON.
func TestParseUTC(t *testing.T) {
	for _, s := range []string{
		"2025-11-28T04:11:00Z", "2025-11-28T04:11:00.1Z", "2025-11-28T04:11:00.123456789Z", "2024-02-29T23:59:59.000000001Z",
		"0000-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z",
		"2025-00-01T00:00:00Z", "2025-01-00T00:00:00Z", "2025-11-28T04:11:00.1234567890Z", "2025-11-28T04:11:00.Z", "2025-11-28T04:1a:00Z",
		"2025-11-28T04:11:00", "2025-11-28 04:11:00Z", "+025-11-28T04:11:00Z", "2025-11-28T04:11:00.-1Z",
	} {
		var want time.Time
		wantErr := want.UnmarshalJSON([]byte(`"` + s + `"`))
		got, ok := parseUTC([]byte(s))
		if ok && (wantErr != nil || !reflect.DeepEqual(got, want)) {
			t.Errorf("parseUTC(%q) = %v, UnmarshalJSON: %v, %v", s, got, want, wantErr)
		}
	}
}
