package wire

import (
	"encoding/json"
	"reflect"
	"testing"
)

// sendSeeds are send documents for the fast-path fuzz tests, among them
// the ones the fast path must leave to the precise path.
var sendSeeds = []string{
	`{"body":"hi"}`,
	`{"body_base64":"AP8=","attributes":{"k":{"type":"Binary","binary":"AQ=="}},"delay":"10s"}`,
	`{"messages":[{"body":"a","tenant":"t","group_id":"g","dedup_id":"d"},{"body_base64":"YQ=="}]}`,
	`{"messages":[{"body":"a","attributes":{"n":{"type":"Number","value":"1"}}}],"body":"x"}`,
	`{"messages":[{"body":"a"}],"tenant":null}`,
	`{"messages":[{"body":"a","tenant":"t"}],"messages":[{"body":"b"}]}`,
	`{"messages":[{"body":"a"}],"Messages":[{"body":"b"}]}`,
	`{"Messages":[{"body":"b"}]}`,
	`{"\u006dessages":[{"body":"b"}]}`,
	`{"body":"a","attributes":{"x":{"type":"String","value":"1"}},"ATTRIBUTES":{"y":{"type":"String","value":"2"}}}`,
	`{"messages":[{"body":"a","attributes":{"x":{"type":"String","value":"1"}},"attributes":{"y":{"type":"String","value":"2"}}}]}`,
	`{"body":"a","attributes":{"x":{"type":"String","colour":"1"},"x":{"type":"String"}}}`,
	`{"body":"a\"}, \"messages\": [","tenant":"t"}`,
	`{"messages":null}`, `{"messages":[]}`, `{"messages":[null]}`, `{"attributes":{}}`, `{"attributes":null}`,
	`null`, `[]`, `{"delay":1e400}`, `{"body":"a"} x`, `{"body":"a","delay":null}`,
	// Escapes, surrogates and invalid UTF-8, which decode as encoding/json
	// decodes them.
	`{"body":"a\"b\\c\/d\b\f\n\r\t\u0000\u00e9\u4e16","tenant":"\u0074"}`,
	`{"body":"\ud83d\ude00 \ud83d \ude00 \ud83d\u0041 \udfff\ud800 \ud800\ud800\udc00"}`,
	"{\"body\":\"\xff\xfe a \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82\"}",
	"{\"body\":\"\xc3\xa9\",\"attributes\":{\"\xff\":{\"type\":\"String\",\"value\":\"x\"},\"\xfe\":{\"type\":\"String\"}}}",
	`{"body":"a","attributes":{"\u006b":{"type":"Str\u0069ng","value":"\ud800"},"k2":null}}`,
	`{"body":"\x"}`, `{"body":"\u12"}`, `{"body":"\u12G4"}`, "{\"body\":\"a\tb\"}", "{\"body\":\"a\x00\"}",
	// Numbers and durations.
	`{"body":"a","delay":1.5}`, `{"body":"a","delay":-0}`, `{"body":"a","delay":1e-9}`, `{"body":"a","delay":9223372036.854775807}`,
	`{"body":"a","delay":92233720368547758070}`, `{"body":"a","delay":01}`, `{"body":"a","delay":1.}`, `{"body":"a","delay":.5}`,
	`{"body":"a","delay":"1h\u0033m"}`, `{"body":"a","delay":"-1s"}`, `{"body":"a","delay":"1x"}`, `{"body":"a","delay":true}`,
	`{"body":"a","delay":1E+2}`, `{"body":"a","delay":-}`, `{"body":"a","delay":[]}`,
	// Nulls and types.
	`{"body":null,"body_base64":null,"attributes":null,"tenant":null,"group_id":null,"dedup_id":null,"delay":null}`,
	`{"messages":[null,{"body":null},{"attributes":{"k":null}}]}`, `{"body":"a","attributes":{"k":{"type":null,"value":null,"binary":null}}}`,
	`{"body":1}`, `{"tenant":true}`, `{"attributes":[]}`, `{"attributes":{"k":"v"}}`, `{"messages":{}}`, `{"messages":[1]}`,
	// Unknown, nested and odd members.
	`{"body":"a","extra":{"x":[1,{"y":null}]}}`, `{"messages":[{"body":"a","extra":[[[]]]}]}`,
	`{"body":"a","attributes":{"k":{"type":"String","value":"v","extra":{}}}}`,
	`{"BODY":"a"}`, `{"b\u006fdy":"a"}`, `{"body":"a","body":"b"}`, `{"bod\u0079":"a"}`, `{"\u00e9":1}`,
	" \t\r\n{ \"body\" : \"a\" , \"tenant\" : \"t\" } \n", `{"body":"a",}`, `{,}`, `{"body" "a"}`, `{"body":"a"`, `{"body":"a`,
	"\xef\xbb\xbf{\"body\":\"a\"}",
}

