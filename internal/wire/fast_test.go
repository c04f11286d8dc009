package wire

import (
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

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