// FuzzSendDecodeFastMatchesSlow checks the fast path of SendRequest
// against the precise one: whatever the fast path decodes, the precise
// path decodes to the same value, and Decode, which tries the fast path
// first, returns what the precise path alone returns.
func FuzzSendDecodeFastMatchesSlow(f *testing.F) {
	for _, s := range sendSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var slow SendRequest
		slowErr := decodeStrict(data, &slow)
		var fast SendRequest
		if fast.decodeFast(data) {
			if slowErr != nil {
				t.Fatalf("fast path decoded %q, precise path: %v", data, slowErr)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("decoding %q: fast path %#v, precise path %#v", data, fast, slow)
			}
			plain, err := decodePlain(data)
			if err != nil {
				t.Fatalf("fast path decoded %q, encoding/json: %v", data, err)
			}
			if !reflect.DeepEqual(fast, plain) {
				t.Fatalf("decoding %q: fast path %#v, encoding/json %#v", data, fast, plain)
			}
		} else if !reflect.DeepEqual(fast, SendRequest{}) {
			t.Fatalf("fast path failed on %q but left %#v", data, fast)
		}
		var got SendRequest
		err := Decode(data, &got)
		if errString(err) != errString(slowErr) {
			t.Fatalf("Decode(%q) = %v, precise path: %v", data, err, slowErr)
		}
		if err == nil && !reflect.DeepEqual(got, slow) {
			t.Fatalf("Decode(%q) = %#v, precise path %#v", data, got, slow)
		}
	})
}

// FuzzVisibilityDecodeFastMatchesSlow is FuzzSendDecodeFastMatchesSlow
// for VisibilityRequest.
func FuzzVisibilityDecodeFastMatchesSlow(f *testing.F) {
	for _, s := range []string{
		`{"changes":[{"receipt":"r","timeout":"0s"}]}`, `{"changes":[{"receipt":"r"}]}`, `{"changes":{}}`,
		`{"changes":[{"receipt":"a","timeout":"1s"}],"changes":[{"receipt":"b"}]}`,
		`{"changes":[{"receipt":"a","timeout":"1s"}],"CHANGES":[{"receipt":"b"}]}`,
		`{"changes":null}`, `{"changes":[]}`, `{"changes":[null]}`, `null`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var slow VisibilityRequest
		slowErr := decodeStrict(data, &slow)
		var fast VisibilityRequest
		if fast.decodeFast(data) {
			if slowErr != nil {
				t.Fatalf("fast path decoded %q, precise path: %v", data, slowErr)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("decoding %q: fast path %#v, precise path %#v", data, fast, slow)
			}
		}
		var got VisibilityRequest
		err := Decode(data, &got)
		if errString(err) != errString(slowErr) {
			t.Fatalf("Decode(%q) = %v, precise path: %v", data, err, slowErr)
		}
		if err == nil && !reflect.DeepEqual(got, slow) {
			t.Fatalf("Decode(%q) = %#v, precise path %#v", data, got, slow)
		}
	})
}

// TestSendFastPathTaken checks that the documents the Go client sends take
// the fast path, so that the benchmarks measure it.
func TestSendFastPathTaken(t *testing.T) {
	for _, s := range []string{
		`{"body":"hi","attributes":{"k":{"type":"String","value":"v"}},"tenant":"t"}`,
		`{"messages":[{"body":"a","attributes":{"k":{"type":"String","value":"v"}}},{"body_base64":"YQ=="}]}`,
		string(sendBatch100(t)),
	} {
		var r SendRequest
		if !r.decodeFast([]byte(s)) {
			t.Errorf("decodeFast(%.80s) = false, want true", s)
		}
	}
	var v VisibilityRequest
	if !v.decodeFast([]byte(`{"changes":[{"receipt":"r","timeout":"0s"}]}`)) {
		t.Errorf("VisibilityRequest.decodeFast = false, want true")
	}
}

// decodePlain decodes a send document the fast path accepted with plain
// encoding/json, into shadow structs without custom decoding, and converts
// the result as the precise path would build it.
func decodePlain(data []byte) (SendRequest, error) {
	var d sendDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return SendRequest{}, err
	}
	var batch bool
	if err := hasMessages(data, &batch); err != nil {
		return SendRequest{}, err
	}
	if !batch {
		m := d.message()
		return SendRequest{Message: &m}, nil
	}
	list := make([]SendMessage, len(d.Messages)) // non-nil: a batch, even for "messages": null
	for i := range d.Messages {
		list[i] = d.Messages[i].message()
	}
	return SendRequest{Messages: list}, nil
}

// hasMessages reports whether the JSON object data has a top-level
// member named exactly "messages".
func hasMessages(data []byte, batch *bool) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return err
	}
	_, *batch = members["messages"]
	return nil
}

// messageDoc is SendMessage without custom decoding.
type messageDoc struct {
	Body       *string              `json:"body"`
	BodyBase64 *string              `json:"body_base64"`
	Attributes map[string]Attribute `json:"attributes"`
	Tenant     string               `json:"tenant"`
	GroupID    string               `json:"group_id"`
	DedupID    string               `json:"dedup_id"`
	Delay      *Duration            `json:"delay"`
}

func (d *messageDoc) message() SendMessage {
	return SendMessage{
		Body:       d.Body,
		BodyBase64: d.BodyBase64,
		Attributes: Attributes(d.Attributes),
		Tenant:     d.Tenant,
		GroupID:    d.GroupID,
		DedupID:    d.DedupID,
		Delay:      d.Delay,
	}
}

// sendDoc has the members of both a single send and a batch.
type sendDoc struct {
	Messages []messageDoc `json:"messages"`
	messageDoc
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
